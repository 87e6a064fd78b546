// The files of a model folder by name — on disk, or in memory for the fuzz targets and tests — so that the
// HF-folder and sharded-index readers run the same code either way.
// Threading: immutable after construction.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/util/mapped_file.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

class ModelFolder {
public:
    virtual ~ModelFolder() = default;
    /// The folder as the user named it (messages, Checkpoint::path).
    virtual const std::string& path() const = 0;
    /// True when an entry of that name exists, whatever its type: a named pipe called config.json is found
    /// here and refused by open(), rather than reported missing.
    virtual bool has(const std::string& name) const = 0;
    /// Opens a regular file of the folder (MappedFile::open's rules); throws Error(Io) naming it.
    virtual std::shared_ptr<const MappedFile> open(const std::string& name) const = 0;
    /// path()/name, for messages.
    std::string pathOf(const std::string& name) const;
};

std::unique_ptr<ModelFolder> diskFolder(const std::string& path);
std::unique_ptr<ModelFolder> memoryFolder(std::string path, std::map<std::string, std::vector<uint8_t>> files);

/// The whole file as text, refused above `cap` bytes with Error(Format) naming the cap.
std::string readTextCapped(const MappedFile& file, uint64_t cap);

} // namespace attnscope
