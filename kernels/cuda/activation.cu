// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/activation.cuh"

#include "kernels/cuda/activation_math.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void activationKernel(ActivationParams p)
{
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n; i += int64_t(gridDim.x) * blockDim.x)
        p.y[i] = activate(p.act, p.x[i], p.param);
}

} // namespace

Result ActivationOp::canImplement(const ActivationParams& p)
{
    if (p.n < 0)
        return Result::invalid("activation: negative size");
    if (p.act == ActKind::Softcap && !(p.param > 0.f))
        return Result::invalid("activation: soft-cap needs a positive cap");
    if (p.n > 0 && (!p.x || !p.y))
        return Result::invalid("activation: null pointer");
    if (static_cast<int32_t>(p.act) < 0 || static_cast<int32_t>(p.act) > static_cast<int32_t>(ActKind::Identity))
        return Result::invalid("activation: unknown function");
    return Result::success();
}

Result ActivationOp::run(const ActivationParams& p, void*, cudaStream_t stream)
{
    if (p.n == 0)
        return Result::success();
    activationKernel<<<static_cast<unsigned>(elementwiseBlocks(p.n)), kElementwiseThreads, 0, stream>>>(p);
    return checkLaunch("activation");
}

} // namespace attnscope::cuda
