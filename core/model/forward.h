// The forward pass of every architecture in the table (docs/ENGINE.md "Forward pass") over one Backend, with
// capture. The architecture row's fields choose the embedding, the block's norms, MLP, positions and residual
// layout, and each layer's mask; all maths runs as backend ops on backend buffers.
// Threading: call on the compute thread; the observer is called on the same thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "core/capture/observer.h"
#include "core/session/progress.h"

#include <cstdint>
#include <span>
#include <stop_token>
#include <vector>

namespace attnscope {

class LoadedModel;
class WeightStore;

struct AttentionSpec;

struct ForwardOptions {
    Progress* progress = nullptr;     // optional; stage Layer, done/total = layers
    std::stop_token stop;             // cancellation, checked between layers and heads
    bool checkFiniteWeights = true;   // report "non-finite values in tensor X" (docs/SECURITY.md)
    /// A what-if run: the variant replaces the attention of the layers it applies to (docs/VARIANTS.md).
    const AttentionSpec* variant = nullptr;
    /// Resume from a residual stream: skip the embedding and layers < startLayer, starting from `startHidden`
    /// (T × d_model, host memory) — the stream before layer startLayer of an earlier run on the same ids.
    int startLayer = 0;
    const std::vector<float>* startHidden = nullptr;
    /// Device backends (hostMemory() false) only: run attention one query head per call, so at most one head's
    /// captured map is on the device at a time (executeRun sets it when the device memory is short, and for a
    /// run retried after out-of-memory). Results are the same; small prompts run faster with all heads at once.
    bool oneHeadPerAttentionCall = false;
    /// Device backends only: wait for the device around each timed op, so ForwardTimings splits the time between
    /// dense work and attention (one synchronisation per op). False: only totalMs is meaningful.
    bool opTimings = true;
};

struct ForwardTimings {
    double totalMs = 0;
    double firstLayerMapsMs = 0;      // from start until layer 0's maps were delivered
    double dequantMs = 0;             // weight conversion during this run (0 on a rerun of a resident model)
    double denseMs = 0;               // projections + MLP GEMMs
    double attentionMs = 0;
    double lmHeadMs = 0;
    double denseFlops = 0;            // 2·m·n·k summed over dense GEMMs (excludes the lm head)
    double gateCaptureMs = 0;         // building and delivering gate series (gates, SDPA norms, DeltaNet β/decay/z)
};

/// Runs the model on `ids`. Throws Error(Cancelled) when stopped (by the token or the observer) and Error for
/// bad input (ids out of range, empty input, a prompt longer than a learned position table, non-finite
/// weights) or a failing backend op. `weights` keeps converted weights between runs; null = a store for this run
/// only (every weight converted again). The context-length and memory checks belong to the run request
/// (core/session/run_request.h), which calls this.
ForwardTimings runForward(const LoadedModel& model, Backend& backend, std::span<const int32_t> ids,
                          ForwardObserver& observer, const ForwardOptions& options = {}, WeightStore* weights = nullptr);

} // namespace attnscope
