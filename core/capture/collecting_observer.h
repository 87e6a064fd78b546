// An observer that keeps what it was asked to capture: selected heads' maps, logits at selected positions and
// per-layer statistics. Optional callbacks stream each value as it arrives (the GUI shows maps layer by layer).
// Threading: filled on the compute thread; read after the run (or through the callbacks).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/capture/observer.h"

#include <functional>
#include <set>
#include <utility>
#include <vector>

namespace attnscope {

struct CaptureSpec {
    enum class Heads { None, All, Selected };
    Heads heads = Heads::None;
    std::set<std::pair<int, int>> selected;      // (layer, head) when heads == Selected
    enum class Logits { None, Last, All, Selected };
    Logits logits = Logits::Last;
    std::set<int64_t> logitPositions;            // when logits == Selected
};

class CollectingObserver : public ForwardObserver {
public:
    explicit CollectingObserver(CaptureSpec spec) : m_spec(std::move(spec)) {}

    bool wantsAttention(int layer, int head) const override;
    bool wantsLogits(int64_t position, int64_t tokens) const override;
    bool onRunStarted(int64_t tokens, int layers, int heads) override;
    bool onAttention(const AttentionMapPtr& map) override;
    bool onLayerDone(const LayerStats& stats) override;
    bool onLogits(int64_t position, const float* logits, int64_t vocab) override;

    std::function<bool(const AttentionMapPtr&)> attentionCallback;   // return false to stop
    std::function<bool(const LayerStats&)> layerCallback;

    int layers() const { return m_layers; }
    int heads() const { return m_heads; }
    /// nullptr when the head was not captured.
    AttentionMapPtr map(int layer, int head) const;
    const std::vector<AttentionMapPtr>& maps() const { return m_maps; }    // index layer * heads + head
    const std::vector<LayerStats>& layerStats() const { return m_stats; }
    const std::vector<std::pair<int64_t, std::vector<float>>>& logits() const { return m_logits; }

private:
    CaptureSpec m_spec;
    int m_layers = 0, m_heads = 0;
    std::vector<AttentionMapPtr> m_maps;
    std::vector<LayerStats> m_stats;
    std::vector<std::pair<int64_t, std::vector<float>>> m_logits;
};

} // namespace attnscope
