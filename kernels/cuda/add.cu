// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/add.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void addKernel(AddParams p)
{
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n; i += int64_t(gridDim.x) * blockDim.x)
        p.y[i] += p.x[i];
}

} // namespace

Result AddOp::canImplement(const AddParams& p)
{
    if (p.n < 0)
        return Result::invalid("add: negative size");
    if (p.n > 0 && (!p.x || !p.y))
        return Result::invalid("add: null pointer");
    return Result::success();
}

Result AddOp::run(const AddParams& p, void*, cudaStream_t stream)
{
    if (p.n == 0)
        return Result::success();
    addKernel<<<static_cast<unsigned>(elementwiseBlocks(p.n)), kElementwiseThreads, 0, stream>>>(p);
    return checkLaunch("add");
}

} // namespace attnscope::cuda
