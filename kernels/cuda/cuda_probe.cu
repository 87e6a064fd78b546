// SPDX-License-Identifier: GPL-3.0-or-later
#include "cuda_probe.cuh"

#include <cuda_runtime.h>

namespace attnscope::cuda {

namespace {

__global__ void addOne(int* x)
{
    *x += 1;
}

std::string describe(cudaError_t e)
{
    return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

} // namespace

ProbeResult probeDevice()
{
    ProbeResult r;
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        r.reason = "no CUDA device";
        return r;
    }
    if (e == cudaErrorInsufficientDriver) {
        r.reason = "no CUDA driver (or the driver is older than this build's CUDA runtime)";
        return r;
    }
    if (e != cudaSuccess) {
        r.reason = "CUDA unavailable (" + describe(e) + ")";
        return r;
    }
    cudaDeviceProp prop {};
    if ((e = cudaGetDeviceProperties(&prop, 0)) != cudaSuccess || (e = cudaSetDevice(0)) != cudaSuccess) {
        r.reason = "cannot open device 0 (" + describe(e) + ")";
        return r;
    }
    r.deviceName = prop.name;
    r.computeMajor = prop.major;
    r.computeMinor = prop.minor;
    int* d = nullptr;
    if ((e = cudaMalloc(&d, sizeof(int))) != cudaSuccess) {
        r.reason = "cannot allocate on device (" + describe(e) + ")";
        return r;
    }
    int h = 41;
    e = cudaMemcpy(d, &h, sizeof(int), cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
        addOne<<<1, 1>>>(d);
        e = cudaGetLastError();
    }
    if (e == cudaSuccess)
        e = cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(d);
    if (e != cudaSuccess || h != 42) {
        r.reason = "test kernel failed (" + (e != cudaSuccess ? describe(e) : std::string("wrong result")) +
                   "); this build targets compute capabilities 7.5–9.0";
        return r;
    }
    cudaMemGetInfo(&r.freeBytes, &r.totalBytes);
    r.ok = true;
    return r;
}

} // namespace attnscope::cuda
