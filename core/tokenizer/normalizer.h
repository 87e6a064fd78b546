// Normalizer stages of the HF pipeline (tokenizer.json "normalizer"): NFC, Lowercase, BertNormalizer,
// Replace, Prepend, Sequence. They rewrite SpanText so byte spans into the user's text survive.
// Unicode coverage (no ICU): character classes come from PCRE2's tables; lowercase uses the C library's
// towlower in the C.UTF-8 locale; canonical decomposition/composition is a compact built-in table for
// Latin-1 Supplement and Latin Extended-A (accent stripping drops every \p{Mn} after it). NFC on text that
// would need compositions outside that table raises an Error instead of silently producing other ids.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/span_text.h"

#include <memory>
#include <string>
#include <vector>

namespace attnscope {

class EncodeBudget;
class Regex;

struct NormalizerStep {
    enum class Kind { Nfc, Lowercase, Bert, Replace, Prepend };
    Kind kind = Kind::Nfc;
    // BertNormalizer flags
    bool cleanText = true, handleChineseChars = true, stripAccents = true, lowercase = true;
    // Replace / Prepend
    std::string pattern, content;
};

class Normalizer {
public:
    explicit Normalizer(std::vector<NormalizerStep> steps, std::string where);
    ~Normalizer();
    bool empty() const { return m_steps.empty(); }
    /// Throws Error(Tokenizer) when the text needs Unicode tables we do not carry (see header comment), or when
    /// a step would grow the text past the call's budget or the call runs out of time (encode_budget.h).
    SpanText apply(SpanText in, EncodeBudget& budget) const;

private:
    std::vector<NormalizerStep> m_steps;
    std::string m_where;
    std::unique_ptr<Regex> m_control, m_space, m_chinese, m_nonspacingMark, m_mark;
};

/// Canonical decomposition of one code point from the compact table (Latin-1 + Latin Extended-A):
/// base letter + combining marks; returns false when the code point has none in the table.
bool canonicalDecompose(char32_t cp, std::u32string& out);
/// Full lowercase mapping as Rust's char::to_lowercase (U+0130 becomes two code points).
void appendLowercase(std::string& out, char32_t cp);

} // namespace attnscope
