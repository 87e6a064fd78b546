// RMSNorm (weight w or 1 + w) and LayerNorm (biased variance, optional bias) per row, as
// kernels/cpu/norm.cpp computes them: RMS in fp32, LayerNorm's mean and variance in fp64, two passes.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct NormOp {
    static Result canImplement(const NormParams& p);
    static size_t workspaceSize(const NormParams&) { return 0; }
    static Result run(const NormParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
