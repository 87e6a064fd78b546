// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/induction_probe.h"

#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"

#include <set>

namespace attnscope {

namespace {

/// SplitMix64 (Steele et al. 2014): a tiny generator whose sequence is the same on every platform, unlike the
/// standard distributions.
struct SplitMix64 {
    uint64_t state;
    uint64_t next()
    {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

bool isWord(const std::string& s)
{
    if (s.size() < 2 || s.size() > 12)
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    return true;
}

} // namespace

InductionProbe makeInductionProbe(const Tokenizer& tok, int n, uint64_t seed)
{
    if (n < 2 || n > 4096)
        throw Error(ErrorKind::Usage, "", "induction probe", -1, "the probe needs 2..4096 random tokens");
    const int32_t vocab = tok.vocabSize();
    SplitMix64 rng{seed};
    InductionProbe probe;
    std::string copy;
    std::set<int32_t> used;
    const int maxDraws = 200 * n + 20000;
    for (int draw = 0; draw < maxDraws && static_cast<int>(probe.randomIds.size()) < n && vocab > 0; ++draw) {
        const auto id = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(vocab));
        if (used.count(id))
            continue;
        std::string bytes = tok.tokenBytes(id);
        const bool spaced = !bytes.empty() && bytes[0] == ' ';
        const std::string word = spaced ? bytes.substr(1) : bytes;
        if (!isWord(word))
            continue;
        const std::string piece = " " + word;
        const TokenizedText alone = tok.encode(piece, false);
        if (alone.ids.size() != 1 || alone.ids[0] != id)
            continue;   // the word does not come back as this one token when typed
        used.insert(id);
        probe.randomIds.push_back(id);
        copy += piece;
    }
    if (static_cast<int>(probe.randomIds.size()) < n)
        throw Error(ErrorKind::Tokenizer, "", "induction probe", -1,
                    "found only " + std::to_string(probe.randomIds.size()) + " of " + std::to_string(n) +
                        " single-token words in the vocabulary");
    probe.text = copy + copy;
    const TokenizedText both = tok.encode(probe.text, false);
    std::vector<int32_t> expected = probe.randomIds;
    expected.insert(expected.end(), probe.randomIds.begin(), probe.randomIds.end());
    if (both.ids != expected)
        throw Error(ErrorKind::Tokenizer, "", "induction probe", -1,
                    "the repeated words do not tokenise back into two identical copies");
    return probe;
}

} // namespace attnscope
