// Per-row softmax bookkeeping shared by the attention kernels (host and device): the running max / sum of the
// statistics pass, the final log-sum-exp with an optional sink column, and the probabilities of the output pass.
// Definitions (docs/ENGINE.md "Attention"): over the valid keys of row i, with an optional sink logit b,
//   M = max(b, max_j s_ij),  L = exp(b − M) + Σ_j exp(s_ij − M),  lse = M + log L,
//   p_ij = exp((s_ij − M) − log L),  p_sink = exp((b − M) − log L).
// A row with nothing to attend (no valid key, no sink) has M = lse = +inf and every p exactly 0 (never NaN).
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

/// A row's normaliser, kept as two numbers as the CPU kernel keeps it (docs/LONG-CONTEXT.md "Exact tiles"): the
/// max M (the sink logit included) and log L, L = Σ exp(s − M) (+ exp(b − M) with a sink). A row with nothing to
/// attend has M = +inf, log L = 0 (with a sink: M = b, log L = 0).
struct RowNorm {
    float max = INFINITY;
    float logSum = 0.f;
};

/// The normaliser of a row from its running statistics, with the sink column (hasSink) included.
ATTNSCOPE_HD inline RowNorm rowStatsNorm(const RowStats& st, bool hasSink, float sink)
{
    RowNorm n;
    if (hasSink) {
        n.max = fmaxf(st.m, sink);
        const float L = (st.m == -INFINITY ? 0.f : st.l * expf(st.m - n.max)) + expf(sink - n.max);
        n.logSum = logf(L);
    } else if (st.l > 0.f) {
        n.max = st.m;
        n.logSum = logf(st.l);
    }
    return n;
}

/// The row's log-sum-exp M + log L; +inf for a row with nothing to attend.
ATTNSCOPE_HD inline float lseFromNorm(RowNorm n)
{
    return n.max == INFINITY ? INFINITY : n.max + n.logSum;
}

/// Probability of a valid cell with score s: exp((s − M) − log L), the CPU's and the tile recomputation's form
/// (0 on a row with nothing to attend, never NaN).
ATTNSCOPE_HD inline float probFromNorm(float s, RowNorm n)
{
    return n.max == INFINITY ? 0.f : expf((s - n.max) - n.logSum);
}

/// Probability taken by the sink column.
ATTNSCOPE_HD inline float sinkProbFromNorm(bool hasSink, float sink, RowNorm n)
{
    return hasSink ? expf((sink - n.max) - n.logSum) : 0.f;
}

} // namespace attnscope::cuda
