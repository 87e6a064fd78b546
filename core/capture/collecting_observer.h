// An observer that keeps what it was asked to capture (a CaptureSpec: quantities × heads, logits at chosen
// positions) in a CaptureStore, plus per-layer statistics. Optional callbacks stream each item as it arrives
// (the GUI shows maps layer by layer).
// Threading: filled on the compute thread; read after the run (or through the callbacks).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/capture/observer.h"
#include "core/results/capture_store.h"

#include <functional>
#include <set>
#include <utility>
#include <vector>

namespace attnscope {

/// What a run captures. Head selection applies to every quantity in `quantities`.
struct CaptureSpec {
    std::set<Quantity> quantities = {Quantity::AttentionProbs};
    enum class Heads { None, All, Selected, Layers };
    Heads heads = Heads::None;
    std::set<std::pair<int, int>> selected;      // (layer, head) when heads == Selected
    std::set<int> layers;                        // every head of these layers when heads == Layers
    enum class Logits { None, Last, All, Selected };
    Logits logits = Logits::Last;
    std::set<int64_t> logitPositions;            // when logits == Selected

    bool wantsHead(int layer, int head) const;
    /// Head-level items follow the head selection; per-layer and per-model items (hidden states) only need their
    /// quantity listed.
    bool wants(const CaptureKey& k) const;
    bool wantsLogits(int64_t position, int64_t tokens) const;
    /// Number of (layer, head) pairs selected in a model of this shape.
    int64_t headCount(int layers, int heads) const;
};

class CollectingObserver : public ForwardObserver {
public:
    explicit CollectingObserver(CaptureSpec spec) : m_spec(std::move(spec)) {}

    bool wants(const CaptureKey& k) const override { return m_spec.wants(k); }
    bool wantsLogits(int64_t position, int64_t tokens) const override { return m_spec.wantsLogits(position, tokens); }
    bool onRunStarted(const RunShape& shape) override;
    bool onMap(const AttentionMapPtr& map) override;
    bool onSeries(const CapturedSeriesPtr& series) override;
    bool onLayerDone(const LayerStats& stats) override;
    bool onLogits(int64_t position, const float* logits, int64_t vocab) override;

    std::function<bool(const AttentionMapPtr&)> mapCallback;     // return false to stop
    std::function<bool(const LayerStats&)> layerCallback;

    const CaptureSpec& spec() const { return m_spec; }
    const RunShape& shape() const { return m_shape; }
    int layers() const { return m_shape.layers; }
    int heads() const { return m_shape.heads; }
    /// The attention probabilities of a head; nullptr when not captured.
    AttentionMapPtr map(int layer, int head) const { return m_store.map(layer, head); }
    const CaptureStore& store() const { return m_store; }
    CaptureStore takeStore() { return std::move(m_store); }
    const std::vector<LayerStats>& layerStats() const { return m_stats; }
    const std::vector<std::pair<int64_t, std::vector<float>>>& logits() const { return m_logits; }

private:
    CaptureSpec m_spec;
    RunShape m_shape;
    CaptureStore m_store;
    std::vector<LayerStats> m_stats;
    std::vector<std::pair<int64_t, std::vector<float>>> m_logits;
};

} // namespace attnscope
