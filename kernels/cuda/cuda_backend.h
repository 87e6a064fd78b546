// The CUDA backend object (no CUDA headers here: callers stay plain C++).
// This build has the device probe and the backend object; its kernels arrive op by op with parity tests
// against the CPU reference, and until an op is supported here the engine places it on the CPU backend
// (placement per op through supports(), ARCHITECTURE §5).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

namespace attnscope::cuda {

std::unique_ptr<BackendFactory> makeCudaBackendFactory();

} // namespace attnscope::cuda
