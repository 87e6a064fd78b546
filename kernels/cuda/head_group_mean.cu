// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/head_group_mean.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void headGroupMeanKernel(HeadGroupMeanParams p, int64_t n)
{
    const int64_t per = p.heads / p.groups, d = p.headDim;
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t r = e / d, c = e % d;
        float* x = p.x + r * p.ld;
        for (int64_t g = 0; g < p.groups; ++g) {
            float s = 0.f;
            for (int64_t h = g * per; h < (g + 1) * per; ++h)
                s += x[h * d + c];
            x[g * d + c] = s / static_cast<float>(per);
        }
    }
}

} // namespace

Result HeadGroupMeanOp::canImplement(const HeadGroupMeanParams& p)
{
    if (p.rows < 0 || p.heads <= 0 || p.groups <= 0 || p.heads % p.groups || p.headDim <= 0 || p.ld < p.heads * p.headDim)
        return Result::invalid("head_group_mean: the groups must divide the heads");
    if (p.rows > 0 && !p.x)
        return Result::invalid("head_group_mean: null pointer");
    return Result::success();
}

Result HeadGroupMeanOp::run(const HeadGroupMeanParams& p, void*, cudaStream_t stream)
{
    const int64_t n = p.rows * p.headDim;
    if (n == 0)
        return Result::success();
    headGroupMeanKernel<<<static_cast<unsigned>(elementwiseBlocks(n)), kElementwiseThreads, 0, stream>>>(p, n);
    return checkLaunch("head_group_mean");
}

} // namespace attnscope::cuda
