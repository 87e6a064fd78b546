// A Hugging Face model folder: config.json + model.safetensors (or a sharded index) + tokenizer files
// (docs/FORMATS.md). Folders that hold only PyTorch pickles are refused.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/checkpoint.h"
#include "core/formats/model_folder.h"

#include <memory>
#include <string>

namespace attnscope {

/// The refusal every pickle path shares (docs/FORMATS.md): nothing from a pickle is ever loaded.
std::string pickleRefusalMessage();

/// Reads a text file of at most `cap` bytes (Error(Format) above it, Error(Io) if unreadable).
std::string readTextFileCapped(const std::string& path, uint64_t cap);

/// Opens a model folder. config.json is required and parsed strictly (≤ 64 MiB, nesting ≤ 64, no duplicate
/// keys); tokenizer.json / tokenizer_config.json are loaded as text when present (≤ 64 MiB each).
std::shared_ptr<Checkpoint> readHfFolder(const std::string& folder);
/// The same from any ModelFolder (in memory for the fuzz targets).
std::shared_ptr<Checkpoint> readHfFolder(const ModelFolder& folder);

} // namespace attnscope
