// Shared device helpers of the CUDA kernels: warp reductions, the launch-status check every op runs after its
// launches, and the mapping of CUDA error codes to Result (out of memory, sticky, other).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>
#include <string>

namespace attnscope::cuda {

/// Errors after which the context is unusable until the process exits (CUDA runtime documentation: "the
/// process must be terminated and relaunched"): every later call returns the same error.
bool isStickyError(cudaError_t e);

/// A Result for a failed CUDA call: OutOfMemory for cudaErrorMemoryAllocation, DeviceError otherwise (sticky as
/// isStickyError says). `what` names the call or kernel.
Result resultFromCuda(cudaError_t e, const std::string& what);

/// After a kernel launch: launch-configuration errors (and earlier asynchronous errors) as a Result. Clears
/// non-sticky errors so the next op starts clean.
Result checkLaunch(const char* kernel);

#if defined(__CUDACC__)
__device__ inline float warpMax(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ inline float warpSum(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ inline double warpSumD(double v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
#endif

} // namespace attnscope::cuda
