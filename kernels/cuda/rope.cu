// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/rope.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

/// One thread per rotated pair: index e = (t · heads + h) · half + i.
__global__ void ropeKernel(RopeParams p, int64_t pairs)
{
    const int64_t half = p.ropeDims / 2;
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < pairs; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t i = e % half;
        const int64_t th = e / half;
        const int64_t h = th % p.heads;
        const int64_t t = th / p.heads;
        float* x = p.x + t * p.ldx + h * p.headStride;
        float* pa = p.pairing == 0 ? x + 2 * i : x + i;
        float* pb = p.pairing == 0 ? x + 2 * i + 1 : x + i + half;
        const float c = p.cos[t * p.ldTable + i], s = p.sin[t * p.ldTable + i];
        const float va = *pa, vb = *pb;
        *pa = va * c - vb * s;
        *pb = vb * c + va * s;
    }
}

} // namespace

Result RopeOp::canImplement(const RopeParams& p)
{
    if (p.tokens < 0 || p.heads < 0 || p.ropeDims <= 0 || p.ropeDims > p.headDim || p.ropeDims % 2)
        return Result::invalid("rope: inconsistent sizes");
    if (p.headStride < p.headDim || p.ldx < p.heads * p.headStride - (p.headStride - p.headDim) ||
        p.ldTable < p.ropeDims / 2)
        return Result::invalid("rope: inconsistent strides");
    if (p.pairing != 0 && p.pairing != 1)
        return Result::invalid("rope: unknown pairing");
    if (p.tokens * p.heads > 0 && (!p.x || !p.cos || !p.sin))
        return Result::invalid("rope: null pointer");
    return Result::success();
}

Result RopeOp::run(const RopeParams& p, void*, cudaStream_t stream)
{
    const int64_t pairs = p.tokens * p.heads * (p.ropeDims / 2);
    if (pairs == 0)
        return Result::success();
    ropeKernel<<<static_cast<unsigned>(elementwiseBlocks(pairs)), kElementwiseThreads, 0, stream>>>(p, pairs);
    return checkLaunch("rope");
}

} // namespace attnscope::cuda
