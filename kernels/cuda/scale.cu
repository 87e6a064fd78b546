// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/scale.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void scaleKernel(ScaleParams p)
{
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n; i += int64_t(gridDim.x) * blockDim.x)
        p.x[i] *= p.s;
}

} // namespace

Result ScaleOp::canImplement(const ScaleParams& p)
{
    if (p.n < 0)
        return Result::invalid("scale: negative size");
    if (p.n > 0 && !p.x)
        return Result::invalid("scale: null pointer");
    return Result::success();
}

Result ScaleOp::run(const ScaleParams& p, void*, cudaStream_t stream)
{
    if (p.n == 0)
        return Result::success();
    scaleKernel<<<static_cast<unsigned>(elementwiseBlocks(p.n)), kElementwiseThreads, 0, stream>>>(p);
    return checkLaunch("scale");
}

} // namespace attnscope::cuda
