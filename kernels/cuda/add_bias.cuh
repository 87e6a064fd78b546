// y[r][c] += bias[c] over a strided matrix.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct AddBiasOp {
    static Result canImplement(const AddBiasParams& p);
    static size_t workspaceSize(const AddBiasParams&) { return 0; }
    static Result run(const AddBiasParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
