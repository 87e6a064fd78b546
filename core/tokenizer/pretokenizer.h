// Pre-tokenizer stages: split normalized text into pieces before the model runs (tokenizer.json
// "pre_tokenizer", and the GGUF tokenizer.ggml.pre regex lists of llama.cpp src/llama-vocab.cpp).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/regex.h"
#include "core/tokenizer/span_text.h"

#include <memory>
#include <string>
#include <vector>

namespace attnscope {

class EncodeBudget;

/// HF SplitDelimiterBehavior.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct PreTokenizerStep {
    enum class Kind { Split, ByteLevel };
    Kind kind = Kind::Split;
    std::shared_ptr<const Regex> regex;   // Split; ByteLevel when useRegex
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    bool addPrefixSpace = false;          // ByteLevel
};

/// The GPT-2 pattern HF's ByteLevel pre-tokenizer uses when use_regex is true.
extern const char* const kGpt2Pattern;

class PreTokenizer {
public:
    explicit PreTokenizer(std::vector<PreTokenizerStep> steps)
        : m_steps(std::move(steps))
    {
    }
    /// Splits one normalized segment into pieces (never empty pieces), within the call's time budget.
    std::vector<SpanText> apply(SpanText in, EncodeBudget& budget) const;

    // Builders for the tokenizer.json types, expressed as Split steps over PCRE2 patterns.
    static PreTokenizerStep split(std::shared_ptr<const Regex> re, SplitBehavior b, bool invert);
    static std::vector<PreTokenizerStep> bert(const std::string& where);
    static PreTokenizerStep whitespace(const std::string& where);
    static PreTokenizerStep whitespaceSplit(const std::string& where);
    static PreTokenizerStep digits(bool individual, const std::string& where);
    static PreTokenizerStep punctuation(SplitBehavior b, const std::string& where);
    static PreTokenizerStep byteLevel(bool addPrefixSpace, bool useRegex, const std::string& where);

private:
    std::vector<PreTokenizerStep> m_steps;
};

} // namespace attnscope
