// Embedding lookup: out[t] = table[ids[t]] · scale, with every id checked against the table on the device. A bad
// id sets a flag in the op's 4-byte workspace; `finish` reads it back (one small synchronous copy per gather: the
// forward gathers twice per run, the embedding and the logit rows).
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → finish → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>

namespace attnscope::cuda {

struct GatherOp {
    static Result canImplement(const GatherParams& p);
    static size_t workspaceSize(const GatherParams&) { return sizeof(int32_t); }
    /// p.badId is set from the workspace.
    static Result run(GatherParams p, void* workspace, cudaStream_t stream);
    /// Waits for the gather and reports an id outside the table.
    static Result finish(const GatherParams& p, void* workspace, cudaStream_t stream);
};

} // namespace attnscope::cuda
