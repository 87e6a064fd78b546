// Reductions over one row of next-token logits (a vocabulary of up to a few hundred thousand entries): the
// log-sum-exp that normalises it and the KL divergence between two rows. Comparison runs evaluate these for
// every position of every variant, so the exponentials are a vectorisable float polynomial (Cephes expf, within
// 2 ulp of std::exp) with partial sums in float lanes flushed to double every block; the results agree with a
// double-precision evaluation to about 1e-6 relative (tested in tests/core/test_logit_rows.cpp).
// KL(p ‖ q) = Σ p_i (log p_i − log q_i) is evaluated as E_p[l_p − l_q] − (lse_p − lse_q), so two identical
// rows give exactly 0. Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
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

/// exp(x) for float x in [−87, 88] within 2 ulp (below −87 it returns ≈ 1e-38 instead of smaller values);
/// inline so loops over it vectorise.
inline float fastExp(float x)
{
    x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
    // Round x·log2(e) to the nearest integer by the 1.5·2^23 trick (vectorisable, exact for |v| < 2^22).
    const float fx = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
    float r = x - fx * 0.693359375f;
    r = r + fx * 2.12194440e-4f;
    const float z = r * r;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * z + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(fx) + 127) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

} // namespace attnscope
