// Added-token matching (HF tokenizers AddedVocabulary semantics, implemented without aho-corasick: the token
// lists are short, and each text position tries only tokens that start with its byte).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/utf8.h"

#include <algorithm>

namespace attnscope {
namespace {

bool isSpaceByte(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// single_word: the match must not touch a word character on either side (HF: is_alphanumeric or '_'),
// decided on the neighbouring code points.
bool isWordChar(std::string_view text, size_t pos, bool before)
{
    if (before) {
        if (pos == 0)
            return false;
        size_t start = pos - 1;
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
            --start;
        pos = start;
    } else if (pos >= text.size()) {
        return false;
    }
    size_t len = 1;
    bool ok = false;
    const char32_t cp = utf8::decode(text, pos, len, ok);
    if (!ok)
        return false;
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
    // Non-ASCII letters and digits also count; whitespace and punctuation in these ranges do not.
    return !(cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000 || (cp >= 0x3001 && cp <= 0x303F));
}

} // namespace

void AddedVocabulary::setTokens(std::vector<AddedToken> tokens)
{
    m_tokens = std::move(tokens);
    for (auto& m : m_byFirstByte)
        m.clear();
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        if (m_tokens[i].content.empty())
            continue;
        m_byFirstByte[m_tokens[i].normalized ? 1 : 0][static_cast<unsigned char>(m_tokens[i].content[0])].push_back(i);
    }
    for (auto& m : m_byFirstByte)
        for (auto& [_, list] : m)
            std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
                return m_tokens[a].content.size() > m_tokens[b].content.size();
            });
}

std::vector<AddedSplit> AddedVocabulary::split(std::string_view text, bool normalizedPass) const
{
    std::vector<AddedSplit> out;
    const auto& index = m_byFirstByte[normalizedPass ? 1 : 0];
    if (index.empty()) {
        if (!text.empty())
            out.push_back({-1, 0, text.size()});
        return out;
    }
    size_t plainStart = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        auto it = index.find(static_cast<unsigned char>(text[pos]));
        const AddedToken* hit = nullptr;
        if (it != index.end()) {
            for (size_t k : it->second) {
                const auto& t = m_tokens[k];
                if (text.compare(pos, t.content.size(), t.content) != 0)
                    continue;
                if (t.singleWord
                    && (isWordChar(text, pos, true) || isWordChar(text, pos + t.content.size(), false)))
                    continue;
                hit = &t;
                break;
            }
        }
        if (!hit) {
            ++pos;
            continue;
        }
        size_t from = pos, to = pos + hit->content.size();
        if (hit->lstrip)
            while (from > plainStart && isSpaceByte(text[from - 1]))
                --from;
        if (hit->rstrip)
            while (to < text.size() && isSpaceByte(text[to]))
                ++to;
        if (from > plainStart)
            out.push_back({-1, plainStart, from});
        out.push_back({hit->id, from, to});
        plainStart = pos = to;
    }
    if (plainStart < text.size())
        out.push_back({-1, plainStart, text.size()});
    return out;
}

} // namespace attnscope
