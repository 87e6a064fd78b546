// y = act(x) elementwise: SiLU, GELU (erf), GELU (tanh), soft-capping, sigmoid, identity.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct ActivationOp {
    static Result canImplement(const ActivationParams& p);
    static size_t workspaceSize(const ActivationParams&) { return 0; }
    static Result run(const ActivationParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
