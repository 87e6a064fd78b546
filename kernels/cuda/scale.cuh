// x[i] *= s.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct ScaleOp {
    static Result canImplement(const ScaleParams& p);
    static size_t workspaceSize(const ScaleParams&) { return 0; }
    static Result run(const ScaleParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
