// Added and special tokens (tokenizer.json added_tokens; GGUF control/user-defined tokens): matched in the
// text before the model runs, leftmost then longest, honouring lstrip/rstrip/single_word (HF tokenizers AddedVocabulary).
// Matching walks a sorted list of the token strings like a trie (no per-node memory): at each text position
// the candidate range narrows one byte at a time, so its cost depends on how far the text agrees with some
// token, not on how many tokens there are.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/span_text.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

class EncodeBudget;

struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false;
    bool lstrip = false;
    bool rstrip = false;
    bool singleWord = false;
    bool normalized = false;   // matched on normalized text (second pass) instead of the raw text
};

/// One piece of a split: either an added token (id >= 0) or plain text to run through the model.
struct AddedSplit {
    int32_t id = -1;
    size_t from = 0, to = 0;   // byte range in the text that was split
};

class AddedVocabulary {
public:
    void setTokens(std::vector<AddedToken> tokens);
    const std::vector<AddedToken>& tokens() const { return m_tokens; }
    /// Splits text with the tokens whose `normalized` flag equals `normalizedPass`; the work counts against
    /// the call's budget.
    std::vector<AddedSplit> split(std::string_view text, bool normalizedPass, EncodeBudget& budget) const;

private:
    std::vector<AddedToken> m_tokens;
    // Per pass (raw text, normalized text): indices of the non-empty tokens, sorted by content; equal contents
    // keep their order in the file, which decides between them as HF does.
    std::vector<uint32_t> m_sorted[2];
};

} // namespace attnscope
