// Element type conversion between fp32, fp16 and bf16 (round to nearest even), for the fp16/bf16 GEMM
// and attention paths and their tests.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct ConvertOp {
    static Result canImplement(const ConvertParams& p);
    static size_t workspaceSize(const ConvertParams&) { return 0; }
    static Result run(const ConvertParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
