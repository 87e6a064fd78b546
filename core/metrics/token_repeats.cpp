// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/token_repeats.h"

#include <unordered_map>

namespace attnscope {

TokenRepeats::TokenRepeats(std::span<const int32_t> ids)
    : m_ids(ids.begin(), ids.end())
{
    std::unordered_map<int32_t, std::vector<int32_t>> seen;
    m_offsets.reserve(m_ids.size() + 1);
    m_offsets.push_back(0);
    for (size_t i = 0; i < m_ids.size(); ++i) {
        std::vector<int32_t>& before = seen[m_ids[i]];
        m_earlier.insert(m_earlier.end(), before.begin(), before.end());
        m_offsets.push_back(static_cast<int64_t>(m_earlier.size()));
        before.push_back(static_cast<int32_t>(i));
    }
}

std::span<const int32_t> TokenRepeats::earlier(int64_t i) const
{
    if (i < 0 || i >= size())
        return {};
    const auto b = static_cast<size_t>(m_offsets[static_cast<size_t>(i)]);
    const auto e = static_cast<size_t>(m_offsets[static_cast<size_t>(i) + 1]);
    return {m_earlier.data() + b, e - b};
}

} // namespace attnscope
