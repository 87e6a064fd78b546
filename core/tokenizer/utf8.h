// UTF-8 helpers shared by the tokenizer stages: decoding that never reads past the end and reports
// invalid sequences instead of guessing, plus encoding of code points.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace attnscope::utf8 {

/// Decodes the code point starting at s[pos]. On success returns it and sets len to its byte length (1..4).
/// Invalid or truncated sequences, overlongs, surrogates and values > U+10FFFF return -1 with len = 1, so a
/// caller can step over one bad byte at a time (what the display code needs to escape it).
char32_t decode(std::string_view s, size_t pos, size_t& len, bool& ok);
void append(std::string& out, char32_t cp);
bool isValid(std::string_view s);
/// Number of code points (invalid bytes count as one each).
size_t countChars(std::string_view s);

} // namespace attnscope::utf8
