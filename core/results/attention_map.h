// Immutable result values published by runs (docs/ENGINE.md "Results"). Shared as std::shared_ptr<const T>.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"
#include "core/capture/quantity.h"
#include "core/results/map_buffer.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace attnscope {

/// One head's T × T map of a map-shaped quantity (attention probabilities, a differential head's second map, a
/// combined signed map): row i = query, column j = key. It carries the mask it was computed under: cells the
/// mask removes hold 0 and isMasked() says so; rows with no valid key are flagged in maskedRows (never NaN).
struct AttentionMap {
    Quantity quantity = Quantity::AttentionProbs;
    int layer = 0;
    int head = 0;
    int kvHead = 0;
    int64_t tokens = 0;
    AttentionMask mask;
    MapBuffer probs;                // tokens * tokens values of the quantity (every cell written)
    std::vector<float> lse;         // per-row log-sum-exp of the scaled logits (log Z_i); +inf on masked rows
    std::vector<uint8_t> maskedRows;

    CaptureKey key() const { return {quantity, layer, head}; }
    float at(int64_t i, int64_t j) const { return probs[static_cast<size_t>(i * tokens + j)]; }
    const float* row(int64_t i) const { return probs.data() + i * tokens; }
    bool isMasked(int64_t i, int64_t j) const { return !mask.valid(i, j); }
    bool isMaskedRow(int64_t i) const { return !maskedRows.empty() && maskedRows[static_cast<size_t>(i)] != 0; }
    RowKeys rowKeys(int64_t i) const { return mask.rowKeys(i, tokens); }
};
using AttentionMapPtr = std::shared_ptr<const AttentionMap>;

/// A captured vector or small matrix of a series-shaped quantity (gates, sink probability per row, output norms,
/// λ), one per (quantity, layer, head); `shape` is outermost first, e.g. [T] or [T, d].
struct CapturedSeries {
    CaptureKey key;
    std::vector<int64_t> shape;
    std::vector<float> values;
    /// For per-row items of a head (log-sum-exp, pooled maps): the mask the rows were computed under.
    std::shared_ptr<const AttentionMask> mask;
};
using CapturedSeriesPtr = std::shared_ptr<const CapturedSeries>;

/// Per-layer statistics of the residual stream (massive activations; docs/METRICS.md).
struct LayerStats {
    int layer = 0;
    float hiddenMaxAbs = 0.f;       // max |h| over tokens and dims after the layer
    int64_t maxToken = 0;           // where the max sits
    int64_t maxDim = 0;
    double ms = 0;                  // wall time of the layer
};

} // namespace attnscope
