// GGUF v2/v3 reader (ggml docs/gguf.md) hardened as docs/SECURITY.md describes: every count is checked
// against the bytes that remain before anything is allocated, every size is overflow-checked, and
// tensor extents must follow the running aligned offset and lie inside the file.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/checkpoint.h"

#include <memory>

namespace attnscope {

// Caps (docs/SECURITY.md). Tests exercise each at cap and cap + 1.
constexpr uint64_t kGgufMaxString = 1ull << 20;          // bytes in one metadata string
constexpr uint64_t kGgufMaxKey = 65535;                  // bytes in a key
constexpr uint64_t kGgufMaxArray = 16ull << 20;          // elements in one array
constexpr uint64_t kGgufMaxTensorName = 63;              // GGML_MAX_NAME − 1
constexpr uint32_t kGgufMaxDims = 4;                     // GGML_MAX_DIMS
constexpr uint64_t kGgufMaxAlignment = 1ull << 20;
constexpr uint64_t kGgufDefaultAlignment = 32;
constexpr uint64_t kGgufMinKvBytes = 14;                 // key len 8 + 1 key byte + type 4 + 1 value byte
constexpr uint64_t kGgufMinTensorInfoBytes = 33;         // name len 8 + 1 + n_dims 4 + 1 dim 8 + type 4 + offset 8

enum GgufValueType : uint32_t {
    GgufUInt8 = 0, GgufInt8 = 1, GgufUInt16 = 2, GgufInt16 = 3, GgufUInt32 = 4, GgufInt32 = 5,
    GgufFloat32 = 6, GgufBool = 7, GgufString = 8, GgufArray = 9, GgufUInt64 = 10, GgufInt64 = 11,
    GgufFloat64 = 12,
};

/// Parses a whole GGUF file. Metadata scalars fill every numeric view they fit (an unsigned value also
/// sets `i` when it fits int64 and `f`; a signed one sets `u` when non-negative and `f`), arrays only their
/// typed vector. Throws Error: Format for violations, Unsupported for v1, big-endian files, nested arrays
/// and ggml types attnscope does not decode.
std::shared_ptr<Checkpoint> readGguf(std::shared_ptr<const MappedFile> file);

} // namespace attnscope
