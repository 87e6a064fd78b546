// Text that came from a file (metadata strings, tensor names, JSON keys, token text) shown to a person: on a
// terminal, in a label, tooltip or dialog, or quoted in an error message. A hostile file must not be able to
// move the cursor, recolour or retitle a terminal, reorder text with bidirectional controls, or produce a
// megabyte-long error line (docs/SECURITY.md). Everything here is for display: it is not reversible.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace attnscope {

/// Longest file-derived value quoted in a message, in bytes of the original (the rest is summarised).
constexpr size_t kMaxQuotedBytes = 120;
/// Longest error field ("tensor 'x'.shape") and reason before they are shortened.
constexpr size_t kMaxErrorFieldBytes = 256;
constexpr size_t kMaxErrorReasonBytes = 2048;

/// Escapes what a terminal or a text widget would act on instead of showing:
///   C0 controls and DEL: "\n", "\t", "\r", else "\xNN" (ESC is "\x1b");
///   C1 controls (U+0080..U+009F), bidirectional and line/paragraph separators (U+061C, U+200E, U+200F,
///   U+2028..U+202E, U+2066..U+2069): "\u{202E}";
///   bytes that are not well-formed UTF-8: "\xNN".
/// The result is valid UTF-8 with no control characters. Applying it twice changes nothing (backslashes
/// are not escaped: this is for display, not a reversible encoding).
std::string escapeControl(std::string_view text);
/// True when escapeControl(text) would change something.
bool needsEscape(std::string_view text);

/// For messages: escapeControl(value) in single quotes; when value is longer than maxBytes, its first
/// maxBytes (cut at a character boundary) followed by "…' (N bytes)".
std::string quotedValue(std::string_view value, size_t maxBytes = kMaxQuotedBytes);
/// Position of the first byte that is not well-formed UTF-8 (overlongs, surrogates and code points above
/// U+10FFFF included), or npos when the text is valid.
size_t findInvalidUtf8(std::string_view text);

/// escapeControl(value), and when value is longer than maxBytes the first maxBytes + "… (N bytes)".
std::string shortened(std::string_view value, size_t maxBytes);
/// escapeControl(text), and when longer than maxBytes its head and tail around "… (N bytes in all) …", so a
/// message keeps both what it is about and its explanation.
std::string elideMiddle(std::string_view text, size_t maxBytes);

} // namespace attnscope
