// Turning attention maps into images: pooling a window of a map to the pixels it is drawn on (max or mean, so
// a map with more tokens than pixels is never sampled), LUT colourising under a ViewSettings, and the layer mean
// behind the signed "difference from the layer mean" view. Pure functions over immutable inputs, meant to run on
// a worker and hand the QImage to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "core/results/attention_map.h"
#include "ui/render/view_settings.h"

#include <QImage>

#include <memory>
#include <vector>

namespace attnscope {

/// Which cells a pooled grid covers and how coarsely: grid cell (r, c) is the block of map cells
/// rows [row0 + r·poolY, row0 + (r+1)·poolY) × columns [col0 + c·poolX, col0 + (c+1)·poolX); cells past the map's
/// end count as masked.
struct PoolWindow {
    int64_t row0 = 0, col0 = 0;
    int rows = 0, cols = 0;
    int poolX = 1, poolY = 1;
    bool operator==(const PoolWindow& o) const = default;
    /// Whether the window covers map cells [x0, x1] × [y0, y1] (inclusive, clamped to the map by the caller).
    bool covers(int64_t x0, int64_t x1, int64_t y0, int64_t y1) const
    {
        return x0 >= col0 && y0 >= row0 && x1 < col0 + int64_t(cols) * poolX && y1 < row0 + int64_t(rows) * poolY;
    }
};

/// The window that shows map cells [xLo, xHi] × [yLo, yHi] (axis coordinates, cell k spans k ± 0.5) on
/// widthPx × heightPx device pixels with at most one grid cell per pixel along each axis — so drawing it never
/// drops a cell — extended by `margin` × the visible span on every side (small pans need no new grid) and snapped
/// to whole blocks.
PoolWindow windowFor(int64_t tokens, double xLo, double xHi, double yLo, double yHi, int widthPx, int heightPx,
                     double margin = 0.25);

/// rows × cols values, row-major; NaN marks a masked cell (drawn transparent, so the hatch shows through).
struct ValueGrid {
    int rows = 0;
    int cols = 0;
    int pool = 1;              // source cells per grid cell along the columns (poolSource: both axes)
    PoolWindow window;
    double sourceMax = 0;      // largest |value| over the map cells pooled (before any per-row division)
    std::vector<float> values;
    float at(int r, int c) const { return values[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)]; }
};

/// What a heatmap shows: a map's probabilities, the signed difference from its layer's mean over heads, or a map
/// whose own values are signed (a differential head's A1 − λ·A2); or, for a long prompt whose run kept no maps, the
/// head's exact tiles recomputed on demand (docs/LONG-CONTEXT.md).
struct HeatmapSource {
    AttentionMapPtr map;
    std::shared_ptr<const std::vector<float>> layerMean;   // tokens² mean over the layer's heads (Δ view)
    std::shared_ptr<const HeadTileSource> tiles{};         // long prompts: no map, cells recomputed
    CapturedSeriesPtr rowNormaliser{};                     // long prompts: the head's [2, T] row normaliser
    int64_t pooledTokens = 0;                              // a pooled grid drawn alone (the compare panes of a
                                                           // long prompt): the map's token count, no cell values
    bool pooledSigned = false;                             // … whose values are signed (a difference)
    /// Signed values get the zero-centred diverging scale: the Δ view, and quantities whose schema domain is
    /// signed (a differential head's A1 − λ·A2).
    bool isSigned() const
    {
        return layerMean != nullptr || pooledSigned || (map && quantityInfo(map->quantity).domain == ValueDomain::Signed);
    }
    int64_t tokens() const { return map ? map->tokens : tiles ? tiles->tokens() : pooledTokens; }
    bool empty() const { return !map && !tiles && pooledTokens <= 0; }
    /// The value drawn at (query i, key j): the weight, or weight − layer mean.
    float value(int64_t i, int64_t j) const
    {
        const size_t k = static_cast<size_t>(i * map->tokens + j);
        return layerMean ? map->probs[k] - (*layerMean)[k] : map->probs[k];
    }
};

/// Pools one window: each grid cell is the block's value of largest magnitude (Pooling::Max: a sink or a
/// diagonal one cell wide stays visible) or the mean of its unmasked cells (Pooling::Mean). A block is masked
/// only when all of its cells are. With `perRow`, every map row is first divided by its largest magnitude over
/// the whole row (so zooming does not change colours).
ValueGrid poolWindow(const HeatmapSource& src, const PoolWindow& window, Pooling mode, bool perRow);

/// The whole map max-pooled to at most maxSide cells per side with square blocks (the overview thumbnails).
ValueGrid poolSource(const HeatmapSource& src, int maxSide);

/// Largest |value| over the map's unmasked cells (for weights: the largest weight).
double maxMagnitude(const HeatmapSource& src);

struct ColourisedGrid {
    QImage image;              // ARGB32, one pixel per grid cell, alpha 0 where masked
    double vmin = 0, vmax = 1; // the value range the colours span (per-row: 0..1 of the row maximum)
};

/// Colours a grid under the settings (the settings' effective colormap/scale for signed data). The colours span
/// [0, rangeMax] (signed: [−rangeMax, rangeMax]); rangeMax ≤ 0 takes the grid's own maximum magnitude. Per-row
/// normalisation divides each grid row by its own maximum.
ColourisedGrid colouriseGrid(const ValueGrid& grid, const ViewSettings& settings, bool isSigned, double rangeMax = -1);

/// The mean over the layer's delivered heads of their maps, tokens² floats: computed once per layer and shared
/// by every head's Δ view (masked cells are 0 in every head, so they stay 0). Null when no head is present.
std::shared_ptr<const std::vector<float>> layerMeanOf(const std::vector<AttentionMapPtr>& layerHeads);

} // namespace attnscope
