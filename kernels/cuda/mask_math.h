// The attention mask on the device: the same predicate and block hull as core's AttentionMask
// (core/attention/attention_mask.h, which cannot be compiled by nvcc), plus the tile test the kernels use to skip
// key tiles no row of a block may see. tests/kernels/test_cuda_host_logic.cpp checks every function against
// core's and against brute force over all small shapes of every kind, so the two copies cannot drift apart
// silently. Host and device (ATTNSCOPE_HD); the table kinds read their device tables (MaskParams).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"

namespace attnscope::cuda {

struct KeySpan {
    int64_t begin = 0, end = 0;   // half-open
};

ATTNSCOPE_HD inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
ATTNSCOPE_HD inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
ATTNSCOPE_HD inline int64_t iabs(int64_t a) { return a < 0 ? -a : a; }

/// Whether the mask adds j ≤ i (core: AttentionMask::isCausal()).
ATTNSCOPE_HD inline bool maskIsCausal(const MaskParams& m)
{
    return m.kind != MaskKind::Bidirectional && m.requireCausal != 0;
}

/// Can query i attend to key j (0 ≤ i, j < tokens)? Core's AttentionMask::valid, case by case.
ATTNSCOPE_HD inline bool maskValid(const MaskParams& m, int64_t i, int64_t j)
{
    if (m.kind == MaskKind::Bidirectional)
        return true;
    if (m.requireCausal && j > i)
        return false;
    switch (m.kind) {
    case MaskKind::Causal: return true;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return iabs(i - j) < m.window;
    case MaskKind::SlidingSinks: return j < m.sinks || iabs(i - j) < m.window;
    case MaskKind::Longformer: return iabs(i - j) <= m.window / 2 || m.isGlobal[i] != 0 || m.isGlobal[j] != 0;
    case MaskKind::BigBird: {
        const int64_t bi = i / m.block, bj = j / m.block;
        return bi < m.queryBlocks && bj < m.keyBlocks && m.blockAllowed[bi * m.keyBlocks + bj] != 0;
    }
    case MaskKind::Fixed: return j / m.block == i / m.block || (j % m.block) >= m.block - m.stride;
    case MaskKind::Explicit:
        return i < m.bitsTokens && j < m.bitsTokens && ((m.bits[i * m.wordsPerRow + j / 64] >> (j % 64)) & 1u) != 0;
    }
    return false;
}

/// Smallest key range covering the valid keys of every row in [i0, i1) ∩ [0, tokens) (empty when none); core's
/// AttentionMask::blockHull.
ATTNSCOPE_HD inline KeySpan maskBlockHull(const MaskParams& m, int64_t i0, int64_t i1, int64_t tokens)
{
    i0 = imax(i0, 0);
    i1 = imin(i1, tokens);
    if (i1 <= i0)
        return {0, 0};
    const bool causal = maskIsCausal(m);
    switch (m.kind) {
    case MaskKind::Sliding:
        return {imax(0, i0 - m.window + 1), causal ? i1 : imin(tokens, i1 - 1 + m.window)};
    case MaskKind::SlidingSinks:
        return {m.sinks > 0 ? 0 : imax(0, i0 - m.window + 1), causal ? i1 : imin(tokens, imax(i1 - 1 + m.window, m.sinks))};
    default:
        return {0, causal ? i1 : tokens};
    }
}

/// May some row i in [i0, i1) see some key j in [j0, j1)? Never false when a valid cell exists (a kernel skips
/// the tile and writes zeros for it); exact for the causal, bidirectional and sliding kinds, where skipping is
/// what makes long sliding-window layers linear. Sliding: cell (i, j) is valid iff j ≤ i ≤ j + W − 1 (causal) or
/// j − W + 1 ≤ i ≤ j + W − 1; over the tile's keys those rows form one contiguous range that must meet
/// [i0, i1 − 1]. Sinks add the cells j < S (j ≤ i when causal). The table and block kinds answer "maybe" inside
/// the causal bound.
ATTNSCOPE_HD inline bool maskTileMayHaveValid(const MaskParams& m, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                                              int64_t tokens)
{
    i0 = imax(i0, 0);
    i1 = imin(i1, tokens);
    j0 = imax(j0, 0);
    j1 = imin(j1, tokens);
    if (i1 <= i0 || j1 <= j0)
        return false;
    const bool causal = maskIsCausal(m);
    const bool band = i0 - j1 < m.window - 1 && (causal ? j0 < i1 : j0 - i1 < m.window - 1);
    switch (m.kind) {
    case MaskKind::Causal: return causal ? j0 < i1 : true;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return band;
    case MaskKind::SlidingSinks: return band || (j0 < m.sinks && (!causal || j0 < i1));
    default: return causal ? j0 < i1 : true;
    }
}

} // namespace attnscope::cuda
