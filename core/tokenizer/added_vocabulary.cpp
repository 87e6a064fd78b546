// Added-token matching (HF tokenizers AddedVocabulary semantics, implemented without aho-corasick: the tokens
// are kept sorted, and each text position narrows the range of tokens that share its next bytes).
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
    for (auto& ix : m_index) {
        ix.sorted.clear();
        ix.firstByte.fill(false);
    }
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        if (m_tokens[i].content.empty())
            continue;
        Index& ix = m_index[m_tokens[i].normalized ? 1 : 0];
        ix.sorted.push_back(i);
        ix.firstByte[static_cast<unsigned char>(m_tokens[i].content[0])] = true;
    }
    // std::string compares bytes as unsigned char, the order the byte-wise narrowing in matchAt relies on.
    for (auto& ix : m_index)
        std::stable_sort(ix.sorted.begin(), ix.sorted.end(),
                         [&](size_t a, size_t b) { return m_tokens[a].content < m_tokens[b].content; });
}

long AddedVocabulary::matchAt(const Index& index, std::string_view text, size_t pos) const
{
    // [lo, hi): the tokens whose first `len` bytes equal text[pos, pos + len). Within it, tokens of exactly
    // `len` bytes sort first; they are the complete matches of that length (equal strings, list order kept).
    size_t lo = 0, hi = index.sorted.size();
    std::vector<std::pair<size_t, size_t>> complete;   // [from, to) ranges of complete matches, by length
    for (size_t len = 1; pos + len <= text.size() && lo < hi; ++len) {
        const unsigned char c = static_cast<unsigned char>(text[pos + len - 1]);
        auto byteAt = [&](size_t k) -> int {   // -1 for tokens shorter than len
            const std::string& t = m_tokens[index.sorted[k]].content;
            return t.size() < len ? -1 : static_cast<unsigned char>(t[len - 1]);
        };
        size_t a = lo, b = hi;
        while (a < b) {   // first token with byte >= c
            const size_t mid = a + (b - a) / 2;
            if (byteAt(mid) < int(c))
                a = mid + 1;
            else
                b = mid;
        }
        size_t e = a, f = hi;
        while (e < f) {   // first token with byte > c
            const size_t mid = e + (f - e) / 2;
            if (byteAt(mid) <= int(c))
                e = mid + 1;
            else
                f = mid;
        }
        lo = a;
        hi = e;
        size_t full = lo;
        while (full < hi && m_tokens[index.sorted[full]].content.size() == len)
            ++full;
        if (full > lo)
            complete.emplace_back(lo, full);
    }
    for (auto it = complete.rbegin(); it != complete.rend(); ++it)
        for (size_t k = it->first; k < it->second; ++k) {
            const AddedToken& t = m_tokens[index.sorted[k]];
            if (t.singleWord && (isWordChar(text, pos, true) || isWordChar(text, pos + t.content.size(), false)))
                continue;
            return long(index.sorted[k]);
        }
    return -1;
}

std::vector<AddedSplit> AddedVocabulary::split(std::string_view text, bool normalizedPass) const
{
    std::vector<AddedSplit> out;
    const Index& index = m_index[normalizedPass ? 1 : 0];
    if (index.sorted.empty()) {
        if (!text.empty())
            out.push_back({-1, 0, text.size()});
        return out;
    }
    size_t plainStart = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const long k = index.firstByte[static_cast<unsigned char>(text[pos])] ? matchAt(index, text, pos) : -1;
        if (k < 0) {
            ++pos;
            continue;
        }
        const AddedToken& hit = m_tokens[size_t(k)];
        size_t from = pos, to = pos + hit.content.size();
        if (hit.lstrip)
            while (from > plainStart && isSpaceByte(text[from - 1]))
                --from;
        if (hit.rstrip)
            while (to < text.size() && isSpaceByte(text[to]))
                ++to;
        if (from > plainStart)
            out.push_back({-1, plainStart, from});
        out.push_back({hit.id, from, to});
        plainStart = pos = to;
    }
    if (plainStart < text.size())
        out.push_back({-1, plainStart, text.size()});
    return out;
}

} // namespace attnscope
