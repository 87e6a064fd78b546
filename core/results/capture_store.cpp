// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/results/capture_store.h"

#include <algorithm>
#include <climits>

namespace attnscope {

void CaptureStore::add(AttentionMapPtr map)
{
    if (map)
        m_maps[map->key()] = std::move(map);
}

void CaptureStore::add(CapturedSeriesPtr series)
{
    if (series)
        m_series[series->key] = std::move(series);
}

void CaptureStore::merge(const CaptureStore& other)
{
    for (const auto& [k, m] : other.m_maps)
        m_maps[k] = m;
    for (const auto& [k, s] : other.m_series)
        m_series[k] = s;
}

void CaptureStore::clear()
{
    m_maps.clear();
    m_series.clear();
}

AttentionMapPtr CaptureStore::map(Quantity q, int layer, int head) const
{
    auto it = m_maps.find({q, layer, head});
    return it == m_maps.end() ? nullptr : it->second;
}

CapturedSeriesPtr CaptureStore::series(Quantity q, int layer, int head) const
{
    auto it = m_series.find({q, layer, head});
    return it == m_series.end() ? nullptr : it->second;
}

std::vector<AttentionMapPtr> CaptureStore::layerMaps(Quantity q, int layer, int heads) const
{
    std::vector<AttentionMapPtr> out(static_cast<size_t>(std::max(heads, 0)));
    for (auto it = m_maps.lower_bound({q, layer, 0}); it != m_maps.end() && it->first.quantity == q &&
                                                         it->first.layer == layer;
         ++it)
        if (it->first.head >= 0 && it->first.head < heads)
            out[static_cast<size_t>(it->first.head)] = it->second;
    return out;
}

std::vector<AttentionMapPtr> CaptureStore::grid(Quantity q, int layers, int heads) const
{
    std::vector<AttentionMapPtr> out(static_cast<size_t>(std::max(layers, 0)) * static_cast<size_t>(std::max(heads, 0)));
    for (const auto& [k, m] : m_maps)
        if (k.quantity == q && k.layer >= 0 && k.layer < layers && k.head >= 0 && k.head < heads)
            out[static_cast<size_t>(k.layer) * static_cast<size_t>(heads) + static_cast<size_t>(k.head)] = m;
    return out;
}

bool CaptureStore::has(Quantity q) const
{
    auto it = m_maps.lower_bound({q, INT32_MIN, INT32_MIN});
    if (it != m_maps.end() && it->first.quantity == q)
        return true;
    auto is = m_series.lower_bound({q, INT32_MIN, INT32_MIN});
    return is != m_series.end() && is->first.quantity == q;
}

uint64_t CaptureStore::bytes() const
{
    uint64_t b = 0;
    for (const auto& [k, m] : m_maps)
        b += m->probs.size() * sizeof(float) + m->lse.size() * sizeof(float) + m->maskedRows.size();
    for (const auto& [k, s] : m_series)
        b += s->values.size() * sizeof(float);
    return b;
}

} // namespace attnscope
