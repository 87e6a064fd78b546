// Reductions over one row of next-token logits (a vocabulary of up to a few hundred thousand entries): the
// log-sum-exp that normalises it and the KL divergence between two rows. Comparison runs evaluate these for
// every position of every variant, so the exponentials are a vectorisable float polynomial (Cephes expf, within
// 2 ulp of std::exp) with partial sums in float lanes flushed to double every block; the results agree with a
// double-precision evaluation to about 1e-6 relative (tested in tests/core/test_logit_rows.cpp).
// KL(p ‖ q) = Σ p_i (log p_i − log q_i) is evaluated as E_p[l_p − l_q] − (lse_p − lse_q), so two identical
// rows give exactly 0. Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/util/fast_math.h"
#include <cstdint>

namespace attnscope {

/// log Σ exp(x_i); −inf for an empty row.
double logSumExpRow(const float* x, int64_t n);

struct KlRow {
    double kl = 0;      // KL(p ‖ q) ≥ 0 (clamped: rounding can make a near-zero value slightly negative)
    double lseP = 0;    // log-sum-exps of both rows, for perplexities
    double lseQ = 0;
};
/// KL(softmax(lp) ‖ softmax(lq)) of two logit rows of n entries.
KlRow klDivergenceRow(const float* lp, const float* lq, int64_t n);

} // namespace attnscope
