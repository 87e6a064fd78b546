// Softmax attention on tensor cores for 16-bit inputs (bf16 on sm_80+, fp16 on every architecture we build),
// head dim 64 or 128, with the probabilities written as fp32 or in the input's 16-bit type (docs/CUDA.md
// "Attention"). The same two passes as the fp32 kernel (attention.cuh) — row statistics, then exact
// probabilities exp(s − lse) accumulated into the output — with the score and output products as 16×16×16 WMMA
// tiles (fp32 accumulation). The forward pass runs in fp32 and does not use this op; the attention benchmark and
// its parity test do. Every mask kind and the sink column are supported as in the fp32 kernel.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>
#include <functional>
#include <vector>

namespace attnscope::cuda {

/// Tile shape of the tensor-core kernels: 4 warps × 16 query rows, key tiles of 32 — under 48 KiB of shared
/// memory for d = 128 (Q 16 KiB, K and V tiles 8.5 KiB each, per-warp scores 9 KiB and probabilities 5 KiB).
inline constexpr int kTcRowsPerBlock = 64;
inline constexpr int kTcKeyTile = 32;
inline constexpr int kTcWarps = 4;

/// Per-head outputs (device pointers; entries may be null; probs of probsDType).
struct AttentionTcCapture {
    std::vector<void*> probs;
    std::vector<float*> lse, rowMax, rowLogSum, sinkProbs;
};

struct AttentionTcOp {
    /// p.dtype BF16 (needs sm_80: `smMajor` ≥ 8) or F16; headDim 64 or 128; row strides, head strides and base
    /// pointers of q, k, v aligned to 8 elements (16 bytes); probsDType F32 or p.dtype.
    static Result canImplement(const AttentionParams& p, DType probsDType, int smMajor);
    /// The row normalisers: 2 × heads × tokens floats (p.rowNorm).
    static size_t workspaceSize(const AttentionParams& p) { return 2 * size_t(p.heads) * size_t(p.tokens) * sizeof(float); }
    /// Row blocks per launch for cancellation (≥ 1; all of them when 0).
    static Result run(const AttentionParams& p, DType probsDType, const AttentionTcCapture& capture, int64_t rowBlocksPerLaunch,
                      const std::function<bool()>& stop, cudaStream_t stream);
};

} // namespace attnscope::cuda
