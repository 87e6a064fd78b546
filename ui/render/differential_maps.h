// The maps of a differential head as the differential view and its figures show them (docs/DIFFERENTIAL.md):
// λ·A2 — what the subtraction A1 − λ·A2 removes — built from the captured A2 and λ (one λ per head in DIFF V1 and
// DiffLlama, one per query token in V2), and λ's summary for titles. One implementation, so the view and an
// exported figure draw the same numbers. Threading: pure functions over immutable values; λ·A2 is T² work.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <QString>

namespace attnscope {

/// λ·A2 with A2's mask: row i scaled by λ (V1) or λ_i (V2). Null when either is missing.
AttentionMapPtr lambdaScaledMap(const AttentionMapPtr& a2, const CapturedSeriesPtr& lambda);

/// λ's mean over its values (V2: over tokens); NaN when there is none.
double lambdaMean(const CapturedSeries& lambda);
/// "λ = 0.812" (one λ) or "mean λ = 0.51" (per token), 3 significant digits.
QString lambdaText(const CapturedSeries& lambda);

} // namespace attnscope
