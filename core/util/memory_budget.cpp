// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/memory_budget.h"

#include <cstdio>
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
