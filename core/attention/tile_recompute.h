// Exact tiles of a head's map recomputed from what a long-prompt run keeps (docs/LONG-CONTEXT.md): the layer's
// queries and keys after norm and RoPE, and the head's per-row normaliser (max m_i and log Σ exp(s − m_i), kept
// apart because a single float log-sum-exp loses ≈ ulp(|m|)). For a valid cell
// P[i, j] = exp((scale · q_i · k_j − m_i) − logΣ_i) — the value the forward computed (a virtual sink column is
// already inside the normaliser); masked cells are 0. Recomputed values equal the forward's within 1e-6 (fp32).
// Threading: an immutable value; tiles may be computed from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"
#include "core/results/attention_map.h"

#include <cmath>
#include <memory>
#include <vector>

namespace attnscope {

class HeadTileSource {
public:
    /// q: T × heads·d, k: T × kvHeads·d, lse: the head's [2, T] normaliser (Quantity::RowLogSumExp, with its mask).
    HeadTileSource(CapturedSeriesPtr queries, CapturedSeriesPtr keys, CapturedSeriesPtr lse, int head, int heads,
                   int kvHeads, int headDim, float scale);

    int64_t tokens() const { return m_T; }
    const AttentionMask& mask() const { return *m_lse->mask; }
    /// False for a row with no valid key (its normaliser is infinite; a stored map flags it in maskedRows).
    bool rowValid(int64_t i) const { return !std::isinf(m_lse->values[static_cast<size_t>(i)]); }
    /// Rows [i0, i1) × keys [j0, j1) into out (row-major, (j1 − j0) per row).
    void tile(int64_t i0, int64_t i1, int64_t j0, int64_t j1, float* out) const;
    float cell(int64_t i, int64_t j) const;
    /// One whole row (T values): what the token view needs.
    std::vector<float> row(int64_t i) const;
    /// The whole map (T × T): for exports and tests at moderate lengths only.
    std::shared_ptr<AttentionMap> materialise(int layer) const;

private:
    CapturedSeriesPtr m_q, m_k, m_lse;
    int m_head, m_kvHead;
    int64_t m_T, m_d, m_ldq, m_ldk;
    float m_scale;
};

} // namespace attnscope
