// Pre-tokenizer stages, following HF tokenizers' split semantics (normalizer.rs `split`): matches and the
// gaps between them become pieces, then the delimiter behaviour decides what is kept and merged.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/encode_budget.h"

#include <algorithm>

namespace attnscope {

const char* const kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

namespace {

// HF's is_bert_punc: ASCII punctuation or any Unicode P* character.
const char* const kBertPunct = "[\\p{P}!-/:-@\\[-`{-~]";

struct Part {
    size_t b, e;
    bool match;
};

void splitPiece(const PreTokenizerStep& step, SpanText piece, std::vector<SpanText>& out, EncodeBudget& budget)
{
    budget.tick("pre_tokenizer", piece.text.size() + 1);
    if (step.kind == PreTokenizerStep::Kind::ByteLevel) {
        // HF prepends the space to every piece that reaches this stage without one; it stands for no
        // original bytes (empty span).
        if (step.addPrefixSpace && (piece.text.empty() || piece.text[0] != ' ')) {
            SpanText p;
            const uint32_t at = piece.begin.empty() ? 0 : piece.begin[0];
            p.append(" ", at, at);
            p.appendFrom(piece, 0, piece.text.size());
            piece = std::move(p);
        }
        if (!step.regex) {
            if (!piece.empty())
                out.push_back(std::move(piece));
            return;
        }
    }
    std::vector<Part> parts;
    size_t prev = 0;
    step.regex->forEachMatch(
        piece.text,
        [&](size_t b, size_t e) {
            if (b > prev)
                parts.push_back({prev, b, false});
            parts.push_back({b, e, true});
            prev = e;
        },
        budget, "pre_tokenizer");
    if (prev < piece.text.size())
        parts.push_back({prev, piece.text.size(), false});
    if (step.invert)
        for (auto& p : parts)
            p.match = !p.match;

    std::vector<Part> kept;   // .match here means "remove"
    const SplitBehavior behavior = step.kind == PreTokenizerStep::Kind::ByteLevel ? SplitBehavior::Isolated
                                                                                  : step.behavior;
    switch (behavior) {
    case SplitBehavior::Isolated:
        for (const auto& p : parts)
            kept.push_back({p.b, p.e, false});
        break;
    case SplitBehavior::Removed:
        kept = parts;
        break;
    case SplitBehavior::Contiguous: {
        bool previous = false;
        for (const auto& p : parts) {
            if (p.match == previous && !kept.empty())
                kept.back().e = p.e;
            else
                kept.push_back({p.b, p.e, false});
            previous = p.match;
        }
        break;
    }
    case SplitBehavior::MergedWithPrevious: {
        bool previous = false;
        for (const auto& p : parts) {
            if (p.match && !previous && !kept.empty())
                kept.back().e = p.e;
            else
                kept.push_back({p.b, p.e, false});
            previous = p.match;
        }
        break;
    }
    case SplitBehavior::MergedWithNext: {
        bool previous = false;
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
            if (it->match && !previous && !kept.empty())
                kept.back().b = it->b;
            else
                kept.push_back({it->b, it->e, false});
            previous = it->match;
        }
        std::reverse(kept.begin(), kept.end());
        break;
    }
    }
    for (const auto& p : kept)
        if (!p.match && p.e > p.b)
            out.push_back(piece.slice(p.b, p.e));
}

} // namespace

std::vector<SpanText> PreTokenizer::apply(SpanText in, EncodeBudget& budget) const
{
    std::vector<SpanText> pieces;
    if (in.empty())
        return pieces;
    pieces.push_back(std::move(in));
    for (const auto& step : m_steps) {
        std::vector<SpanText> next;
        next.reserve(pieces.size());
        budget.checkTime("pre_tokenizer");
        for (auto& p : pieces)
            splitPiece(step, std::move(p), next, budget);
        pieces = std::move(next);
    }
    return pieces;
}

PreTokenizerStep PreTokenizer::split(std::shared_ptr<const Regex> re, SplitBehavior b, bool invert)
{
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::Split;
    s.regex = std::move(re);
    s.behavior = b;
    s.invert = invert;
    return s;
}

std::vector<PreTokenizerStep> PreTokenizer::bert(const std::string& where)
{
    // Whitespace is removed and every punctuation character stands alone: keep only the matches of
    // "run of non-space non-punctuation | one punctuation character".
    const std::string pattern = std::string("[^\\s") + (kBertPunct + 1) + "+|" + kBertPunct;
    return {split(std::make_shared<Regex>(pattern, where), SplitBehavior::Removed, true)};
}

PreTokenizerStep PreTokenizer::whitespace(const std::string& where)
{
    // HF's pattern is \w+|[^\w\s]+ under Oniguruma, whose \w also covers marks and connector punctuation;
    // PCRE2 10.42's UCP \w does not, so they are spelled out.
    return split(std::make_shared<Regex>("[\\w\\p{M}\\p{Pc}]+|[^\\w\\p{M}\\p{Pc}\\s]+", where), SplitBehavior::Removed,
                 true);
}

PreTokenizerStep PreTokenizer::whitespaceSplit(const std::string& where)
{
    return split(std::make_shared<Regex>("\\s+", where), SplitBehavior::Removed, false);
}

PreTokenizerStep PreTokenizer::digits(bool individual, const std::string& where)
{
    // HF Digits uses char::is_numeric (all of \p{N}); runs are one piece unless individual_digits.
    return split(std::make_shared<Regex>(individual ? "\\p{N}" : "\\p{N}+", where), SplitBehavior::Isolated, false);
}

PreTokenizerStep PreTokenizer::punctuation(SplitBehavior b, const std::string& where)
{
    return split(std::make_shared<Regex>(kBertPunct, where), b, false);
}

PreTokenizerStep PreTokenizer::byteLevel(bool addPrefixSpace, bool useRegex, const std::string& where)
{
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::ByteLevel;
    s.addPrefixSpace = addPrefixSpace;
    if (useRegex)
        s.regex = std::make_shared<Regex>(kGpt2Pattern, where);
    return s;
}

} // namespace attnscope
