// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/text_escape.h"

#include <cstdint>
#include <cstdio>

namespace attnscope {
namespace {

// Decodes one well-formed UTF-8 sequence at s[i]: no overlongs, surrogates or values above U+10FFFF.
// Returns its length, or 0 when the byte at i does not start one.
size_t decodeAt(std::string_view s, size_t i, char32_t& cp)
{
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (s.size() - i < len)
        return 0;
    for (size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

// Code points (beyond C0 and DEL) that act on a terminal or on the layout of the text around them.
bool isInvisibleControl(char32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F)          // C1: U+009B is a one-character CSI on many terminals
           || cp == 0x061C                      // Arabic letter mark
           || cp == 0x200E || cp == 0x200F      // LRM, RLM
           || (cp >= 0x2028 && cp <= 0x202E)    // line/paragraph separators, LRE..RLO
           || (cp >= 0x2066 && cp <= 0x2069);   // LRI..PDI
}

void appendHexByte(std::string& out, unsigned char b)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", b);
    out += buf;
}

// Largest n <= limit such that text[0, n) ends on a character boundary.
size_t boundaryAtOrBefore(std::string_view text, size_t limit)
{
    if (limit >= text.size())
        return text.size();
    size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80 && limit - n < 3)
        --n;
    return n;
}

// Smallest n >= from such that text[n, end) starts on a character boundary.
size_t boundaryAtOrAfter(std::string_view text, size_t from)
{
    size_t n = from;
    while (n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80 && n - from < 3)
        ++n;
    return n;
}

} // namespace

size_t findInvalidUtf8(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        char32_t cp = 0;
        const size_t len = decodeAt(text, i, cp);
        if (len == 0)
            return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string escapeControl(std::string_view text)
{
    if (!needsEscape(text))
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 16);
    size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        const size_t len = decodeAt(text, i, cp);
        if (len == 0) {
            appendHexByte(out, static_cast<unsigned char>(text[i]));
            ++i;
            continue;
        }
        if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x20 || cp == 0x7F) {
            appendHexByte(out, static_cast<unsigned char>(cp));
        } else if (isInvisibleControl(cp)) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
            out += buf;
        } else {
            out.append(text, i, len);
        }
        i += len;
    }
    return out;
}

bool needsEscape(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {   // the common case: printable ASCII
            ++i;
            continue;
        }
        char32_t cp = 0;
        const size_t len = decodeAt(text, i, cp);
        if (len == 0 || cp < 0x20 || cp == 0x7F || isInvisibleControl(cp))
            return true;
        i += len;
    }
    return false;
}

std::string quotedValue(std::string_view value, size_t maxBytes)
{
    std::string out(1, '\'');
    if (value.size() <= maxBytes) {
        out += escapeControl(value);
        out += '\'';
        return out;
    }
    out += escapeControl(value.substr(0, boundaryAtOrBefore(value, maxBytes)));
    out += "…' (";
    out += std::to_string(value.size());
    out += " bytes)";
    return out;
}

std::string shortened(std::string_view value, size_t maxBytes)
{
    if (value.size() <= maxBytes)
        return escapeControl(value);
    std::string out = escapeControl(value.substr(0, boundaryAtOrBefore(value, maxBytes)));
    out += "… (";
    out += std::to_string(value.size());
    out += " bytes)";
    return out;
}

std::string elideMiddle(std::string_view text, size_t maxBytes)
{
    if (text.size() <= maxBytes)
        return escapeControl(text);
    const size_t head = boundaryAtOrBefore(text, maxBytes / 2);
    const size_t tail = boundaryAtOrAfter(text, text.size() - maxBytes / 4);
    std::string out = escapeControl(text.substr(0, head));
    out += "… (";
    out += std::to_string(text.size());
    out += " bytes in all) …";
    out += escapeControl(text.substr(tail));
    return out;
}

} // namespace attnscope
