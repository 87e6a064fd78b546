// The attention mask on the device: the same predicate, row ranges and block hull as core's AttentionMask
// (core/attention/attention_mask.h, which cannot be compiled by nvcc), plus the tile test the kernels use to skip
// key tiles no row of a block may see. tests/kernels/test_cuda_host.cpp checks every function against core's and
// against brute force over all small shapes, so the two copies cannot drift apart silently.
// Host and device (ATTNSCOPE_HD); plain integer arithmetic only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"

namespace attnscope::cuda {

struct KeySpan {
    int64_t begin = 0, end = 0;   // half-open
};

/// At most two disjoint key ranges of one row, increasing.
struct RowSpans {
    KeySpan span[2];
    int count = 0;
};

ATTNSCOPE_HD inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
ATTNSCOPE_HD inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

/// Can query i attend to key j (0 ≤ i, j < tokens)?
ATTNSCOPE_HD inline bool maskValid(const MaskParams& m, int64_t i, int64_t j)
{
    switch (m.kind) {
    case MaskKind::Causal: return j <= i;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return j <= i && i - j < m.window;
    case MaskKind::SlidingSinks: return j <= i && (j < m.sinks || i - j < m.window);
    }
    return false;
}

/// The valid keys of row i (0 ≤ i < tokens).
ATTNSCOPE_HD inline RowSpans maskRowSpans(const MaskParams& m, int64_t i, int64_t tokens)
{
    RowSpans r;
    if (i < 0 || i >= tokens)
        return r;
    switch (m.kind) {
    case MaskKind::Causal: r.span[r.count++] = {0, i + 1}; break;
    case MaskKind::Bidirectional: r.span[r.count++] = {0, tokens}; break;
    case MaskKind::Sliding: r.span[r.count++] = {imax(0, i - m.window + 1), i + 1}; break;
    case MaskKind::SlidingSinks: {
        const int64_t winBegin = imax(0, i - m.window + 1);
        const int64_t sinkEnd = imin(m.sinks, i + 1);
        if (sinkEnd >= winBegin) {
            r.span[r.count++] = {0, i + 1};
        } else {
            if (sinkEnd > 0)
                r.span[r.count++] = {0, sinkEnd};
            r.span[r.count++] = {winBegin, i + 1};
        }
        break;
    }
    }
    return r;
}

/// Smallest key range covering the valid keys of every row in [i0, i1) ∩ [0, tokens) (empty when none).
ATTNSCOPE_HD inline KeySpan maskBlockHull(const MaskParams& m, int64_t i0, int64_t i1, int64_t tokens)
{
    i0 = imax(i0, 0);
    i1 = imin(i1, tokens);
    if (i1 <= i0)
        return {0, 0};
    switch (m.kind) {
    case MaskKind::Causal: return {0, i1};
    case MaskKind::Bidirectional: return {0, tokens};
    case MaskKind::Sliding: return {imax(0, i0 - m.window + 1), i1};
    case MaskKind::SlidingSinks: return {m.sinks > 0 ? 0 : imax(0, i0 - m.window + 1), i1};
    }
    return {0, 0};
}

/// May some row i in [i0, i1) see some key j in [j0, j1)? Exact for every kind (never false when a valid cell
/// exists, never true when none does), so a kernel may skip the tile's scores and write zeros for it.
/// Sliding: cell (i, j) is valid iff j ≤ i ≤ j + W − 1; over the tile's keys those rows form the contiguous range
/// [j0, j1 + W − 2], which must meet [i0, i1 − 1]. Sinks add the cells j < S, j ≤ i.
ATTNSCOPE_HD inline bool maskTileMayHaveValid(const MaskParams& m, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                                              int64_t tokens)
{
    i0 = imax(i0, 0);
    i1 = imin(i1, tokens);
    j0 = imax(j0, 0);
    j1 = imin(j1, tokens);
    if (i1 <= i0 || j1 <= j0)
        return false;
    switch (m.kind) {
    case MaskKind::Causal: return j0 < i1;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return j0 < i1 && i0 - j1 < m.window - 1;
    case MaskKind::SlidingSinks: return (j0 < i1 && i0 - j1 < m.window - 1) || (j0 < m.sinks && j0 < i1);
    }
    return true;
}

} // namespace attnscope::cuda
