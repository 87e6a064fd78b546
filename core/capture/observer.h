// The capture observer (ARCHITECTURE §4): the forward pass asks which points the observer wants before it
// computes them, so unwatched maps are never materialised (the ggml eval-callback idea), then delivers each
// value as soon as it exists. Returning false from a delivery stops the run (it ends as cancelled).
// Later issues add points (gates, differential maps, pre/post-gate outputs) as new virtuals with defaults.
// Threading: every call happens on the compute thread that runs the forward.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <cstdint>

namespace attnscope {

class ForwardObserver {
public:
    virtual ~ForwardObserver() = default;

    // ---- ask phase ----
    virtual bool wantsAttention(int layer, int head) const { (void)layer; (void)head; return false; }
    /// Next-token logits at `position` (0-based, of `tokens`).
    virtual bool wantsLogits(int64_t position, int64_t tokens) const { (void)position; (void)tokens; return false; }

    // ---- deliveries (return false to stop) ----
    virtual bool onRunStarted(int64_t tokens, int layers, int heads) { (void)tokens; (void)layers; (void)heads; return true; }
    virtual bool onAttention(const AttentionMapPtr& map) { (void)map; return true; }
    /// Called after a layer's residual update, once all its captured maps were delivered.
    virtual bool onLayerDone(const LayerStats& stats) { (void)stats; return true; }
    /// logits: `vocab` floats for next-token prediction at `position`.
    virtual bool onLogits(int64_t position, const float* logits, int64_t vocab) { (void)position; (void)logits; (void)vocab; return true; }
};

} // namespace attnscope
