// The CUDA backend (docs/CUDA.md): device buffers, one stream, every op of core/backend/backend.h through the
// kernels of this folder and cuBLASLt. No CUDA headers here: callers stay plain C++.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

namespace attnscope::cuda {

std::unique_ptr<BackendFactory> makeCudaBackendFactory();

/// Fault injection for tests and scripts/gpu-check.sh, from the environment variable ATTNSCOPE_CUDA_FAULT =
/// KIND@OP[#N]: KIND is oom (the N-th call of OP reports out of memory once), oom-always (every call from the
/// N-th on), error (a non-sticky device error once) or sticky (a sticky error: the backend becomes unhealthy);
/// OP is an op name as opKindName() spells it (gemm, attention, …); N defaults to 1.
struct FaultPlan {
    enum class Kind { None, Oom, OomAlways, Error, Sticky } kind = Kind::None;
    OpKind op = OpKind::Count;
    int64_t call = 1;
};
/// Parses the variable's value; an empty or malformed value yields Kind::None and, when malformed, a reason.
FaultPlan parseFaultPlan(const std::string& value, std::string* problem = nullptr);

} // namespace attnscope::cuda
