// BPE model step: merges applied by rank with a priority queue over a linked list of symbols, the same order
// HF tokenizers uses (lowest rank first, then leftmost), so long pieces (100,000 × "a") stay O(n log n).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/byte_unicode.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/utf8.h"

#include <queue>

namespace attnscope {
namespace {

struct Symbol {
    int32_t id;
    int prev, next;
    size_t from, to;
    bool alive;
};

struct Candidate {
    uint32_t rank;
    int pos;
    int32_t merged;
    bool operator<(const Candidate& o) const   // std::priority_queue is a max-heap: invert
    {
        return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
};

} // namespace

void PipelineTokenizer::encodeBpe(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const
{
    const std::string& text = piece.text;
    budget.tick("model", text.size() + 1);
    std::vector<Symbol> sym;
    sym.reserve(text.size());
    auto addSymbol = [&](int32_t id, size_t from, size_t to) {
        const int idx = int(sym.size());
        sym.push_back({id, idx - 1, -1, from, to, true});
        if (idx > 0)
            sym[idx - 1].next = idx;
    };

    if (m_spec.byteLevel) {
        if (m_spec.ignoreMerges) {
            // The whole piece as one token when the vocabulary has it (Llama-3, gpt-oss).
            std::string mapped;
            for (unsigned char c : text)
                mapped += byteToUnicode(c);
            auto it = m_vocab.find(mapped);
            if (it != m_vocab.end()) {
                out.push_back({it->second, 0, text.size()});
                return;
            }
        }
        for (size_t i = 0; i < text.size(); ++i) {
            const int32_t id = m_byteIds[static_cast<unsigned char>(text[i])];
            if (id >= 0)
                addSymbol(id, i, i + 1);
            else if (m_unk >= 0)
                addSymbol(m_unk, i, i + 1);
            // else: HF drops symbols it cannot represent when there is no unknown token
        }
    } else {
        if (m_spec.ignoreMerges) {
            auto it = m_vocab.find(text);
            if (it != m_vocab.end()) {
                out.push_back({it->second, 0, text.size()});
                return;
            }
        }
        size_t pos = 0;
        while (pos < text.size()) {
            size_t len = 1;
            bool ok = false;
            utf8::decode(text, pos, len, ok);
            auto it = m_vocab.find(text.substr(pos, len));
            if (it != m_vocab.end()) {
                addSymbol(it->second, pos, pos + len);
            } else if (m_spec.byteFallback && m_fallbackIds[static_cast<unsigned char>(text[pos])] >= 0) {
                for (size_t k = pos; k < pos + len; ++k) {
                    const int32_t fb = m_fallbackIds[static_cast<unsigned char>(text[k])];
                    addSymbol(fb >= 0 ? fb : (m_unk >= 0 ? m_unk : fb), k, k + 1);
                }
                if (sym.back().id < 0)
                    sym.pop_back();
            } else if (m_unk >= 0) {
                addSymbol(m_unk, pos, pos + len);
            }
            pos += len;
        }
    }

    auto lookup = [&](int32_t a, int32_t b, Candidate& c) {
        auto it = m_merges.find((uint64_t(uint32_t(a)) << 32) | uint32_t(b));
        if (it == m_merges.end())
            return false;
        c.rank = it->second.first;
        c.merged = it->second.second;
        return true;
    };
    std::priority_queue<Candidate> queue;
    for (int i = 0; i + 1 < int(sym.size()); ++i) {
        Candidate c{0, i, -1};
        if (lookup(sym[i].id, sym[i + 1].id, c))
            queue.push(c);
    }
    while (!queue.empty()) {
        budget.tick("model");
        const Candidate top = queue.top();
        queue.pop();
        Symbol& left = sym[top.pos];
        if (!left.alive || left.next < 0)
            continue;
        Symbol& right = sym[left.next];
        Candidate check{0, top.pos, -1};
        // Stale entries: the pair changed since it was queued.
        if (!lookup(left.id, right.id, check) || check.merged != top.merged)
            continue;
        left.id = top.merged;
        left.to = right.to;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0)
            sym[right.next].prev = top.pos;
        if (left.prev >= 0) {
            Candidate c{0, left.prev, -1};
            if (lookup(sym[left.prev].id, left.id, c))
                queue.push(c);
        }
        if (left.next >= 0) {
            Candidate c{0, top.pos, -1};
            if (lookup(left.id, sym[left.next].id, c))
                queue.push(c);
        }
    }
    for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next)
        out.push_back({sym[i].id, sym[i].from, sym[i].to});
}

} // namespace attnscope
