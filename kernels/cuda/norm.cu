// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/norm.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

/// Sum over the block (blockDim.x a multiple of 32, every thread calls it); `red` holds 32 values.
template <typename T>
__device__ T blockSum(T v, T* red)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0)
        red[warp] = v;
    __syncthreads();
    if (warp == 0) {
        const int nWarps = blockDim.x >> 5;
        T t = lane < nWarps ? red[lane] : T(0);
        for (int o = 16; o > 0; o >>= 1)
            t += __shfl_xor_sync(0xffffffffu, t, o);
        if (lane == 0)
            red[0] = t;   // every lane of warp 0 read red[] before the shuffles above
    }
    __syncthreads();
    const T r = red[0];
    __syncthreads();   // red[] is reused by the next reduction
    return r;
}

__global__ void rmsNormKernel(NormParams p)
{
    __shared__ float red[32];
    const float n = static_cast<float>(p.cols);
    for (int64_t r = blockIdx.x; r < p.rows; r += gridDim.x) {
        const float* x = p.x + r * p.ldx;
        float* y = p.y + r * p.ldy;
        float ss = 0.f;
        for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x)
            ss += x[c] * x[c];
        ss = blockSum(ss, red);
        const float inv = 1.0f / sqrtf(ss / n + p.eps);
        // Each thread rewrites only the columns it read: y may equal x.
        for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x) {
            const float v = x[c] * inv;
            y[c] = p.weight ? (p.weightOffset + p.weight[c]) * v : v;
        }
    }
}

__global__ void layerNormKernel(NormParams p)
{
    __shared__ double red[32];
    for (int64_t r = blockIdx.x; r < p.rows; r += gridDim.x) {
        const float* x = p.x + r * p.ldx;
        float* y = p.y + r * p.ldy;
        double s = 0;
        for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x)
            s += x[c];
        const double mean = blockSum(s, red) / double(p.cols);
        double v = 0;
        for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x) {
            const double dlt = double(x[c]) - mean;
            v += dlt * dlt;
        }
        const double var = blockSum(v, red) / double(p.cols);
        const float inv = static_cast<float>(1.0 / sqrt(var + double(p.eps)));
        const float m = static_cast<float>(mean);
        for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x) {
            float o = (x[c] - m) * inv;
            if (p.weight)
                o *= p.weightOffset + p.weight[c];
            if (p.bias)
                o += p.bias[c];
            y[c] = o;
        }
    }
}

} // namespace

Result NormOp::canImplement(const NormParams& p)
{
    if (p.rows < 0 || p.cols <= 0 || p.ldx < p.cols || p.ldy < p.cols)
        return Result::invalid("norm: inconsistent sizes or strides");
    if (p.rows > 0 && (!p.x || !p.y))
        return Result::invalid("norm: null input or output");
    if (p.kind != NormKind::Rms && p.kind != NormKind::Layer)
        return Result::invalid("norm: unknown kind");
    return Result::success();
}

Result NormOp::run(const NormParams& p, void*, cudaStream_t stream)
{
    if (p.rows == 0)
        return Result::success();
    const int threads = normThreads(p.cols);
    const unsigned blocks = static_cast<unsigned>(p.rows < kMaxNormBlocks ? p.rows : kMaxNormBlocks);
    if (p.kind == NormKind::Rms) {
        rmsNormKernel<<<blocks, threads, 0, stream>>>(p);
        return checkLaunch("rms_norm");
    }
    layerNormKernel<<<blocks, threads, 0, stream>>>(p);
    return checkLaunch("layer_norm");
}

} // namespace attnscope::cuda
