// What a head keeps of its map on a long prompt (docs/LONG-CONTEXT.md): its overview scores (the same
// HeadMetricsAccumulator as stored maps use) and the map pooled to at most 256 × 256 cells, max- and mean-pooled,
// all fed one row at a time as the attention kernel computes it. Pool size p = ceil(T / 256): cell (r, c) covers
// rows r·p … r·p + p − 1 and keys c·p … c·p + p − 1; max over its unmasked cells (NaN if all are masked), mean over
// its unmasked cells.
// Threading: one object per head, fed by the worker that computes the head.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"

#include <vector>

namespace attnscope {

class StreamingHeadStats {
public:
    static constexpr int kCoarseSide = 256;

    StreamingHeadStats(const MetricParams& p, const AttentionMask& mask, int64_t tokens, const TokenRepeats* repeats);
    void addRow(int64_t i, const float* values, int64_t offset);

    HeadMetrics scores() const { return m_acc.finish(); }
    int64_t pool() const { return m_pool; }
    int64_t side() const { return m_side; }
    /// side × side, row-major.
    std::vector<float> coarseMax() const { return m_max; }
    std::vector<float> coarseMean() const;

    /// The pool size and side for a prompt of `tokens`.
    static int64_t poolFor(int64_t tokens) { return tokens <= kCoarseSide ? 1 : (tokens + kCoarseSide - 1) / kCoarseSide; }

private:
    HeadMetricsAccumulator m_acc;
    AttentionMask m_mask;
    int64_t m_tokens, m_pool, m_side;
    std::vector<float> m_max;
    std::vector<double> m_sum;
    std::vector<int32_t> m_count;
    RowKeys m_keys;
};

} // namespace attnscope
