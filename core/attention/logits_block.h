// Attention logits S = (scale · Q) · Kᵀ for a block of queries and keys, with every element accumulated in one
// fixed order — s_ij = Σ_k (scale · q_ik) · k_jk, k = 0 … d−1 in sequence — whatever the block's size or position.
// The attention kernel and the tile recomputation of long prompts (core/attention/tile_recompute.h) both use it, so
// a recomputed tile has bitwise the logits the forward used (a BLAS-style GEMM picks its summation order from the
// blocking, which made recomputed weights differ by up to 8e-6). Keys are read transposed (d × n, contiguous
// over keys) so the inner loop runs over keys and vectorises.
// Threading: pure function.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>

namespace attnscope {

/// out[r][c] for rows r < rows, columns c < cols: q row r at q + r·ldq (d values), key column c at kt[k·ldkt + c].
void attentionLogits(const float* q, int64_t ldq, int64_t rows, const float* kt, int64_t ldkt, int64_t cols, int64_t d,
                     float scale, float* out, int64_t ldo);

} // namespace attnscope
