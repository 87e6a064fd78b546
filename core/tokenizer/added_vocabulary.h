// Added and special tokens (tokenizer.json added_tokens; GGUF control/user-defined tokens): matched in the
// text before the model runs, leftmost then longest, honouring lstrip/rstrip/single_word (FORMATS.md §5.1).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/span_text.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
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
    /// Tokens of one pass sorted by content (bytes compared unsigned), then by their order in the list, so the
    /// tokens sharing a prefix form one contiguous range: matching at a position narrows that range byte by
    /// byte, O(match length × log tokens), whatever the number of added tokens (Gemma 3 has ~6,400).
    struct Index {
        std::vector<size_t> sorted;          // indices into m_tokens
        std::array<bool, 256> firstByte{};   // some token starts with this byte
    };
    /// Index of the token matched at text[pos] (longest first, honouring single_word), or -1.
    long matchAt(const Index& index, std::string_view text, size_t pos) const;

    std::vector<AddedToken> m_tokens;
    Index m_index[2];   // [0] raw-text pass, [1] normalized pass
};

} // namespace attnscope
