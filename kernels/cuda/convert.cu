// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/convert.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace attnscope::cuda {

namespace {

__device__ inline float load(const void* x, DType t, int64_t i)
{
    switch (t) {
    case DType::F32: return static_cast<const float*>(x)[i];
    case DType::F16: return __half2float(static_cast<const __half*>(x)[i]);
    case DType::BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(x)[i]);
    }
    return 0.f;
}

__device__ inline void store(void* y, DType t, int64_t i, float v)
{
    switch (t) {
    case DType::F32: static_cast<float*>(y)[i] = v; break;
    case DType::F16: static_cast<__half*>(y)[i] = __float2half_rn(v); break;
    case DType::BF16: static_cast<__nv_bfloat16*>(y)[i] = __float2bfloat16_rn(v); break;
    }
}

__global__ void convertKernel(ConvertParams p)
{
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n; i += int64_t(gridDim.x) * blockDim.x)
        store(p.y, p.to, i, load(p.x, p.from, i));
}

} // namespace

Result ConvertOp::canImplement(const ConvertParams& p)
{
    if (p.n < 0)
        return Result::invalid("convert: negative size");
    if (p.n > 0 && (!p.x || !p.y))
        return Result::invalid("convert: null pointer");
    if (p.x == p.y && dtypeBytes(p.from) != dtypeBytes(p.to))
        return Result::invalid("convert: in place only between types of one size");
    return Result::success();
}

Result ConvertOp::run(const ConvertParams& p, void*, cudaStream_t stream)
{
    if (p.n == 0)
        return Result::success();
    convertKernel<<<static_cast<unsigned>(elementwiseBlocks(p.n)), kElementwiseThreads, 0, stream>>>(p);
    return checkLaunch("convert");
}

} // namespace attnscope::cuda
