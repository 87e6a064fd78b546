// The capture observer (docs/ENGINE.md "Capture"): the forward pass asks which items the observer wants before
// it computes them, so unwatched maps are never materialised (the ggml eval-callback idea), then delivers each
// item as soon as it exists. Items are asked for and delivered by schema key (core/capture/quantity.h): a new
// quantity needs a schema row, not a new virtual here. Returning false from a delivery stops the run (it ends
// as cancelled).
// Threading: every call happens on the compute thread that runs the forward.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <cstdint>

namespace attnscope {

/// The shape of a run, announced before the first layer.
struct RunShape {
    int64_t tokens = 0;
    int layers = 0;
    int heads = 0;
    int kvHeads = 0;
};

class ForwardObserver {
public:
    virtual ~ForwardObserver() = default;

    // ---- ask phase ----
    /// Does the observer want this item? Asked before the item would be computed.
    virtual bool wants(const CaptureKey& key) const { (void)key; return false; }
    /// Next-token logits at `position` (0-based, of `tokens`).
    virtual bool wantsLogits(int64_t position, int64_t tokens) const { (void)position; (void)tokens; return false; }

    // ---- deliveries (return false to stop) ----
    virtual bool onRunStarted(const RunShape& shape) { (void)shape; return true; }
    virtual bool onMap(const AttentionMapPtr& map) { (void)map; return true; }
    virtual bool onSeries(const CapturedSeriesPtr& series) { (void)series; return true; }
    /// Called after a layer's residual update, once all its captured items were delivered.
    virtual bool onLayerDone(const LayerStats& stats) { (void)stats; return true; }
    /// logits: `vocab` floats for next-token prediction at `position`.
    virtual bool onLogits(int64_t position, const float* logits, int64_t vocab) { (void)position; (void)logits; (void)vocab; return true; }
};

} // namespace attnscope
