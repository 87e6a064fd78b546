// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/memory_budget.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <algorithm>
#include <fstream>
#include <string>

namespace attnscope {

uint64_t availableMemoryBytes()
{
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:")
            return kb * 1024;
    return 0;
}

uint64_t defaultCaptureBudgetBytes()
{
    return availableMemoryBytes() / 10 * 8;
}

uint64_t captureBytes(int64_t tokens, uint64_t heads)
{
    if (tokens <= 0 || heads == 0)
        return 0;
    const auto t = static_cast<uint64_t>(tokens);
    return heads * t * (t + 1) * sizeof(float);
}

int64_t maxTokensWithinBudget(uint64_t budgetBytes, uint64_t heads)
{
    if (heads == 0)
        return std::numeric_limits<int64_t>::max();
    // Solve t (t + 1) ≤ budget / (4 heads) from a floating-point guess, then correct by whole tokens.
    const double perHead = static_cast<double>(budgetBytes) / (4.0 * static_cast<double>(heads));
    auto t = static_cast<int64_t>(std::floor((std::sqrt(1.0 + 4.0 * perHead) - 1.0) / 2.0));
    t = std::max<int64_t>(0, std::min<int64_t>(t, int64_t(1) << 31));
    while (t > 0 && captureBytes(t, heads) > budgetBytes)
        --t;
    while (t < (int64_t(1) << 31) && captureBytes(t + 1, heads) <= budgetBytes)
        ++t;
    return t;
}

uint64_t maxHeadsWithinBudget(uint64_t budgetBytes, int64_t tokens)
{
    const uint64_t perHead = captureBytes(tokens, 1);
    return perHead == 0 ? std::numeric_limits<uint64_t>::max() : budgetBytes / perHead;
}

std::string formatBytes(uint64_t bytes)
{
    char buf[64];
    if (bytes >= (uint64_t(1) << 30))
        std::snprintf(buf, sizeof buf, "%.1f GB", double(bytes) / double(uint64_t(1) << 30));
    else if (bytes >= (uint64_t(1) << 20))
        std::snprintf(buf, sizeof buf, "%.0f MB", double(bytes) / double(1 << 20));
    else
        std::snprintf(buf, sizeof buf, "%.0f kB", double(bytes) / 1024.0);
    return buf;
}

} // namespace attnscope
