// The difference pane of a long comparison (docs/GUI.md "Compare", docs/LONG-CONTEXT.md): variant − baseline from
// the two runs' mean-pooled grids (Quantity::CoarseMean, streamed while each run computed its heads). Mean pooling
// is linear, so this is exactly the mean-pooled difference map: a cell is the mean over its cells that either
// run may attend to of (weight_a − weight_b), a run's masked cells weighing 0. The streamed grids hold means over
// each run's own valid cells, so each is turned back into a sum with that run's count of valid cells (from the
// mask the grid carries) before subtracting.
// Threading: pure functions; call from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"
#include "ui/render/heatmap_image.h"

namespace attnscope {

/// (a − b) mean-pooled over a map of `tokens`; NaN where neither run has a valid cell. Empty (rows 0) when the
/// grids do not match the token count or each other.
ValueGrid pooledMeanDifference(const CapturedSeries& meanA, const CapturedSeries& meanB, int64_t tokens);

} // namespace attnscope
