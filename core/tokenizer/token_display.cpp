// Display labels for tokens: always valid UTF-8 for axes and chips; whitespace made visible (space "␣",
// newline "↵", tab "⇥", carriage return "␍") and bytes that do not form valid UTF-8 on their own (half a
// character, common in byte-level BPE) escaped as <0xE2>. Other C0 controls, DEL, C1 controls and the
// bidirectional / line-separator controls that escapeControl() names (core/util/text_escape.h) are escaped the
// same way, byte by byte, so no token label can act on a terminal or reorder the text around it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/utf8.h"
#include "core/util/text_escape.h"

#include <cstdio>

namespace attnscope {

std::string displayBytes(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() + 4);
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t len = 1;
        bool ok = false;
        const char32_t cp = utf8::decode(bytes, pos, len, ok);
        if (ok && cp == ' ')
            out += "\xE2\x90\xA3";   // ␣
        else if (ok && cp == '\n')
            out += "\xE2\x86\xB5";   // ↵
        else if (ok && cp == '\t')
            out += "\xE2\x87\xA5";   // ⇥
        else if (ok && cp == '\r')
            out += "\xE2\x90\x8D";   // ␍
        else if (!ok || cp < 0x20 || cp == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(bytes[pos]));
            out += buf;
        } else if (cp >= 0x80 && needsEscape(bytes.substr(pos, len))) {
            for (size_t k = 0; k < len; ++k) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(bytes[pos + k]));
                out += buf;
            }
        } else {
            out.append(bytes, pos, len);
        }
        pos += len;
    }
    return out;
}

} // namespace attnscope
