// Normalizer stages (see normalizer.h for the Unicode coverage and why it is built this way).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/encode_budget.h"
#include "core/tokenizer/regex.h"
#include "core/tokenizer/utf8.h"
#include "core/util/error.h"

#include <algorithm>
#include <clocale>
#include <cwctype>
#include <locale.h>
#include <unordered_map>

namespace attnscope {
namespace {

#include "core/tokenizer/unicode_tables.inc"

constexpr char32_t kHangulBase = 0xAC00, kJamoL = 0x1100, kJamoV = 0x1161, kJamoT = 0x11A7;
constexpr int kJamoVCount = 21, kJamoTCount = 28, kHangulCount = 11172;

struct Tables {
    std::unordered_map<char32_t, size_t> decomposition;   // cp -> row in kDecompositions
    std::unordered_map<uint64_t, char32_t> composition;   // (first << 32 | second) -> composite
    locale_t utf8Locale = nullptr;
    Tables()
    {
        for (size_t i = 0; i < std::size(kDecompositions); ++i)
            decomposition.emplace(kDecompositions[i][0], i);
        for (const auto& c : kCompositions)
            composition.emplace((uint64_t(c[0]) << 32) | c[1], c[2]);
        utf8Locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
    }
};

const Tables& tables()
{
    static const Tables t;
    return t;
}

void decomposeFull(char32_t cp, std::u32string& out)
{
    if (cp >= kHangulBase && cp < kHangulBase + kHangulCount) {
        const int s = int(cp - kHangulBase);
        out += char32_t(kJamoL + s / (kJamoVCount * kJamoTCount));
        out += char32_t(kJamoV + (s % (kJamoVCount * kJamoTCount)) / kJamoTCount);
        if (s % kJamoTCount)
            out += char32_t(kJamoT + s % kJamoTCount);
        return;
    }
    if (!canonicalDecompose(cp, out))
        out += cp;
}

bool composePair(char32_t a, char32_t b, char32_t& out)
{
    if (a >= kJamoL && a < kJamoL + 19 && b >= kJamoV && b < kJamoV + kJamoVCount) {
        out = kHangulBase + ((a - kJamoL) * kJamoVCount + (b - kJamoV)) * kJamoTCount;
        return true;
    }
    if (a >= kHangulBase && a < kHangulBase + kHangulCount && (a - kHangulBase) % kJamoTCount == 0 && b > kJamoT
        && b < kJamoT + kJamoTCount) {
        out = a + (b - kJamoT);
        return true;
    }
    const auto& t = tables().composition;
    auto it = t.find((uint64_t(a) << 32) | b);
    if (it == t.end())
        return false;
    out = it->second;
    return true;
}

// One decoded character of a SpanText with its original span.
struct Char {
    char32_t cp;
    bool valid;
    uint32_t b, e;
    size_t from, to;   // byte range in the SpanText
};

template <typename Fn>
void forEachChar(const SpanText& s, Fn fn)
{
    size_t pos = 0;
    while (pos < s.text.size()) {
        size_t len = 1;
        bool ok = false;
        const char32_t cp = utf8::decode(s.text, pos, len, ok);
        Char c{cp, ok, 0, 0, pos, pos + len};
        s.originalSpan(pos, pos + len, c.b, c.e);
        fn(c);
        pos += len;
    }
}

/// Appends the lowercased text of `in` to `out`, keeping each character's source span; invalid bytes pass through.
void lowercaseInto(const SpanText& in, SpanText& out)
{
    std::string buf;
    forEachChar(in, [&](const Char& c) {
        buf.clear();
        if (c.valid)
            appendLowercase(buf, c.cp);
        else
            buf.assign(in.text, c.from, c.to - c.from);
        out.append(buf, c.b, c.e);
    });
}

// Marks the characters a regex matches (PCRE2's Unicode tables decide the class).
std::vector<bool> classify(const Regex& re, const SpanText& s, EncodeBudget& budget)
{
    std::vector<bool> hit(s.text.size(), false);
    re.forEachMatch(
        s.text,
        [&](size_t b, size_t e) {
            for (size_t i = b; i < e; ++i)
                hit[i] = true;
        },
        budget, "normalizer");
    return hit;
}

const char* stepName(NormalizerStep::Kind k)
{
    switch (k) {
    case NormalizerStep::Kind::Nfc: return "NFC";
    case NormalizerStep::Kind::Lowercase: return "Lowercase";
    case NormalizerStep::Kind::Bert: return "BertNormalizer";
    case NormalizerStep::Kind::Replace: return "Replace";
    case NormalizerStep::Kind::Prepend: return "Prepend";
    }
    return "step";
}

} // namespace

bool canonicalDecompose(char32_t cp, std::u32string& out)
{
    const auto& t = tables().decomposition;
    auto it = t.find(cp);
    if (it == t.end())
        return false;
    const auto& row = kDecompositions[it->second];
    for (uint32_t k = 0; k < row[1]; ++k)
        out += char32_t(row[2 + k]);
    return true;
}

void appendLowercase(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        return;
    }
    if (cp == 0x130) {   // Rust's full mapping: "i" + combining dot above
        out += 'i';
        utf8::append(out, 0x307);
        return;
    }
    const auto& t = tables();
    char32_t lower = cp;
    if (t.utf8Locale)
        lower = static_cast<char32_t>(towlower_l(static_cast<wint_t>(cp), t.utf8Locale));
    else if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        lower = cp + 32;
    utf8::append(out, lower);
}

