// Softmax attention of one layer in fp32 with the probabilities the capture asks for (docs/CUDA.md "Attention").
// Two passes over key tiles of each block of query rows, both skipping the tiles the mask removes:
//   1. statistics: scores s = (scale·q)·k on the valid keys, a running max and sum per row → the row's
//      normaliser (max M and log L, with the sink column when the layer has one), into the workspace;
//   2. output: the scores again, p = exp((s − M) − log L) — the exact final probabilities, no rescaling —
//      written to the captured maps (every cell: masked and skipped cells 0), accumulated into o = Σ p·v, plus
//      the LSE, the normaliser and p_sink where asked.
// Both passes run in launches of at most attentionRowBlocksPerLaunch row blocks (cuda_heuristics.h); between
// launches the op checks cancellation and, when it launched more than one chunk, synchronises, so cancel waits for
// one launch at most. The workspace holds 2 × heads × tokens floats.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cuda_runtime.h>
#include <functional>
#include <vector>

namespace attnscope::cuda {

/// Per-head outputs of a call (device pointers, one entry per head or empty for none; entries may be null).
struct AttentionCapture {
    std::vector<float*> probs, lse, rowMax, rowLogSum, sinkProbs;
};

struct AttentionOp {
    /// Shapes, strides and pointers (p.dtype must be F32: the bf16/fp16 path is attention_tc.cuh), and tiles
    /// that fit (chooseAttentionTiles).
    static Result canImplement(const AttentionParams& p, const AttentionTiles& tiles);
    /// The row normalisers: 2 × heads × tokens floats.
    static size_t workspaceSize(const AttentionParams& p) { return 2 * size_t(p.heads) * size_t(p.tokens) * sizeof(float); }
    /// Both passes over every head and row. p.rowNorm must point to workspaceSize(p) bytes (canImplement does not
    /// look at it). `stop` is polled between launches (may be empty).
    static Result run(const AttentionParams& p, const AttentionTiles& tiles, const AttentionCapture& capture,
                      const std::function<bool()>& stop, cudaStream_t stream);
    /// Pass 1 alone: every head's row normalisers into p.rowNorm.
    static Result runStatistics(const AttentionParams& p, const AttentionTiles& tiles, const std::function<bool()>& stop,
                                cudaStream_t stream);
    /// Pass 2 alone for heads [headBegin, headEnd) and row blocks [rowBlockBegin, rowBlockEnd), after pass 1. Row i
    /// of head h's map goes to capture.probs[h] + (i − probsRowOffset)·tokens: with an offset the buffer holds just
    /// the rows of the range (rows streamed to the host a range at a time).
    static Result runOutput(const AttentionParams& p, const AttentionTiles& tiles, const AttentionCapture& capture,
                            int64_t headBegin, int64_t headEnd, int64_t rowBlockBegin, int64_t rowBlockEnd,
                            int64_t probsRowOffset, const std::function<bool()>& stop, cudaStream_t stream);
};

} // namespace attnscope::cuda
