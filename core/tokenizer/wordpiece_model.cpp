// WordPiece model step (BERT): greedy longest-match-first inside each pre-token, continuation pieces carry
// the "##" prefix; a word with no full segmentation, or longer than max_input_chars_per_word characters,
// becomes one unknown token (HF tokenizers WordPiece::tokenize).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/utf8.h"

namespace attnscope {

void PipelineTokenizer::encodeWordPiece(const SpanText& piece, std::vector<Piece>& out) const
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
        size_t end = nChars;
        int32_t found = -1;
        while (end > start) {
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
