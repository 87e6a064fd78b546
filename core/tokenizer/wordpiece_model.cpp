// WordPiece model step (BERT): greedy longest-match-first inside each pre-token, continuation pieces carry
// the "##" prefix; a word with no full segmentation, or longer than max_input_chars_per_word characters,
// becomes one unknown token (HF tokenizers WordPiece::tokenize). Candidates longer than the longest
// vocabulary string cannot match and are never built, so a long word costs O(chars × longest token).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/utf8.h"

#include <algorithm>

namespace attnscope {

void PipelineTokenizer::encodeWordPiece(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const
{
    const std::string& text = piece.text;
    // Character boundaries (byte offsets), so substrings never split a code point.
    std::vector<size_t> bounds;
    size_t pos = 0;
    while (pos < text.size()) {
        bounds.push_back(pos);
        size_t len = 1;
        bool ok = false;
        utf8::decode(text, pos, len, ok);
        pos += len;
    }
    bounds.push_back(text.size());
    const size_t nChars = bounds.size() - 1;
    if (nChars > m_spec.maxInputCharsPerWord) {
        out.push_back({m_unk, 0, text.size()});
        return;
    }
    const size_t firstOut = out.size();
    std::string candidate;
    size_t start = 0;   // index into bounds
    while (start < nChars) {
        // Longest candidate that fits in m_longestToken bytes (with the continuation prefix).
        const size_t prefixBytes = start > 0 ? m_spec.continuingSubwordPrefix.size() : 0;
        const size_t maxBytes = m_longestToken > prefixBytes ? m_longestToken - prefixBytes : 0;
        size_t end = static_cast<size_t>(std::upper_bound(bounds.begin() + static_cast<std::ptrdiff_t>(start),
                                                          bounds.end(), bounds[start] + maxBytes) -
                                         bounds.begin()) - 1;
        int32_t found = -1;
        while (end > start) {
            budget.tick("model", prefixBytes + bounds[end] - bounds[start]);
            candidate.clear();
            if (start > 0)
                candidate = m_spec.continuingSubwordPrefix;
            candidate.append(text, bounds[start], bounds[end] - bounds[start]);
            auto it = m_vocab.find(candidate);
            if (it != m_vocab.end()) {
                found = it->second;
                break;
            }
            --end;
        }
        if (found < 0) {
            out.resize(firstOut);
            out.push_back({m_unk, 0, text.size()});
            return;
        }
        out.push_back({found, bounds[start], bounds[end]});
        start = end;
    }
}

} // namespace attnscope
