// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"

namespace attnscope {

bool CaptureSpec::wantsHead(int layer, int head) const
{
    switch (heads) {
    case Heads::None: return false;
    case Heads::All: return true;
    case Heads::Selected: return selected.count({layer, head}) > 0;
    case Heads::Layers: return layers.count(layer) > 0;
    }
    return false;
}

bool CaptureSpec::wants(const CaptureKey& k) const
{
    if (!quantities.count(k.quantity))
        return false;
    if (quantityInfo(k.quantity).shape == QuantityShape::LayerSeries)
        return true;
    return wantsHead(k.layer, k.head);
}

bool CaptureSpec::wantsLogits(int64_t position, int64_t tokens) const
{
    switch (logits) {
    case Logits::None: return false;
    case Logits::Last: return position == tokens - 1;
    case Logits::All: return true;
    case Logits::Selected: return logitPositions.count(position) > 0;
    }
    return false;
}

int64_t CaptureSpec::headCount(int nLayers, int nHeads) const
{
    int64_t n = 0;
    for (int l = 0; l < nLayers; ++l)
        for (int h = 0; h < nHeads; ++h)
            n += wantsHead(l, h) ? 1 : 0;
    return n;
}

bool CollectingObserver::onRunStarted(const RunShape& shape)
{
    m_shape = shape;
    m_store.clear();
    m_stats.clear();
    m_logits.clear();
    return true;
}

bool CollectingObserver::onMap(const AttentionMapPtr& map)
{
    m_store.add(map);
    return mapCallback ? mapCallback(map) : true;
}

bool CollectingObserver::onSeries(const CapturedSeriesPtr& series)
{
    m_store.add(series);
    return true;
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

} // namespace attnscope
