// SentencePiece BPE model step (GGUF tokenizer.ggml.model = "llama": Gemma, Llama-2, Mistral, ...), as
// SentencePiece's bpe_model.cc and llama.cpp's llm_tokenizer_spm (src/llama-vocab.cpp) do it:
//   1. one symbol per UTF-8 character of the normalized text (spaces are already U+2581);
//   2. repeatedly merge the adjacent pair whose concatenation is a piece with the highest score (ties: the
//      leftmost pair), with a priority queue over a linked list of symbols, O(n log n);
//   3. resegment: a symbol that is an unused piece is split back into the pair that formed it; a symbol that is
//      no piece at all (a character missing from the vocabulary) becomes its bytes as <0xNN> pieces (byte
//      fallback), or the unknown token where byte pieces are missing (consecutive unknowns fused into one).
// There is no merge list: the scores decide. Added tokens (control, user-defined) were split out before.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/encode_budget.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/utf8.h"
#include "core/util/error.h"

#include <queue>

namespace attnscope {
namespace {

struct Symbol {
    size_t from, to;   // byte range in the piece text; from == to once merged into its left neighbour
    int prev, next;
};

struct Bigram {
    float score;
    int left, right;
    size_t size;   // bytes of the merged piece, to detect stale entries
    bool operator<(const Bigram& o) const   // std::priority_queue pops the largest: best score, then leftmost
    {
        return score != o.score ? score < o.score : left > o.left;
    }
};

} // namespace

void PipelineTokenizer::setUpSentencePiece()
{
    const auto& s = m_spec;
    const size_t n = m_tokenText.size();
    m_pieces.reserve(n);
    for (size_t id = 0; id < n; ++id) {
        const PieceType type = s.pieceTypes[id];
        const std::string& t = m_tokenText[id];
        if (!(type == PieceType::Normal || type == PieceType::Undefined || type == PieceType::UserDefined
              || type == PieceType::Unused)
            || t.empty())
            continue;
        // User-defined pieces stay pieces, as in SentencePiece, although the added-token pass has already split
        // every occurrence out of the text (those stored with spaces could not match the U+2581 text anyway).
        if (m_pieces.emplace(std::string_view(t), int32_t(id)).second) {
            m_maxPieceBytes = std::max(m_maxPieceBytes, t.size());
            m_hasUnused = m_hasUnused || type == PieceType::Unused;
        }
    }
    // Every character must have some encoding: all 256 byte pieces, or an unknown token.
    if (m_unk < 0)
        for (int b = 0; b < 256; ++b)
            if (m_fallbackIds[b] < 0)
                throw Error(ErrorKind::Tokenizer, s.source, "unk_token", -1,
                            "the vocabulary has no unknown token and no byte piece <0x"
                                + std::string(1, "0123456789ABCDEF"[b >> 4]) + std::string(1, "0123456789ABCDEF"[b & 15])
                                + ">, so text with characters outside the vocabulary could not be encoded");
}

void PipelineTokenizer::encodeSentencePiece(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const
{
    const std::string& text = piece.text;
    budget.tick("model", text.size() + 1);
    std::vector<Symbol> sym;
    sym.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        size_t len = 1;
        bool ok = false;
        utf8::decode(text, pos, len, ok);
        const int idx = int(sym.size());
        sym.push_back({pos, pos + len, idx - 1, -1});
        if (idx > 0)
            sym[idx - 1].next = idx;
        pos += len;
    }

    auto lookup = [&](size_t from, size_t to) -> int32_t {
        if (to - from > m_maxPieceBytes)
            return -1;
        auto it = m_pieces.find(std::string_view(text).substr(from, to - from));
        return it == m_pieces.end() ? -1 : it->second;
    };
    // Unused pieces are resegmented into the pair that formed them (SentencePiece keeps the last pair queued for
    // each piece text); only needed when the vocabulary has unused pieces.
    std::unordered_map<std::string_view, std::pair<std::pair<size_t, size_t>, std::pair<size_t, size_t>>> revMerge;
    std::priority_queue<Bigram> queue;
    auto tryAdd = [&](int l, int r) {
        if (l < 0 || r < 0)
            return;
        const int32_t id = lookup(sym[l].from, sym[r].to);
        if (id < 0)
            return;
        queue.push({m_spec.pieceScores[id], l, r, sym[r].to - sym[l].from});
        if (m_hasUnused && m_spec.pieceTypes[id] == PieceType::Unused)
            revMerge[std::string_view(text).substr(sym[l].from, sym[r].to - sym[l].from)] = {
                {sym[l].from, sym[l].to}, {sym[r].from, sym[r].to}};
    };
    for (int i = 0; i + 1 < int(sym.size()); ++i)
        tryAdd(i, i + 1);
    while (!queue.empty()) {
        budget.tick("model");
        const Bigram top = queue.top();
        queue.pop();
        Symbol& left = sym[top.left];
        Symbol& right = sym[top.right];
        // Stale: one side was merged since (its size changed or it is gone).
        if (left.from == left.to || right.from == right.to || (left.to - left.from) + (right.to - right.from) != top.size)
            continue;
        left.to = right.to;
        right.from = right.to;
        left.next = right.next;
        if (right.next >= 0)
            sym[right.next].prev = top.left;
        tryAdd(left.prev, top.left);
        tryAdd(top.left, left.next);
    }

    // Resegmentation and byte fallback, with an explicit stack (pieces are at most kMaxTokenBytes long).
    auto emitUnknown = [&](size_t from, size_t to) {
        if (!out.empty() && out.back().id == m_unk && out.back().to == from)
            out.back().to = to;   // fuse consecutive unknowns, as SentencePiece and HF (fuse_unk) do
        else
            out.push_back({m_unk, from, to});
    };
    std::vector<std::pair<size_t, size_t>> stack;
    for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next) {
        stack.assign(1, {sym[i].from, sym[i].to});
        while (!stack.empty()) {
            const auto [from, to] = stack.back();
            stack.pop_back();
            const int32_t id = lookup(from, to);
            if (id >= 0) {
                if (m_hasUnused && m_spec.pieceTypes[id] == PieceType::Unused) {
                    auto it = revMerge.find(std::string_view(text).substr(from, to - from));
                    if (it != revMerge.end()) {
                        // The recorded pair may come from another occurrence of the same text: shift it here.
                        const auto& [l, r] = it->second;
                        const size_t base = l.first;
                        stack.push_back({from + (r.first - base), from + (r.second - base)});
                        stack.push_back({from + (l.first - base), from + (l.second - base)});
                        continue;
                    }
                }
                out.push_back({id, from, to});
                continue;
            }
            // Not a piece: a single character the vocabulary lacks. Its bytes, or unknown.
            bool allBytes = true;
            for (size_t k = from; k < to; ++k)
                allBytes = allBytes && m_fallbackIds[static_cast<unsigned char>(text[k])] >= 0;
            if (allBytes)
                for (size_t k = from; k < to; ++k)
                    out.push_back({m_fallbackIds[static_cast<unsigned char>(text[k])], k, k + 1});
            else
                emitUnknown(from, to);
        }
    }
}

} // namespace attnscope
