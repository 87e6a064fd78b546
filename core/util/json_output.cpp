// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/json_output.h"
#include "core/util/text_escape.h"

#include <algorithm>
#include <cstdio>

namespace attnscope {
namespace {

// Escapes the bytes findInvalidUtf8 rejects, one at a time. Returns false when `s` was valid.
bool escapeInvalidUtf8(std::string& s)
{
    size_t bad = findInvalidUtf8(s);
    if (bad == std::string::npos)
        return false;
    std::string out(s, 0, bad);
    std::string_view rest(s);
    rest.remove_prefix(bad);
    while (!rest.empty()) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(rest[0]));
        out += buf;
        rest.remove_prefix(1);
        bad = findInvalidUtf8(rest);
        const size_t good = bad == std::string_view::npos ? rest.size() : bad;
        out.append(rest.substr(0, good));
        rest.remove_prefix(good);
    }
    s = std::move(out);
    return true;
}

std::string pointerToken(std::string key)
{
    // RFC 6901: "~" is written "~0" and "/" is written "~1".
    std::string out;
    for (char c : key)
        out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
}

void walk(nlohmann::json& j, const std::string& pointer, std::vector<std::string>& changed)
{
    if (j.is_string()) {
        if (escapeInvalidUtf8(j.get_ref<std::string&>()))
            changed.push_back(pointer.empty() ? "/" : pointer);
    } else if (j.is_array()) {
        for (size_t i = 0; i < j.size(); ++i)
            walk(j[i], pointer + "/" + std::to_string(i), changed);
    } else if (j.is_object()) {
        // Keys cannot be changed in place: rebuild the object when one of them needs escaping.
        bool badKey = false;
        for (auto it = j.begin(); it != j.end() && !badKey; ++it)
            badKey = findInvalidUtf8(it.key()) != std::string::npos;
        if (badKey) {
            nlohmann::json rebuilt = nlohmann::json::object();
            for (auto it = j.begin(); it != j.end(); ++it) {
                std::string key = it.key();
                if (escapeInvalidUtf8(key))
                    changed.push_back(pointer + "/" + pointerToken(key));
                rebuilt[key] = std::move(it.value());
            }
            j = std::move(rebuilt);
        }
        for (auto it = j.begin(); it != j.end(); ++it)
            walk(it.value(), pointer + "/" + pointerToken(it.key()), changed);
    }
}

} // namespace

std::string dumpForTerminal(const nlohmann::json& j, int indent)
{
    const std::string text = j.dump(indent);
    if (!needsEscape(text))
        return text;
    // Outside strings the text is ASCII without controls (indentation newlines aside), so every sequence
    // found here is inside a string, where a \u escape denotes the same character.
    std::string out;
    out.reserve(text.size() + 32);
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        len = std::min(len, text.size() - i);
        const std::string_view ch(text.data() + i, len);
        if (c != '\n' && needsEscape(ch)) {
            char32_t cp = c;
            if (len == 2)
                cp = (char32_t(c & 0x1F) << 6) | (text[i + 1] & 0x3F);
            else if (len == 3)
                cp = (char32_t(c & 0x0F) << 12) | (char32_t(text[i + 1] & 0x3F) << 6) | (text[i + 2] & 0x3F);
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            out += buf;
        } else {
            out.append(ch);
        }
        i += len;
    }
    return out;
}

std::vector<std::string> makeJsonPrintable(nlohmann::json& j)
{
    std::vector<std::string> changed;
    walk(j, "", changed);
    std::sort(changed.begin(), changed.end());
    return changed;
}

} // namespace attnscope
