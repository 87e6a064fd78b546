// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/add_bias.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void addBiasKernel(AddBiasParams p, int64_t n)
{
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t r = e / p.cols, c = e % p.cols;
        p.y[r * p.ldy + c] += p.bias[c];
    }
}

} // namespace

Result AddBiasOp::canImplement(const AddBiasParams& p)
{
    if (p.rows < 0 || p.cols < 0 || p.ldy < p.cols)
        return Result::invalid("add_bias: inconsistent sizes");
    if (p.rows * p.cols > 0 && (!p.y || !p.bias))
        return Result::invalid("add_bias: null pointer");
    return Result::success();
}

Result AddBiasOp::run(const AddBiasParams& p, void*, cudaStream_t stream)
{
    const int64_t n = p.rows * p.cols;
    if (n == 0)
        return Result::success();
    addBiasKernel<<<static_cast<unsigned>(elementwiseBlocks(n)), kElementwiseThreads, 0, stream>>>(p, n);
    return checkLaunch("add_bias");
}

} // namespace attnscope::cuda
