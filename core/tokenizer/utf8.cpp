// UTF-8 decode/encode for the tokenizer (strict: rejects overlongs, surrogates and out-of-range values).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/utf8.h"

namespace attnscope::utf8 {

char32_t decode(std::string_view s, size_t pos, size_t& len, bool& ok)
{
    len = 1;
    ok = false;
    if (pos >= s.size())
        return 0;
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) {
        ok = true;
        return b0;
    }
    size_t n = 0;
    char32_t cp = 0;
    char32_t minValue = 0;
    if ((b0 & 0xE0) == 0xC0) {
        n = 2; cp = b0 & 0x1F; minValue = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 3; cp = b0 & 0x0F; minValue = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 4; cp = b0 & 0x07; minValue = 0x10000;
    } else {
        return 0;
    }
    if (pos + n > s.size())
        return 0;
    for (size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[pos + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < minValue || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    len = n;
    ok = true;
    return cp;
}

void append(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool isValid(std::string_view s)
{
    size_t pos = 0;
    while (pos < s.size()) {
        size_t len = 1;
        bool ok = false;
        decode(s, pos, len, ok);
        if (!ok)
            return false;
        pos += len;
    }
    return true;
}

size_t countChars(std::string_view s)
{
    size_t pos = 0, n = 0;
    while (pos < s.size()) {
        size_t len = 1;
        bool ok = false;
        decode(s, pos, len, ok);
        pos += len;
        ++n;
    }
    return n;
}

} // namespace attnscope::utf8
