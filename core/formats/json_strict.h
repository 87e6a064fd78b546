// JSON parsing for untrusted files (safetensors headers, config.json, shard indexes, tokenizer.json): rejects
// duplicate keys (nlohmann::json would silently keep the last one), caps nesting depth and the number of
// values, and validates UTF-8 first. Linear in the size of the text (docs/SECURITY.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/util/error.h"
#include "core/util/text_escape.h"   // findInvalidUtf8

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace attnscope {

constexpr int kMaxJsonDepth = 64;                       // docs/SECURITY.md lists every cap
constexpr uint64_t kMaxJsonBytes = 64ull * 1024 * 1024; // config / tokenizer / index files
/// Values (objects, arrays, strings, numbers, literals) in one document: the largest real tokenizer.json
/// files (262k-token vocabularies with ~500k merges) hold about 2.1 M.
constexpr uint64_t kMaxJsonValues = uint64_t(1) << 22;

/// Parses `text` into a DOM in time linear in its size. Throws Error(kind) with `file`, `field`, the byte
/// offset (plus `baseOffset`, for text embedded in a larger file) and the reason on invalid UTF-8, invalid
/// JSON, a duplicate key in any object, or nesting deeper than maxDepth.
nlohmann::json parseJsonStrict(std::string_view text, const std::string& file, const std::string& field,
                               int64_t baseOffset = 0, int maxDepth = kMaxJsonDepth,
                               ErrorKind kind = ErrorKind::Format);

/// The JSON library's message in our words: without its "[json.exception.parse_error.101]" id and position
/// prefix (callers report the byte offset themselves), escaped and shortened.
std::string describeJsonError(std::string_view libraryMessage);

} // namespace attnscope
