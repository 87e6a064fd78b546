// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/attention_received.h"

#include <limits>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool rowValid(const AttentionMap& a, int64_t i)
{
    return a.maskedRows.empty() || a.maskedRows[static_cast<size_t>(i)] == 0;
}

} // namespace

double attentionReceived(const AttentionMap& a, int64_t key)
{
    if (key < 0 || key >= a.tokens)
        return kNaN;
    double sum = 0;
    int64_t rows = 0;
    for (int64_t i = key + 1; i < a.tokens; ++i) {
        if (!rowValid(a, i) || a.isMasked(i, key))
            continue;
        sum += a.at(i, key);
        ++rows;
    }
    return rows ? sum / static_cast<double>(rows) : kNaN;
}

double attentionFromQuery(const AttentionMap& a, int64_t query, int64_t key)
{
    if (query < 0 || key < 0 || query >= a.tokens || key >= a.tokens || !rowValid(a, query) || a.isMasked(query, key))
        return kNaN;
    return a.at(query, key);
}

} // namespace attnscope
