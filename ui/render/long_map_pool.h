// A long run's head map pooled for a figure (docs/LONG-CONTEXT.md "Figures and data export"): the run keeps no
// map, so the figure's cells are pooled from rows recomputed exactly (core/attention/tile_recompute.h) on worker
// threads, or taken from the streamed 256² grids when the figure needs no finer cells than they have. The pool
// is the head view's pyramid level for the figure's resolution: a power of two, no narrower than the map's
// tokens per figure pixel, and at most kLongFigureMaxCells cells per side (what keeps a vector PDF of a 32k map
// bounded). The cells equal poolWindow() over the stored map (heatmap_image.h) within float rounding.
// Threading: pure functions over immutable inputs; they start and join their own workers.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "ui/render/heatmap_image.h"

#include <cstdint>

namespace attnscope {

/// Cells per side a figure of a long map draws at most (1,024² pooled cells: a ≤ 4 MB lossless image).
inline constexpr int kLongFigureMaxCells = 1024;

/// The pool (a power of two) for `span` tokens drawn on `pixels` device pixels, capped so that at most
/// kLongFigureMaxCells cells are drawn per side.
int longFigurePool(int64_t span, int64_t pixels);

/// Pools window `w` of the head whose exact tiles `src` recomputes (lse: its [2, T] row normaliser), as
/// poolWindow() pools a stored map: max (largest value) or mean of the unmasked cells; with perRow each row is
/// first divided by its maximum exp(−logΣ_i). When `coarse` (Quantity::CoarseMax for Max, CoarseMean for Mean)
/// is given and the window is the whole map at a multiple of its pool without perRow, the grid is pooled from it
/// instead (means weighted by each block's count of unmasked cells). `threads` ≤ 0: the hardware's.
ValueGrid poolLongWindow(const HeadTileSource& src, const CapturedSeries& lse, const PoolWindow& w, Pooling mode, bool perRow,
                         const CapturedSeries* coarse = nullptr, int threads = 0);

/// The largest weight of the map: max_i exp(−logΣ_i) (a row's largest weight is exp(−logΣ_i)).
double longMapMax(const CapturedSeries& lse, int64_t tokens);

} // namespace attnscope
