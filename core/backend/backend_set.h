// The backends a run uses: the selected one plus the CPU backend that runs whatever the selected one does not
// support (placement per op, ARCHITECTURE §5). `notes` says why a preferred backend was skipped.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

#include <memory>
#include <string>

namespace attnscope {

struct BackendSet {
    std::unique_ptr<Backend> primary;
    std::unique_ptr<Backend> cpuFallback;   // null when primary is the CPU backend
    std::string notes;

    Backend& main() { return *primary; }
    Backend& fallback() { return cpuFallback ? *cpuFallback : *primary; }
    void setThreads(int n)
    {
        primary->setThreads(n);
        if (cpuFallback)
            cpuFallback->setThreads(n);
    }
    /// "cpu" or e.g. "cuda (NVIDIA H100 …)"
    std::string label() const { return primary->name(); }
};

/// which = auto | cpu | cuda. Throws Error(Usage/Unsupported) as BackendRegistry::create does.
BackendSet selectBackends(const BackendRegistry& registry, const std::string& which, int threads);

} // namespace attnscope
