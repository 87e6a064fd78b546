// What the gate view shows, computed from captured gate series (docs/GATED.md "Gate view"), without Qt so it is
// tested by hand:
//   - GateHistogram   counts of gate values in equal bins over [0, 1], their mean and the shares below 0.5, 0.1
//                     and 0.01 (the Gated Attention paper's sparsity numbers); layers merge into a model histogram
//   - GateGrid        heads × tokens of gate values: the value itself (headwise) or the mean over the head's d
//                     dims (elementwise), and one elementwise head's dims × tokens for the drill-down
//   - GateNorms       per head and for the layer, the mean SDPA output norm before and after the gate, the share
//                     of the norm the gate removes (1 − Σ after / Σ before) and the share of (head, token) outputs
//                     it suppresses (after < 0.1 · before: the gate keeps under a tenth)
// Threading: plain values, built on any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <array>
#include <cstdint>
#include <vector>

namespace attnscope {

struct GateHistogram {
    static constexpr std::array<double, 3> kThresholds = {0.5, 0.1, 0.01};
    std::vector<int64_t> counts;          // bins over [lo, hi]; v goes to bin min(⌊(v − lo)/(hi − lo)·bins⌋, bins − 1),
                                          // values outside the range to the first or last bin
    double lo = 0, hi = 1;                // [0, 1] for gates; a signed gate (SiLU(z)) sets its own range
    int64_t total = 0;
    double sum = 0;
    std::array<int64_t, 3> below{};       // values < kThresholds[i]

    explicit GateHistogram(int bins = 50, double from = 0.0, double to = 1.0)
        : counts(static_cast<size_t>(bins > 0 ? bins : 1), 0), lo(from), hi(to > from ? to : from + 1.0) {}
    void add(const CapturedSeries& gate);
    void merge(const GateHistogram& other);   // same bins and range
    double binLow(size_t bin) const { return lo + (hi - lo) * double(bin) / double(counts.size()); }
    double mean() const { return total ? sum / double(total) : 0.0; }
    double fractionBelow(size_t threshold) const { return total ? double(below[threshold]) / double(total) : 0.0; }
};

struct GateGrid {
    int heads = 0;
    int64_t tokens = 0;
    std::vector<float> values;            // heads × tokens, row = head; NaN where a head's gate was not captured
    bool elementwise = false;             // values are per-head means over the head's dims
    float at(int head, int64_t token) const { return values[static_cast<size_t>(head * tokens + token)]; }
};

/// The layer's grid from its series of quantity `q` (Gate, or a Gated DeltaNet series keyed by value head; any
/// order, other quantities ignored; missing heads stay NaN). `tokens` from the first matching series.
GateGrid gateGrid(const std::vector<CapturedSeriesPtr>& layerSeries, int heads, Quantity q = Quantity::Gate);
/// One elementwise head's d × tokens (row = dim); a headwise series gives one row.
GateGrid gateDims(const CapturedSeries& gate);

struct GateNorms {
    std::vector<double> beforePerHead, afterPerHead;   // mean over tokens; NaN where not captured
    double before = 0, after = 0;                      // means over heads and tokens
    double removedShare = 0;                           // 1 − Σ after / Σ before
    double suppressedShare = 0;                        // share of (head, token) with after < 0.1 · before
    int64_t outputs = 0;                               // (head, token) pairs counted
};

/// From a layer's AttnOutNormPre / AttnOutNormPost series (heads paired by key).
GateNorms gateNorms(const std::vector<CapturedSeriesPtr>& layerSeries, int heads);

} // namespace attnscope
