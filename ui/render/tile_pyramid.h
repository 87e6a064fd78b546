// The head view's tile pyramid for long prompts (docs/LONG-CONTEXT.md "In the GUI"): a head's map is never held
// whole; what is drawn is pooled from exact tiles recomputed from the run's queries, keys and row normalisers
// (core/attention/tile_recompute.h). Level k pools blocks of 2^k × 2^k map cells (max or mean, as the view's
// pooling setting says); a tile of level k is kTileCells × kTileCells pooled cells, so it covers
// (kTileCells · 2^k)² map cells. Tile (level, r, c) covers rows [r·span, (r+1)·span) and keys
// [c·span, (c+1)·span) with span = kTileCells · 2^k, clipped at the map's end. A pooled cell whose block is
// entirely masked is NaN (drawn transparent over the hatch).
// Pure functions over immutable inputs: tiles are computed on workers and handed to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "core/results/attention_map.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace attnscope {

/// Pooled cells per tile side.
inline constexpr int kTileCells = 128;

/// Which tile: of which run and head, under which pooling, at which level, where.
struct TileKey {
    uint64_t run = 0;
    int layer = 0, head = 0;
    Pooling pooling = Pooling::Max;
    bool perRow = false;
    int level = 0;
    int64_t row = 0, col = 0;
    auto operator<=>(const TileKey&) const = default;
    /// Of the same pyramid (run, head, pooling, normalisation), at any level and place.
    bool samePyramid(const TileKey& o) const
    {
        return run == o.run && layer == o.layer && head == o.head && pooling == o.pooling && perRow == o.perRow;
    }
};

/// One computed tile: rows × cols pooled cells (fewer than kTileCells at the map's end), row-major, NaN = masked.
struct PyramidTile {
    TileKey key;
    int rows = 0, cols = 0;
    std::vector<float> values;
    float maxValue = 0;   // largest value in the tile (0 when every cell is masked)
    size_t bytes() const { return values.size() * sizeof(float) + sizeof(PyramidTile); }
    float at(int r, int c) const { return values[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)]; }
};
using PyramidTilePtr = std::shared_ptr<const PyramidTile>;

/// Map cells per pooled cell at a level (2^level).
inline int64_t poolOfLevel(int level) { return int64_t(1) << level; }
/// Map cells covered by one tile side at a level.
inline int64_t tileSpan(int level) { return int64_t(kTileCells) << level; }
/// The finest level whose pooled cells are at least `pool` map cells wide (so a pixel never shows less than a
/// pooled cell: no cell is dropped when drawing).
int levelForPool(int64_t pool);
/// Tiles per side at a level for a map of `tokens`.
int64_t tilesPerSide(int64_t tokens, int level);

/// Computes one tile exactly. Row i's values are P[i, j] (perRow: P[i, j] / max_j P[i, j], the row maximum being
/// exp(−logΣ_i) from the row normaliser `lse`, [2, T]). `cancelled` is polled between row blocks; a cancelled
/// computation returns null. Threading: any thread.
PyramidTilePtr computePyramidTile(const HeadTileSource& source, const CapturedSeries& lse, const TileKey& key,
                                  const std::function<bool()>& cancelled = {});

/// Tiles that cover map cells [x0, x1] × [y0, y1] (inclusive key / query ranges) at a level, nearest the centre
/// of the range first. Tiles whose every cell the mask removes are left out (they are drawn as hatch).
std::vector<TileKey> tilesCovering(const TileKey& proto, int64_t tokens, const AttentionMask& mask, int64_t x0, int64_t x1,
                                   int64_t y0, int64_t y1);

/// Whether the mask leaves any cell of the tile valid.
bool tileHasValidCells(const AttentionMask& mask, int64_t tokens, const TileKey& key);

/// The grid of a level over a window of whole tiles: rows/cols of pooled cells starting at tile (row0, col0).
/// `lookup(row, col)` returns the tile of this level, or a coarser tile that contains it (its key says which), or
/// null; cells of a coarser tile are replicated, and where there is none the cells come from `fallback` (a grid
/// over the whole map, e.g. the streamed coarse grid) or stay NaN. Replicated cells whose block the mask removes
/// entirely are NaN. `missing` receives how many tiles of the window were not available at this level.
ValueGrid composeLevelWindow(int64_t tokens, const AttentionMask& mask, int level, int64_t tileRow0, int64_t tileCol0,
                             int tileRows, int tileCols, const std::function<PyramidTilePtr(int64_t, int64_t)>& lookup,
                             const ValueGrid* fallback, int* missing = nullptr);

/// The streamed coarse grid of a long run (Quantity::CoarseMax / CoarseMean, side × side, pool ⌈T / 256⌉) as a
/// ValueGrid over the whole map.
ValueGrid coarseGridOf(const CapturedSeries& coarse, int64_t tokens);
/// A grid pooled further by square blocks to at most maxSide cells per side (max of magnitudes, NaN-aware): the
/// overview thumbnails of a long run come from the streamed grid this way.
ValueGrid poolGridTo(const ValueGrid& grid, int maxSide);

} // namespace attnscope
