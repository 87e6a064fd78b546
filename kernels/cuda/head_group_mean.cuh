// K/V heads regrouped by averaging, in place (the gqa/mqa what-if runs): afterwards the first groups·headDim
// columns of every row hold the means of heads/groups consecutive heads. One thread per (row, column) walks the
// groups in increasing order, as kernels/cpu/elementwise.cpp does: group g reads heads ≥ g, so writing slot g
// never clobbers a later source, and the sums run in the CPU's order.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct HeadGroupMeanOp {
    static Result canImplement(const HeadGroupMeanParams& p);
    static size_t workspaceSize(const HeadGroupMeanParams&) { return 0; }
    static Result run(const HeadGroupMeanParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
