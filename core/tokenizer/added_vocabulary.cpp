// Added-token matching (HF tokenizers AddedVocabulary semantics: leftmost, then longest; implemented as a walk
// over the sorted token strings instead of aho-corasick, see added_vocabulary.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/encode_budget.h"
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
    for (auto& v : m_sorted)
        v.clear();
    for (size_t i = 0; i < m_tokens.size(); ++i)
        if (!m_tokens[i].content.empty())
            m_sorted[m_tokens[i].normalized ? 1 : 0].push_back(static_cast<uint32_t>(i));
    for (auto& v : m_sorted)
        std::stable_sort(v.begin(), v.end(), [&](uint32_t a, uint32_t b) { return m_tokens[a].content < m_tokens[b].content; });
}

std::vector<AddedSplit> AddedVocabulary::split(std::string_view text, bool normalizedPass, EncodeBudget& budget) const
{
    std::vector<AddedSplit> out;
    const auto& sorted = m_sorted[normalizedPass ? 1 : 0];
    if (sorted.empty()) {
        if (!text.empty())
            out.push_back({-1, 0, text.size()});
        return out;
    }
    // Cost of one narrowing step (two binary searches), for the budget.
    uint64_t stepCost = 2;
    for (size_t n = sorted.size(); n > 1; n >>= 1)
        stepCost += 2;

    std::vector<uint32_t> matches;   // tokens equal to text[pos, pos + length), shortest first
    size_t plainStart = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        // Invariant: every token in [lo, hi) starts with text[pos, pos + depth); those exactly that long sort
        // first. Record them as matches, then narrow to the ones whose next byte is the text's next byte.
        matches.clear();
        size_t lo = 0, hi = sorted.size(), depth = 0;
        while (true) {
            while (lo < hi && m_tokens[sorted[lo]].content.size() == depth)
                matches.push_back(sorted[lo++]);
            if (lo >= hi || pos + depth >= text.size())
                break;
            const auto c = static_cast<unsigned char>(text[pos + depth]);
            auto byteAt = [&](uint32_t k) { return static_cast<unsigned char>(m_tokens[k].content[depth]); };
            lo = static_cast<size_t>(std::lower_bound(sorted.begin() + lo, sorted.begin() + hi, c,
                                                      [&](uint32_t k, unsigned char v) { return byteAt(k) < v; }) -
                                     sorted.begin());
            hi = static_cast<size_t>(std::upper_bound(sorted.begin() + lo, sorted.begin() + hi, c,
                                                      [&](unsigned char v, uint32_t k) { return v < byteAt(k); }) -
                                     sorted.begin());
            ++depth;
            budget.tick("added_tokens", stepCost);
        }
        budget.tick("added_tokens", matches.size() + 1);
        // Longest first; among equal strings the file's order (stable sort) decides.
        const AddedToken* hit = nullptr;
        for (size_t end = matches.size(); end > 0 && !hit;) {
            const size_t len = m_tokens[matches[end - 1]].content.size();
            size_t begin = end;
            while (begin > 0 && m_tokens[matches[begin - 1]].content.size() == len)
                --begin;
            for (size_t i = begin; i < end && !hit; ++i) {
                const AddedToken& t = m_tokens[matches[i]];
                if (t.singleWord && (isWordChar(text, pos, true) || isWordChar(text, pos + len, false)))
                    continue;
                hit = &t;
            }
            end = begin;
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
