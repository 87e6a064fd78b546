// GPT-2 byte <-> unicode table (the mapping is defined by OpenAI's encoder.py bytes_to_unicode and is what every
// byte-level BPE vocabulary, HF or GGUF, is written in).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/byte_unicode.h"
#include "core/tokenizer/utf8.h"

namespace attnscope {
namespace {

struct ByteTables {
    std::array<std::string, 256> toText;
    std::array<int, 324> fromCodePoint;   // code points used are < 256 + 68

    ByteTables()
    {
        fromCodePoint.fill(-1);
        int next = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            const char32_t cp = printable ? char32_t(b) : char32_t(256 + next++);
            utf8::append(toText[b], cp);
            fromCodePoint[cp] = b;
        }
    }
};

const ByteTables& tables()
{
    static const ByteTables t;
    return t;
}

} // namespace

const std::string& byteToUnicode(unsigned char b)
{
    return tables().toText[b];
}

std::optional<std::string> unicodeToBytes(std::string_view tokenText)
{
    const auto& t = tables();
    std::string out;
    out.reserve(tokenText.size());
    size_t pos = 0;
    while (pos < tokenText.size()) {
        size_t len = 1;
        bool ok = false;
        const char32_t cp = utf8::decode(tokenText, pos, len, ok);
        if (!ok || cp >= t.fromCodePoint.size() || t.fromCodePoint[cp] < 0)
            return std::nullopt;
        out += static_cast<char>(t.fromCodePoint[cp]);
        pos += len;
    }
    return out;
}

} // namespace attnscope
