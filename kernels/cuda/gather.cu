// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/gather.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

namespace attnscope::cuda {

namespace {

__global__ void gatherKernel(GatherParams p, int64_t n)
{
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t t = e / p.cols, c = e % p.cols;
        const int32_t id = p.ids[t];
        if (id < 0 || id >= p.tableRows) {
            if (c == 0)
                atomicExch(p.badId, 1);
            continue;
        }
        p.out[t * p.ldOut + c] = p.table[int64_t(id) * p.ldTable + c] * p.scale;
    }
}

} // namespace

Result GatherOp::canImplement(const GatherParams& p)
{
    if (p.count < 0 || p.cols <= 0 || p.ldTable < p.cols || p.ldOut < p.cols || p.tableRows < 0)
        return Result::invalid("gather: inconsistent sizes");
    if (p.count > 0 && (!p.ids || !p.table || !p.out))
        return Result::invalid("gather: null pointer");
    return Result::success();
}

Result GatherOp::run(GatherParams p, void* workspace, cudaStream_t stream)
{
    const int64_t n = p.count * p.cols;
    if (n == 0)
        return Result::success();
    p.badId = static_cast<int32_t*>(workspace);
    if (cudaError_t e = cudaMemsetAsync(p.badId, 0, sizeof(int32_t), stream); e != cudaSuccess)
        return resultFromCuda(e, "gather: clearing the id check");
    gatherKernel<<<static_cast<unsigned>(elementwiseBlocks(n)), kElementwiseThreads, 0, stream>>>(p, n);
    return checkLaunch("gather");
}

Result GatherOp::finish(const GatherParams& p, void* workspace, cudaStream_t stream)
{
    if (p.count * p.cols == 0)
        return Result::success();
    int32_t bad = 0;
    cudaError_t e = cudaMemcpyAsync(&bad, workspace, sizeof(bad), cudaMemcpyDeviceToHost, stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(stream);
    if (e != cudaSuccess)
        return resultFromCuda(e, "gather: reading the id check");
    if (bad)
        return Result::invalid("gather: an id is outside the table of " + std::to_string(p.tableRows) + " rows");
    return Result::success();
}

} // namespace attnscope::cuda
