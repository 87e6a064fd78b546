// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/streaming_head_stats.h"

#include <cmath>
#include <limits>

namespace attnscope {

StreamingHeadStats::StreamingHeadStats(const MetricParams& p, const AttentionMask& mask, int64_t tokens,
                                       const TokenRepeats* repeats)
    : m_acc(p, mask, tokens, repeats), m_mask(mask), m_tokens(tokens), m_pool(poolFor(tokens)),
      m_side((tokens + poolFor(tokens) - 1) / poolFor(tokens))
{
    const size_t cells = static_cast<size_t>(m_side * m_side);
    m_max.assign(cells, std::numeric_limits<float>::quiet_NaN());
    m_sum.assign(cells, 0.0);
    m_count.assign(cells, 0);
}

void StreamingHeadStats::addRow(int64_t i, const float* values, int64_t offset)
{
    m_acc.addRow(i, values, offset);
    m_mask.rowKeys(i, m_tokens, m_keys);
    const size_t r = static_cast<size_t>(i / m_pool) * static_cast<size_t>(m_side);
    for (const KeyRange& k : m_keys.range)
        for (int64_t j = k.begin; j < k.end; ++j) {
            const size_t c = r + static_cast<size_t>(j / m_pool);
            const float v = values[j - offset];
            if (std::isnan(m_max[c]) || v > m_max[c])
                m_max[c] = v;
            m_sum[c] += v;
            ++m_count[c];
        }
}

std::vector<float> StreamingHeadStats::coarseMean() const
{
    std::vector<float> out(m_sum.size());
    for (size_t c = 0; c < out.size(); ++c)
        out[c] = m_count[c] ? static_cast<float>(m_sum[c] / m_count[c]) : std::numeric_limits<float>::quiet_NaN();
    return out;
}

} // namespace attnscope
