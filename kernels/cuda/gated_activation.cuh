// out[i] = act(gate[i / repeat]) · up[i]: SwiGLU, GeGLU, and output gates with one gate per head (repeat = d).
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct GatedActivationOp {
    static Result canImplement(const GatedActivationParams& p);
    static size_t workspaceSize(const GatedActivationParams&) { return 0; }
    static Result run(const GatedActivationParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