Normalizer::Normalizer(std::vector<NormalizerStep> steps, std::string where)
    : m_steps(std::move(steps))
    , m_where(std::move(where))
{
    // HF BertNormalizer: control = Cc/Cf/Cn/Co except \t \n \r; also NUL and U+FFFD are dropped.
    m_control = std::make_unique<Regex>("(?![\\t\\n\\r])[\\x{0}\\x{FFFD}\\p{Cc}\\p{Cf}\\p{Cn}\\p{Co}]", m_where);
    m_space = std::make_unique<Regex>("[\\s\\t\\n\\r]", m_where);
    m_chinese = std::make_unique<Regex>("[\\x{4E00}-\\x{9FFF}\\x{3400}-\\x{4DBF}\\x{20000}-\\x{2A6DF}"
                                        "\\x{2A700}-\\x{2B73F}\\x{2B740}-\\x{2B81F}\\x{2B920}-\\x{2CEAF}"
                                        "\\x{F900}-\\x{FAFF}\\x{2F800}-\\x{2FA1F}]",
                                        m_where);
    m_nonspacingMark = std::make_unique<Regex>("\\p{Mn}", m_where);
    m_mark = std::make_unique<Regex>("\\p{M}", m_where);
}

Normalizer::~Normalizer() = default;

SpanText Normalizer::apply(SpanText in, EncodeBudget& budget) const
{
    for (const auto& step : m_steps) {
        const char* name = stepName(step.kind);
        budget.checkTime("normalizer");
        SpanText out;
        out.text.reserve(in.text.size());
        std::string buf;
        switch (step.kind) {
        case NormalizerStep::Kind::Lowercase:
            lowercaseInto(in, out);
            break;
        case NormalizerStep::Kind::Bert: {
            const auto control = step.cleanText ? classify(*m_control, in, budget) : std::vector<bool>();
            const auto space = step.cleanText ? classify(*m_space, in, budget) : std::vector<bool>();
            const auto chinese = step.handleChineseChars ? classify(*m_chinese, in, budget) : std::vector<bool>();
            SpanText cleaned;
            forEachChar(in, [&](const Char& c) {
                if (step.cleanText && control[c.from])
                    return;
                if (step.cleanText && space[c.from]) {
                    cleaned.append(" ", c.b, c.e);
                    return;
                }
                if (step.handleChineseChars && chinese[c.from]) {
                    cleaned.append(" ", c.b, c.b);
                    cleaned.appendFrom(in, c.from, c.to);
                    cleaned.append(" ", c.e, c.e);
                    return;
                }
                cleaned.appendFrom(in, c.from, c.to);
            });
            if (step.stripAccents) {
                // NFD, then drop non-spacing marks (HF: nfd().filter(!is_mark_nonspacing)).
                SpanText nfd;
                std::u32string parts;
                forEachChar(cleaned, [&](const Char& c) {
                    parts.clear();
                    if (c.valid)
                        decomposeFull(c.cp, parts);
                    if (parts.empty()) {
                        nfd.appendFrom(cleaned, c.from, c.to);
                        return;
                    }
                    for (char32_t p : parts) {
                        buf.clear();
                        utf8::append(buf, p);
                        nfd.append(buf, c.b, c.e);
                    }
                });
                const auto mn = classify(*m_nonspacingMark, nfd, budget);
                SpanText kept;
                forEachChar(nfd, [&](const Char& c) {
                    if (!mn[c.from])
                        kept.appendFrom(nfd, c.from, c.to);
                });
                cleaned = std::move(kept);
            }
            if (step.lowercase) {
                lowercaseInto(cleaned, out);
            } else {
                out = std::move(cleaned);
            }
            break;
        }
        case NormalizerStep::Kind::Nfc: {
            // Decompose fully, then compose pairs left to right. Marks are not canonically reordered, so when a
            // mark that would compose is separated from its starter by another mark the result could differ
            // from HF's: refuse with a clear error rather than produce different ids.
            struct Cp { char32_t cp; uint32_t b, e; bool valid; std::string raw; };
            std::vector<Cp> seq;
            std::u32string parts;
            forEachChar(in, [&](const Char& c) {
                if (!c.valid) {
                    seq.push_back({0, c.b, c.e, false, in.text.substr(c.from, c.to - c.from)});
                    return;
                }
                parts.clear();
                decomposeFull(c.cp, parts);
                for (char32_t p : parts)
                    seq.push_back({p, c.b, c.e, true, {}});
            });
            SpanText marksProbe;
            for (const auto& c : seq) {
                buf.clear();
                if (c.valid)
                    utf8::append(buf, c.cp);
                else
                    buf = c.raw;
                marksProbe.append(buf, c.b, c.e);
            }
            const auto isMark = classify(*m_mark, marksProbe, budget);
            std::vector<bool> markPerCp;
            size_t off = 0;
            for (const auto& c : seq) {
                markPerCp.push_back(isMark[off]);
                off += c.valid ? (buf.clear(), utf8::append(buf, c.cp), buf.size()) : c.raw.size();
            }
            std::vector<Cp> composed;
            long starter = -1;
            bool blocked = false;
            for (size_t i = 0; i < seq.size(); ++i) {
                const auto& c = seq[i];
                char32_t result = 0;
                if (c.valid && starter >= 0 && composePair(composed[starter].cp, c.cp, result)) {
                    if (blocked)
                        throw Error(ErrorKind::Tokenizer, m_where, "normalizer.NFC", -1,
                                    "NFC of this text needs canonical reordering of combining marks, which this "
                                    "tokenizer does not support yet");
                    composed[starter].cp = result;
                    composed[starter].e = std::max(composed[starter].e, c.e);
                    composed[starter].b = std::min(composed[starter].b, c.b);
                    continue;
                }
                if (c.valid && !markPerCp[i]) {
                    starter = static_cast<long>(composed.size());
                    blocked = false;
                } else if (!c.valid) {
                    starter = -1;
                } else {
                    blocked = true;
                }
                composed.push_back(c);
            }
            for (const auto& c : composed) {
                buf.clear();
                if (c.valid)
                    utf8::append(buf, c.cp);
                else
                    buf = c.raw;
                out.append(buf, c.b, c.e);
            }
            break;
        }
        case NormalizerStep::Kind::Replace: {
            const std::string& pat = step.pattern;
            size_t pos = 0;
            while (pos < in.text.size()) {
                budget.tick("normalizer", pat.size() + 1);
                if (!pat.empty() && in.text.compare(pos, pat.size(), pat) == 0) {
                    // Checked as it grows: one step of a growing Replace must not allocate past the budget.
                    budget.checkNormalized(out.text.size() + step.content.size(), name);
                    uint32_t b, e;
                    in.originalSpan(pos, pos + pat.size(), b, e);
                    out.append(step.content, b, e);
                    pos += pat.size();
                } else {
                    out.appendFrom(in, pos, pos + 1);
                    ++pos;
                }
            }
            break;
        }
        case NormalizerStep::Kind::Prepend:
            if (!in.text.empty()) {
                budget.checkNormalized(in.text.size() + step.content.size(), name);
                const uint32_t at = in.begin.empty() ? 0 : in.begin[0];
                out.append(step.content, at, at);
                out.appendFrom(in, 0, in.text.size());
            }
            break;
        }
        // Each step's output stays within what the call may still produce (the others grow text at most a few
        // times, so checking after the step bounds their memory too).
        budget.checkNormalized(out.text.size(), name);
        in = std::move(out);
    }
    return in;
}

} // namespace attnscope
