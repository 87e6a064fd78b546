// How much memory a run may use for captured maps (docs/SECURITY.md "Run limits": estimate before launching and
// refuse with the numbers rather than be killed by the OOM killer halfway through).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>

namespace attnscope {

/// MemAvailable from /proc/meminfo in bytes, or 0 when unknown.
uint64_t availableMemoryBytes();

/// The default budget for captured maps: 80 % of MemAvailable (0 = unknown: no limit is applied).
uint64_t defaultCaptureBudgetBytes();

/// Bytes the captured maps of `heads` heads take at `tokens` tokens: T² probabilities plus T row
/// log-sum-exps, 4 bytes each, per head (the same count the forward pass checks before it starts).
uint64_t captureBytes(int64_t tokens, uint64_t heads);

/// The largest token count whose maps for `heads` captured heads fit in `budgetBytes`; 0 when not even one
/// token fits or `heads` is 0 with a zero budget. With `heads` = 0 any length fits (returns INT64_MAX).
int64_t maxTokensWithinBudget(uint64_t budgetBytes, uint64_t heads);

/// How many heads' maps fit in `budgetBytes` at `tokens` tokens.
uint64_t maxHeadsWithinBudget(uint64_t budgetBytes, int64_t tokens);

/// "1.2 GB" style text for messages.
std::string formatBytes(uint64_t bytes);

} // namespace attnscope
