// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/head_ranking.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

std::vector<RankedHead> rankHeads(const MetricsTable& table, HeadMetric metric, bool ascending)
{
    std::vector<RankedHead> out;
    out.reserve(static_cast<size_t>(table.layers) * static_cast<size_t>(table.heads));
    for (int l = 0; l < table.layers; ++l)
        for (int h = 0; h < table.heads; ++h)
            out.push_back({l, h, table.value(l, h, metric)});
    // Heads are generated in (layer, head) order, so a stable sort keeps that order among equal scores.
    std::stable_sort(out.begin(), out.end(), [ascending](const RankedHead& a, const RankedHead& b) {
        const bool an = std::isnan(a.score), bn = std::isnan(b.score);
        if (an || bn)
            return !an && bn;
        return ascending ? a.score < b.score : a.score > b.score;
    });
    return out;
}

} // namespace attnscope
