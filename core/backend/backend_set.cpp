// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"

namespace attnscope {

BackendSet selectBackends(const BackendRegistry& registry, const std::string& which, int threads)
{
    BackendSet s;
    s.primary = registry.create(which, s.notes);
    if (s.primary->name() != "cpu") {
        std::string ignored;
        s.cpuFallback = registry.create("cpu", ignored);
    }
    s.setThreads(threads);
    return s;
}

} // namespace attnscope
