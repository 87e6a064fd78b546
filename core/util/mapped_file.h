// A read-only memory mapping of a whole regular file. Size and mtime are recorded at open so a file that
// changes under us can be detected. Only regular files are opened: a named pipe, a device (/dev/zero), a
// socket or a file on a kernel pseudo file system (/proc, /sys) is refused by type, and opening never blocks
// (docs/SECURITY.md). Symbolic links are followed: a Hugging Face cache snapshot is a folder of links into
// ../../blobs/.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

class MappedFile {
public:
    /// Opens and maps `path`; throws Error(Io) naming the file and the OS reason, or the kind of file it is
    /// when it is not a regular file.
    static std::shared_ptr<const MappedFile> open(const std::string& path);
    /// An in-memory "file" (tests, fuzz targets, pread mode): owns exactly `bytes`, so an out-of-bounds
    /// read is caught by AddressSanitizer instead of landing in the rest of a mapped page.
    static std::shared_ptr<const MappedFile> fromBytes(std::string name, std::vector<uint8_t> bytes);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    uint64_t size() const { return m_size; }
    const std::string& path() const { return m_path; }
    /// The file actually opened, every symbolic link resolved (the name itself for in-memory files).
    const std::string& resolvedPath() const { return m_resolvedPath; }
    int64_t mtimeNs() const { return m_mtimeNs; }
    /// True when the file on disk still has the size and mtime seen at open.
    bool unchangedOnDisk() const;

private:
    MappedFile() = default;
    std::string m_path;
    std::string m_resolvedPath;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
    int64_t m_mtimeNs = 0;
    std::vector<uint8_t> m_owned;   // backing store of fromBytes() files; empty for mappings
    bool m_mapped = false;
    bool m_inMemory = false;
};

} // namespace attnscope
