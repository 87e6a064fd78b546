// The difference of two maps of the same head (docs/GUI.md "Compare"), for the compare workspace's difference pane
// and its figure: a − b cell by cell, e.g. a variant's effective map minus the baseline's. A cell a map's mask
// removes holds 0 in that map, so where a variant dropped a key the difference is −baseline weight: the mass the
// variant took away. The result is signed (Quantity::AttentionCombined, so every renderer picks the zero-centred
// diverging scale) and valid where either map is valid; cells valid in neither stay masked (hatched).
// Threading: a pure function over immutable maps; call it on a worker for long prompts (T² work).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

namespace attnscope {

/// a − b; null when either is null or their token counts differ.
AttentionMapPtr differenceMap(const AttentionMapPtr& a, const AttentionMapPtr& b);

} // namespace attnscope
