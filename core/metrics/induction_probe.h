// The standard induction measurement as a prompt: n random tokens, then the same n tokens again (Olsson et al.
// 2022; TransformerLens' repeated random tokens). An induction head at a second-copy position attends to the
// token after that token's first occurrence, so the induction score of core/metrics/head_metrics.h on this prompt
// is the usual mean of A[i, i − n + 1] over the second copy.
// The tokens are single-token words drawn from the model's own vocabulary (a space followed by 2–12 ASCII
// letters, so they survive being typed as text) and are all different, so each second-copy token has exactly
// one earlier occurrence. Deterministic for a seed. Threading: pure function over an immutable Tokenizer.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

class Tokenizer;

struct InductionProbe {
    std::string text;                 // UTF-8 prompt: the n words, then the same n words again
    std::vector<int32_t> randomIds;   // the n token ids of one copy
};

inline constexpr int kInductionProbeTokens = 50;

/// Throws Error(Tokenizer) when the vocabulary has too few single-token words or the text does not tokenise
/// back into the two copies.
InductionProbe makeInductionProbe(const Tokenizer& tokenizer, int n = kInductionProbeTokens, uint64_t seed = 0);

} // namespace attnscope
