// Added and special tokens (tokenizer.json added_tokens; GGUF control/user-defined tokens): matched in the
// text before the model runs, leftmost then longest, honouring lstrip/rstrip/single_word (FORMATS.md §5.1).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/span_text.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnscope {

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
    /// Splits text with the tokens whose `normalized` flag equals `normalizedPass`.
    std::vector<AddedSplit> split(std::string_view text, bool normalizedPass) const;

private:
    std::vector<AddedToken> m_tokens;
    // first byte -> indices of tokens starting with it, longest first (leftmost-longest matching)
    std::unordered_map<unsigned char, std::vector<size_t>> m_byFirstByte[2];
};

} // namespace attnscope
