// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"

namespace attnscope {

bool CollectingObserver::wantsAttention(int layer, int head) const
{
    switch (m_spec.heads) {
    case CaptureSpec::Heads::None: return false;
    case CaptureSpec::Heads::All: return true;
    case CaptureSpec::Heads::Selected: return m_spec.selected.count({layer, head}) > 0;
    }
    return false;
}

bool CollectingObserver::wantsLogits(int64_t position, int64_t tokens) const
{
    switch (m_spec.logits) {
    case CaptureSpec::Logits::None: return false;
    case CaptureSpec::Logits::Last: return position == tokens - 1;
    case CaptureSpec::Logits::All: return true;
    case CaptureSpec::Logits::Selected: return m_spec.logitPositions.count(position) > 0;
    }
    return false;
}

bool CollectingObserver::onRunStarted(int64_t, int layers, int heads)
{
    m_layers = layers;
    m_heads = heads;
    m_maps.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), nullptr);
    m_stats.clear();
    m_logits.clear();
    return true;
}

bool CollectingObserver::onAttention(const AttentionMapPtr& map)
{
    m_maps[static_cast<size_t>(map->layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(map->head)] = map;
    return attentionCallback ? attentionCallback(map) : true;
}

bool CollectingObserver::onLayerDone(const LayerStats& stats)
{
    m_stats.push_back(stats);
    return layerCallback ? layerCallback(stats) : true;
}

bool CollectingObserver::onLogits(int64_t position, const float* logits, int64_t vocab)
{
    m_logits.emplace_back(position, std::vector<float>(logits, logits + vocab));
    return true;
}

AttentionMapPtr CollectingObserver::map(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return nullptr;
    return m_maps[static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(head)];
}

} // namespace attnscope
