// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/cuda_common.cuh"

namespace attnscope::cuda {

bool isStickyError(cudaError_t e)
{
    switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorMisalignedAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
    case cudaErrorDevicesUnavailable:
    case cudaErrorUnknown:
        return true;
    default:
        return false;
    }
}

Result resultFromCuda(cudaError_t e, const std::string& what)
{
    if (e == cudaSuccess)
        return Result::success();
    const std::string m = what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
    if (e == cudaErrorMemoryAllocation)
        return Result::oom(m);
    return Result::device(m, isStickyError(e));
}

Result checkLaunch(const char* kernel)
{
    const cudaError_t e = cudaGetLastError();   // returns and clears the last non-sticky error
    return resultFromCuda(e, std::string("kernel ") + kernel);
}

} // namespace attnscope::cuda
