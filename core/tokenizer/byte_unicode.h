// GPT-2 byte-level alphabet: every byte maps to one printable code point so that byte-level BPE vocabularies
// can be stored as text (GPT-2 bytes_to_unicode; HF tokenizers ByteLevel). Printable bytes map to themselves, the other 68 to U+0100 upward.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

/// UTF-8 text of the code point that stands for byte b (e.g. 0x20 -> "Ġ").
const std::string& byteToUnicode(unsigned char b);
/// Inverse mapping of a whole vocabulary string; nullopt when it contains a code point outside the alphabet.
std::optional<std::string> unicodeToBytes(std::string_view tokenText);

} // namespace attnscope
