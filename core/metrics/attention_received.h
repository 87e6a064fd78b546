// "Who attends to token j": the attention one key token receives, per head — the reverse of reading one query
// row. Pure functions over an AttentionMap; docs/METRICS.md has the definitions.
//
//  - received from later queries   R(j) = mean A[i, j] over valid rows i > j whose key j is valid; NaN when no
//                                  later query can see j (the last token, or a mask that hides it).
//  - from one query                A[q, j], NaN when row q is fully masked or key j is masked for q.
// Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <cstdint>

namespace attnscope {

double attentionReceived(const AttentionMap& a, int64_t key);
double attentionFromQuery(const AttentionMap& a, int64_t query, int64_t key);

} // namespace attnscope
