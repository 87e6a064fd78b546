// The head view of a long prompt (docs/LONG-CONTEXT.md "In the GUI"): the run kept no map, so the view shows at
// once the head's streamed 256² pooled grid (max or mean per the pooling setting), then refines the visible part
// from exact tiles of the pyramid (ui/render/tile_pyramid.h) at the level that puts at most one pooled cell on a
// pixel, computed on workers (as many at a time as there are cores) nearest the centre first, cached in an LRU
// TileCache. While tiles compute, the coarser level on screen stays (scaled), zoom and pan only replot it, and a
// composition job (the visible tiles, coarser tiles or the streamed grid where a tile is missing) replaces the
// image as tiles land. A head, settings or level change drops queued tiles and stops running ones (generation).
// Threading: UI thread; tile and composition jobs run on the global thread pool over immutable inputs.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/tile_cache.h"
#include "ui/render/view_settings.h"

#include <QObject>

#include <atomic>
#include <deque>
#include <memory>
#include <set>

namespace attnscope {

class AttentionPlot;
class SessionContext;

class LongHeadRenderer : public QObject {
    Q_OBJECT
public:
    LongHeadRenderer(SessionContext* context, AttentionPlot* plot, QObject* parent = nullptr);

    /// Shows (layer, head) of a long run under the current settings; false when the head has nothing to show
    /// (not computed yet, or the run kept no tiles for it).
    bool show(int layer, int head);
    /// The zoom, the plot's size or its visibility changed: recompose, and compute what the new view needs.
    void viewChanged();
    /// A new run or no run: drops the cache and every job.
    void reset();
    /// Nothing to show (the view shows a message): drops the jobs, keeps the cache.
    void stop();

    /// Tile or composition jobs out, or visible tiles still to compute.
    bool isBusy() const;
    /// The level of the image on screen (-1: the streamed grid) and whether every visible tile of it is exact.
    int shownLevel() const { return m_shownLevel; }
    bool shownExact() const { return m_shownExact; }
    TileCache& cache() { return m_cache; }
    /// Tiles computed since the last reset (for tests and the benchmark).
    int tilesComputed() const { return m_tilesComputed; }
    /// Parallel tile jobs (default: the ideal thread count).
    void setMaxJobs(int n) { m_maxJobs = std::max(1, n); }

signals:
    /// After the plot was replotted with (layer, head); `exact`: every visible cell comes from exact tiles.
    void rendered(int layer, int head, bool exact);

private:
    struct ViewPlan {
        bool coarse = true;          // the streamed grid is fine enough (or per-row needs no tiles: see .cpp)
        int level = 0;
        int64_t tileRow0 = 0, tileCol0 = 0;
        int tileRows = 0, tileCols = 0;
        int64_t x0 = 0, x1 = 0, y0 = 0, y1 = 0;   // visible cells
        bool operator==(const ViewPlan&) const = default;
    };
    ViewPlan plan() const;
    void compose();
    void scheduleTiles(const ViewPlan& p);
    void startJobs();
    PyramidTilePtr lookup(int level, int64_t row, int64_t col);
    TileKey proto() const;

    SessionContext* m_context;
    AttentionPlot* m_plot;
    TileCache m_cache;
    // The head on screen.
    int m_layer = -1, m_head = -1;
    ViewSettings m_settings;
    quint64 m_run = 0;
    quint64 m_generation = 0;
    std::shared_ptr<std::atomic<quint64>> m_liveGeneration = std::make_shared<std::atomic<quint64>>(0);
    std::shared_ptr<std::atomic<int>> m_liveLevel = std::make_shared<std::atomic<int>>(-1);
    // Tiles.
    std::deque<TileKey> m_wanted;
    std::set<TileKey> m_inFlight;
    int m_maxJobs = 2;
    int m_tilesComputed = 0;
    // Composition.
    bool m_composing = false;
    bool m_composeAgain = false;
    ViewPlan m_shownPlan;
    int m_shownLevel = -1;
    bool m_shownExact = false;
};

} // namespace attnscope
