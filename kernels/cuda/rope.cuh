// Rotary position embedding in place: adjacent-pair or split-half pairing, partial rotary (the first
// ropeDims dims of each head), one thread per rotated pair.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct RopeOp {
    static Result canImplement(const RopeParams& p);
    static size_t workspaceSize(const RopeParams&) { return 0; }
    static Result run(const RopeParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
