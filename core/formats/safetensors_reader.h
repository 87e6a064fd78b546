// safetensors reader (huggingface/safetensors README "Format"): single files and sharded folders indexed by
// model.safetensors.index.json. Validated at least as strictly as the reference reader (docs/SECURITY.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/checkpoint.h"
#include "core/formats/model_folder.h"

#include <memory>
#include <string>

namespace attnscope {

constexpr uint64_t kSafetensorsMaxHeader = 100000000; // MAX_HEADER_SIZE upstream
constexpr size_t kSafetensorsMaxRank = 8;
constexpr size_t kSafetensorsMaxShards = 4096;

/// Parses one safetensors file into `ckpt` (tensors appended with fileIndex = `fileIndex`, in buffer order;
/// `__metadata__` entries merged into ckpt.metadata as strings, existing keys kept). Throws Error(Format)
/// for violations and Error(Unsupported) naming the dtype and tensor for valid dtypes with no DType
/// (FP8, F4, F6, C64) — after the whole file has been validated.
void appendSafetensorsFile(Checkpoint& ckpt, const std::shared_ptr<const MappedFile>& file, uint32_t fileIndex);

/// A whole single-file checkpoint.
std::shared_ptr<Checkpoint> readSafetensors(std::shared_ptr<const MappedFile> file);

/// A sharded checkpoint from its index file: every shard is in the index's folder (names without path
/// separators or ".."), every tensor appears in exactly one shard and is present there, and every tensor of
/// every shard is listed in the index.
std::shared_ptr<Checkpoint> readSafetensorsIndex(const std::string& indexPath);
/// The same with the index and its shards read from `folder`.
std::shared_ptr<Checkpoint> readSafetensorsIndex(const ModelFolder& folder, const std::string& indexName);

} // namespace attnscope
