// All heads of a run ranked by one score: the head finder in the GUI and `attnscope-cli heads` share this.
// Heads whose score is NaN (not captured, or no usable row) come last; ties are broken by layer, then head, so
// the order is deterministic. Threading: pure function.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"

#include <vector>

namespace attnscope {

struct RankedHead {
    int layer = 0;
    int head = 0;
    double score = 0;   // the ranking score (NaN for heads ranked last because they have none)
};

/// Every (layer, head) of the table ordered by `metric`, highest first unless `ascending`.
std::vector<RankedHead> rankHeads(const MetricsTable& table, HeadMetric metric, bool ascending = false);

} // namespace attnscope
