// The differential view's noise-cancellation measure (docs/METRICS.md "Noise cancellation") as pure functions of a
// differential head's first map A1 and its combined map D = A1 − λ·A2 (λ·A2 is A1 − D, so A2 and λ are not needed).
//
// For a signal span S of keys (what the researcher marks as the relevant tokens, e.g. an answer in a context) and
// the query rows R (by default the rows after the span: the question that should retrieve it):
//   signal(M)  = mean over rows i ∈ R of Σ_{j ∈ S, valid} M_ij
//   noise(M)   = mean over rows i ∈ R of Σ_{j ∉ S, valid} |M_ij|
//   SNR(M)     = signal / noise
// computed on M = A1 ("before"), λ·A2 (what the subtraction removes) and D ("after"). |·| only matters for D,
// whose cells can be negative: noise counts what leaks to other keys in either direction, so a subtraction that
// cancels noise drives it towards 0 while the signal survives, and SNR(D) / SNR(A1) > 1 measures the cancellation
// (Ye et al., arXiv 2410.05258, Section 3 and Fig. 1; the normalisation of their Table 3 is not specified).
//   negativeShare = Σ_{i ∈ R, j valid} max(−D_ij, 0) / Σ_{i ∈ R, j valid} |D_ij|
// Masked rows and masked cells are excluded. Rows with no valid key in R are skipped; no usable row → rows = 0
// and every value NaN.
// Averaging over heads (or layers) pools them: mean signal and mean noise over the heads, SNR of those means,
// negative share of the pooled masses.
// Threading: pure functions; any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <cstdint>
#include <span>

namespace attnscope {

/// Half-open range [begin, end) of token indices (keys for a span, queries for rows).
struct TokenRange {
    int64_t begin = 0, end = 0;
    bool empty() const { return end <= begin; }
    bool contains(int64_t i) const { return i >= begin && i < end; }
};

struct SpanMass {
    double signal = 0;
    double noise = 0;
    /// signal / noise; +inf when only the signal has mass, NaN when neither has.
    double snr() const;
};

struct NoiseCancellation {
    int64_t rows = 0;          // query rows used
    SpanMass before;           // A1
    SpanMass removed;          // λ·A2 = A1 − D
    SpanMass after;            // D = A1 − λ·A2
    double negativeMass = 0;   // Σ max(−D, 0) over the rows' valid cells
    double absMass = 0;        // Σ |D| over the same cells
    double negativeShare() const;
    /// SNR(after) / SNR(before): > 1 when the subtraction improved the signal-to-noise ratio.
    double snrGain() const;
};

/// The default query rows for a span of T tokens: the rows after the span, or every row from the span's start when
/// the span reaches the end of the prompt.
TokenRange defaultQueryRows(TokenRange signal, int64_t tokens);

/// The measure for one head. a1 and d must have the same size and mask; `signal` and `rows` are clamped to the
/// map. rows empty → defaultQueryRows(signal).
NoiseCancellation measureNoiseCancellation(const AttentionMap& a1, const AttentionMap& d, TokenRange signal,
                                           TokenRange rows = {});

/// Pooled over heads (entries with rows = 0 are skipped): mean signal and noise per map, summed masses.
NoiseCancellation averageNoiseCancellation(std::span<const NoiseCancellation> heads);

} // namespace attnscope
