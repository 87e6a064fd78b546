// How much memory a run may use for captured maps (NUMERICS-AND-SAFETY §8 rule 4: estimate before launching and
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

/// "1.2 GB" style text for messages.
std::string formatBytes(uint64_t bytes);

} // namespace attnscope
