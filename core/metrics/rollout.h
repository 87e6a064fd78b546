// Attention rollout (Abnar & Zuidema 2020, arXiv 2005.00928; samiraabnar/attention_flow): how much each input
// token contributes to each position through the stack, mixing the residual path in as identity:
//   W_l = mean over heads of A_{l,h};  Â_l = (W_l + I) / rowsum(W_l + I);  R_0 = Â_0,  R_l = Â_l · R_{l−1}.
// The result is T × T (row = position, column = input token); rows sum to 1 when the maps' rows do.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <vector>

namespace attnscope {

/// layers[l] holds the heads of layer l (null entries are skipped; a layer with no map is the identity).
/// Returns T × T row-major.
std::vector<double> attentionRollout(const std::vector<std::vector<AttentionMapPtr>>& layers, int64_t tokens);

} // namespace attnscope
