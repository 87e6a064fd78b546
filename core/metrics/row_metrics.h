// Per-head metrics for comparing attention patterns (docs/METRICS.md "Variant comparison"), pure functions over
// an AttentionMap that use only the mask's valid keys and skip masked rows; a metric with no usable row is NaN.
//
//   sink share of a set     mean over valid rows i of Σ_{j ∈ S, j valid} A_ij  (S = {0} is the first-token share
//                           with row 0 included; StreamingLLM measures S = {0, 1, 2, 3})
//   k@p                     mean over valid rows of the smallest k whose k largest weights sum to ≥ p (p = 0.9:
//                           how many keys a row needs for 90 % of its mass)
//   fraction below τ        share of all valid cells (over valid rows) whose weight is < τ (sparsity)
//   mass outside a pattern  mean over valid rows of Σ_{j valid, ¬P(i, j)} A_ij: the share of the map's mass a
//                           pattern P (a variant's mask or support) would discard from this head; coverage = 1 − it
//   mass outside top-k      the same for "the k largest weights of each row" (ties: lower j first)
//   mass outside threshold  the same for "weights ≥ p" (the largest is kept when every weight is below p)
// A long prompt keeps no map (docs/LONG-CONTEXT.md): massOutsidePatternFromTiles gives the mass outside a pattern
// from the head's exact tiles, as the row's mass (1, less what a learned sink column took) minus the mass on the
// keys both masks allow, so only the pattern's keys are recomputed (T · W · head_dim for a window of W).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <vector>

namespace attnscope {

class HeadTileSource;

double sinkShareOfSet(const AttentionMap& a, const std::vector<int64_t>& keys);
double kForMass(const AttentionMap& a, double p = 0.9);
double fractionBelow(const AttentionMap& a, double tau);
double massOutsidePattern(const AttentionMap& a, const AttentionMask& pattern);
double massOutsideSupport(const AttentionMap& a, const MaskBits& support);
double massOutsideTopK(const AttentionMap& a, int64_t k);
double massOutsideThreshold(const AttentionMap& a, double p);
/// massOutsidePattern of the head a long run keeps as tiles; `sinkProb` (T values, Quantity::SinkProb) for a model
/// with learned sinks, else null. Any thread.
double massOutsidePatternFromTiles(const HeadTileSource& src, const AttentionMask& pattern,
                                   const CapturedSeries* sinkProb = nullptr);

} // namespace attnscope
