// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/pooled_difference.h"

#include "ui/render/tile_pyramid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

/// Adds each range's keys to the counts of the grid cells of row `r` (cells of p keys).
void addCounts(const std::vector<KeyRange>& ranges, int64_t p, int64_t side, int64_t r, std::vector<int64_t>& counts)
{
    for (const KeyRange& k : ranges)
        for (int64_t c = k.begin / p; c * p < k.end && c < side; ++c)
            counts[size_t(r * side + c)] += std::min(k.end, (c + 1) * p) - std::max(k.begin, c * p);
}

} // namespace

ValueGrid pooledMeanDifference(const CapturedSeries& meanA, const CapturedSeries& meanB, int64_t tokens)
{
    const ValueGrid a = coarseGridOf(meanA, tokens), b = coarseGridOf(meanB, tokens);
    if (a.rows <= 0 || a.rows != b.rows || a.cols != b.cols)
        return {};
    const int64_t side = a.rows, p = a.pool;
    const AttentionMask ma = meanA.mask ? *meanA.mask : AttentionMask::causal();
    const AttentionMask mb = meanB.mask ? *meanB.mask : AttentionMask::causal();
    std::vector<int64_t> na(size_t(side * side), 0), nb(na.size(), 0), nu(na.size(), 0);
    RowKeys ka, kb;
    std::vector<KeyRange> both, merged;
    for (int64_t i = 0; i < tokens; ++i) {
        const int64_t r = i / p;
        ma.rowKeys(i, tokens, ka);
        mb.rowKeys(i, tokens, kb);
        addCounts(ka.range, p, side, r, na);
        addCounts(kb.range, p, side, r, nb);
        both = ka.range;
        both.insert(both.end(), kb.range.begin(), kb.range.end());
        std::sort(both.begin(), both.end(), [](const KeyRange& x, const KeyRange& y) { return x.begin < y.begin; });
        merged.clear();
        for (const KeyRange& k : both)
            if (!merged.empty() && k.begin <= merged.back().end)
                merged.back().end = std::max(merged.back().end, k.end);
            else
                merged.push_back(k);
        addCounts(merged, p, side, r, nu);
    }
    ValueGrid d = a;
    d.sourceMax = 0;
    for (size_t c = 0; c < d.values.size(); ++c) {
        if (nu[c] == 0) {
            d.values[c] = std::numeric_limits<float>::quiet_NaN();
            continue;
        }
        const double sa = na[c] && !std::isnan(a.values[c]) ? double(a.values[c]) * double(na[c]) : 0.0;
        const double sb = nb[c] && !std::isnan(b.values[c]) ? double(b.values[c]) * double(nb[c]) : 0.0;
        d.values[c] = static_cast<float>((sa - sb) / double(nu[c]));
        d.sourceMax = std::max(d.sourceMax, std::fabs(double(d.values[c])));
    }
    return d;
}

} // namespace attnscope
