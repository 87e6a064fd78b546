// JSON parsing for untrusted files (safetensors headers, config.json, shard indexes): rejects duplicate
// keys (nlohmann::json would silently keep the last one), caps nesting depth, and validates UTF-8 first.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace attnscope {

constexpr int kMaxJsonDepth = 64;                       // NUMERICS-AND-SAFETY §4 caps
constexpr uint64_t kMaxJsonBytes = 64ull * 1024 * 1024; // config / tokenizer / index files

/// Position of the first byte that is not well-formed UTF-8 (overlongs, surrogates and code points above
/// U+10FFFF included), or npos when the text is valid.
size_t findInvalidUtf8(std::string_view text);

/// Parses `text` into a DOM. Throws Error(Format) with `file`, `field`, the byte offset (plus `baseOffset`,
/// for text embedded in a larger file) and the reason on invalid UTF-8, invalid JSON, a duplicate key in any
/// object, or nesting deeper than maxDepth.
nlohmann::json parseJsonStrict(std::string_view text, const std::string& file, const std::string& field,
                               int64_t baseOffset = 0, int maxDepth = kMaxJsonDepth);

} // namespace attnscope
