// Immutable result values published by runs (ARCHITECTURE §7). Shared as std::shared_ptr<const T>.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/map_buffer.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace attnscope {

/// One head's attention probabilities: tokens × tokens, row-major, query i = row, key j = column.
/// Masked cells (j > i under the causal predicate) hold 0 and are reported by isMasked(); fully masked rows
/// are flagged in maskedRows (never NaN; NUMERICS-AND-SAFETY §7).
struct AttentionMap {
    int layer = 0;
    int head = 0;
    int kvHead = 0;
    int64_t tokens = 0;
    bool causal = true;
    MapBuffer probs;                // tokens * tokens (every cell written by the kernel)
    std::vector<float> lse;         // per-row log-sum-exp of the scaled logits (log Z_i)
    std::vector<uint8_t> maskedRows;

    float at(int64_t i, int64_t j) const { return probs[static_cast<size_t>(i * tokens + j)]; }
    const float* row(int64_t i) const { return probs.data() + i * tokens; }
    bool isMasked(int64_t i, int64_t j) const { return causal && j > i; }
};
using AttentionMapPtr = std::shared_ptr<const AttentionMap>;

/// Per-layer statistics of the residual stream (massive activations, VARIANTS §8).
struct LayerStats {
    int layer = 0;
    float hiddenMaxAbs = 0.f;       // max |h| over tokens and dims after the layer
    int64_t maxToken = 0;           // where the max sits
    int64_t maxDim = 0;
    double ms = 0;                  // wall time of the layer
};

} // namespace attnscope
