// Device probe: driver present, device count ≥ 1, context created, a tiny kernel runs (docs/CUDA.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <string>

namespace attnscope::cuda {

struct ProbeResult {
    bool ok = false;
    std::string reason;        // why not ("no CUDA driver", "no device", "kernel launch failed: …")
    std::string deviceName;
    int computeMajor = 0, computeMinor = 0;
    size_t freeBytes = 0, totalBytes = 0;
};

ProbeResult probeDevice();

} // namespace attnscope::cuda
