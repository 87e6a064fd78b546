// The Llama-family forward pass (Llama, SmolLM2, Mistral, Qwen2, Qwen3) over any Backend, with capture.
// Weights stay in the file's dtype (memory-mapped) and are converted per layer into fp32 scratch as the layer
// runs, so peak memory is about the file size plus one layer plus activations (plus captured maps).
// Threading: call on the compute thread; the observer is called on the same thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "core/capture/observer.h"
#include "core/session/progress.h"

#include <cstdint>
#include <span>
#include <stop_token>

namespace attnscope {

class LoadedModel;

struct ForwardOptions {
    Progress* progress = nullptr;     // optional; stage Layer, done/total = layers
    std::stop_token stop;             // cancellation, checked between layers and heads
    bool checkFiniteWeights = true;   // report "non-finite values in tensor X" (NUMERICS-AND-SAFETY §4 rule 11)
    /// Bytes the captured maps may take; the run is refused up front (Error(Resource), with the numbers) when the
    /// observer asks for more. 0 = 80 % of the memory available now.
    uint64_t captureBudgetBytes = 0;
};

struct ForwardTimings {
    double totalMs = 0;
    double firstLayerMapsMs = 0;      // from start until layer 0's maps were delivered
    double dequantMs = 0;
    double denseMs = 0;               // projections + MLP GEMMs
    double attentionMs = 0;
    double lmHeadMs = 0;
    double denseFlops = 0;            // 2·m·n·k summed over dense GEMMs (excludes the lm head)
};

/// Runs the model on `ids`. Throws Error(Cancelled) when stopped (by the token or the observer) and Error for
/// bad input (ids out of range, empty input, non-finite weights) or a failing backend op.
/// `primary` runs the ops it supports; `fallback` (the CPU backend, may be the same object) the rest.
ForwardTimings runForward(const LoadedModel& model, Backend& primary, Backend& fallback, std::span<const int32_t> ids,
                          ForwardObserver& observer, const ForwardOptions& options = {});

} // namespace attnscope
