// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/gated_activation.cuh"

#include "kernels/cuda/activation_math.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void gatedActivationKernel(GatedActivationParams p)
{
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n; i += int64_t(gridDim.x) * blockDim.x)
        p.out[i] = activate(p.act, p.gate[i / p.repeat], 0.f) * p.up[i];
}

} // namespace

Result GatedActivationOp::canImplement(const GatedActivationParams& p)
{
    if (p.n < 0 || p.repeat < 1 || p.n % p.repeat)
        return Result::invalid("gated_activation: bad size or repeat");
    if (p.act == ActKind::Softcap || static_cast<int32_t>(p.act) < 0 ||
        static_cast<int32_t>(p.act) > static_cast<int32_t>(ActKind::Identity))
        return Result::invalid("gated_activation: unsupported activation");
    if (p.n > 0 && (!p.gate || !p.up || !p.out))
        return Result::invalid("gated_activation: null pointer");
    // out may alias up (each i reads up[i] then writes out[i]); aliasing gate is only safe when every gate value
    // is read by the one thread that overwrites it (repeat = 1).
    if (p.repeat > 1 && p.out == p.gate)
        return Result::invalid("gated_activation: out may alias gate only when repeat = 1");
    return Result::success();
}

Result GatedActivationOp::run(const GatedActivationParams& p, void*, cudaStream_t stream)
{
    if (p.n == 0)
        return Result::success();
    gatedActivationKernel<<<static_cast<unsigned>(elementwiseBlocks(p.n)), kElementwiseThreads, 0, stream>>>(p);
    return checkLaunch("gated_activation");
}

} // namespace attnscope::cuda
