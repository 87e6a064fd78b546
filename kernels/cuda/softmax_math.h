// Per-row softmax bookkeeping shared by the attention kernels (host and device): the running max / sum of the
// statistics pass, the final log-sum-exp with an optional sink column, and the probabilities of the output pass.
// Definitions (docs/ENGINE.md "Attention"): over the valid keys of row i, with an optional sink logit b,
//   M = max(b, max_j s_ij),  Z = exp(b − M) + Σ_j exp(s_ij − M),  lse = M + log Z,
//   p_ij = exp(s_ij − lse),  p_sink = exp(b − lse).
// A row with nothing to attend (no valid key, no sink) has lse = +inf, so every p is exactly 0 (never NaN).
// tests/kernels/test_cuda_host.cpp runs these on the host over tilings of random rows against an fp64 softmax.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"

#include <math.h>

namespace attnscope::cuda {

/// Running statistics of one row: m = max of the scores seen (−inf: none yet), l = Σ exp(s − m).
struct RowStats {
    float m = -INFINITY;
    float l = 0.f;
};

/// Folds a tile into the running statistics. tileMax = max of the tile's valid scores (−inf when it has none);
/// sumAt(newMax) must return Σ exp(s − newMax) over those scores — the caller computes it once newMax is known.
/// Returns the new running max so the caller can compute that sum; call rowStatsAdd next.
ATTNSCOPE_HD inline float rowStatsNewMax(const RowStats& st, float tileMax)
{
    return fmaxf(st.m, tileMax);
}

/// l ← l·exp(m − newMax) + tileSum, m ← newMax. A newMax of −inf (nothing valid so far) leaves the state alone.
ATTNSCOPE_HD inline void rowStatsAdd(RowStats& st, float newMax, float tileSum)
{
    if (newMax == -INFINITY)
        return;
    const float rescaled = st.m == -INFINITY ? 0.f : st.l * expf(st.m - newMax);
    st.l = rescaled + tileSum;
    st.m = newMax;
}

/// Merges two partial statistics (used by the warp/block reductions of the kernels).
ATTNSCOPE_HD inline RowStats rowStatsMerge(RowStats a, RowStats b)
{
    const float m = fmaxf(a.m, b.m);
    if (m == -INFINITY)
        return a;
    RowStats r;
    r.m = m;
    r.l = (a.m == -INFINITY ? 0.f : a.l * expf(a.m - m)) + (b.m == -INFINITY ? 0.f : b.l * expf(b.m - m));
    return r;
}

/// The row's log-sum-exp with the sink column (hasSink) included; +inf for a row with nothing to attend.
ATTNSCOPE_HD inline float rowStatsLse(const RowStats& st, bool hasSink, float sink)
{
    if (hasSink) {
        const float M = fmaxf(st.m, sink);
        const float L = (st.m == -INFINITY ? 0.f : st.l * expf(st.m - M)) + expf(sink - M);
        return M + logf(L);
    }
    return st.l > 0.f ? st.m + logf(st.l) : INFINITY;
}

/// Probability of a valid cell with score s in a row with log-sum-exp lse (0 on a masked row: lse = +inf).
ATTNSCOPE_HD inline float probFromLse(float s, float lse)
{
    return lse == INFINITY ? 0.f : expf(s - lse);
}

/// Probability taken by the sink column.
ATTNSCOPE_HD inline float sinkProbFromLse(bool hasSink, float sink, float lse)
{
    return hasSink ? expf(sink - lse) : 0.f;
}

} // namespace attnscope::cuda
