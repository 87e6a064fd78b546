// LongHeadRenderer: the view plan (level and tiles for the zoom), tile jobs, composition jobs.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/long_head_renderer.h"

#include "core/metrics/streaming_head_stats.h"
#include "ui/background_job.h"
#include "ui/session_context.h"
#include "ui/widgets/attention_plot.h"

#include <QThread>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

// A hidden plot has no real size yet: plan as for a typical screen (no tiles are computed while hidden).
constexpr int kHiddenPixels = 1024;

struct Composed {
    ColourisedGrid image;
    PoolWindow window;
    int missing = 0;
    int tiles = 0;
};

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

} // namespace

LongHeadRenderer::LongHeadRenderer(SessionContext* context, AttentionPlot* plot, QObject* parent)
    : QObject(parent)
    , m_context(context)
    , m_plot(plot)
    , m_maxJobs(std::max(1, QThread::idealThreadCount()))
{
}

TileKey LongHeadRenderer::proto() const
{
    TileKey k;
    k.run = m_run;
    k.layer = m_layer;
    k.head = m_head;
    k.pooling = m_settings.pooling;
    k.perRow = m_settings.normalisation == Normalisation::PerRow;
    return k;
}

void LongHeadRenderer::reset()
{
    ++m_generation;
    m_liveGeneration->store(m_generation);
    m_cache.clear();
    m_wanted.clear();
    m_inFlight.clear();
    m_layer = m_head = -1;
    m_shownLevel = -1;
    m_shownExact = false;
    m_shownPlan = {};
    m_tilesComputed = 0;
}

void LongHeadRenderer::stop()
{
    ++m_generation;
    m_liveGeneration->store(m_generation);
    m_wanted.clear();
    m_layer = m_head = -1;
    m_shownPlan = {};
}

bool LongHeadRenderer::show(int layer, int head)
{
    if (!m_context->tiles(layer, head))
        return false;
    const ViewSettings settings = m_context->viewSettings();
    const quint64 run = m_context->runGeneration();
    if (layer != m_layer || head != m_head || !(settings == m_settings) || run != m_run) {
        ++m_generation;   // queued tiles of the previous head are dropped, running ones stop at their next block
        m_liveGeneration->store(m_generation);
        m_wanted.clear();
        m_layer = layer;
        m_head = head;
        m_settings = settings;
        m_run = run;
    }
    compose();
    scheduleTiles(plan());
    return true;
}

void LongHeadRenderer::viewChanged()
{
    if (m_layer < 0)
        return;
    const ViewPlan p = plan();
    if (!(p == m_shownPlan))
        compose();
    scheduleTiles(p);
}

bool LongHeadRenderer::isBusy() const
{
    return m_composing || !m_inFlight.empty() || !m_wanted.empty();
}

LongHeadRenderer::ViewPlan LongHeadRenderer::plan() const
{
    ViewPlan p;
    const std::shared_ptr<const HeadTileSource> src = m_context->tiles(m_layer, m_head);
    if (!src)
        return p;
    const int64_t T = src->tokens();
    QSize px = m_plot->dataAreaPixels();
    if (!m_plot->isVisible() || px.width() < 32 || px.height() < 32)
        px = QSize(kHiddenPixels, kHiddenPixels);
    double xLo = -0.5, xHi = double(T) - 0.5, yLo = xLo, yHi = xHi;
    if (m_plot->cells() == T) {
        xLo = m_plot->xAxis->range().lower;
        xHi = m_plot->xAxis->range().upper;
        yLo = m_plot->yAxis->range().lower;
        yHi = m_plot->yAxis->range().upper;
    }
    auto cells = [T](double lo, double hi, int64_t& first, int64_t& last) {
        first = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo - 0.5)) + 1, 0, T - 1);
        last = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(hi + 0.5)) - 1, first, T - 1);
    };
    cells(xLo, xHi, p.x0, p.x1);
    cells(yLo, yHi, p.y0, p.y1);
    const int64_t pool = std::max<int64_t>({1, ceilDiv(p.x1 - p.x0 + 1, px.width()), ceilDiv(p.y1 - p.y0 + 1, px.height())});
    p.level = levelForPool(pool);
    // The streamed grid serves while its cells are no larger than the pixels' share; per-row normalisation
    // needs each row's own maximum, which only exact tiles have.
    const bool perRow = m_settings.normalisation == Normalisation::PerRow;
    p.coarse = !perRow && poolOfLevel(p.level) >= StreamingHeadStats::poolFor(T);
    if (p.coarse) {
        p.level = -1;
        return p;
    }
    // The tiles behind the visible cells plus a quarter of the view on every side (small pans need nothing new).
    const int64_t span = tileSpan(p.level), last = tilesPerSide(T, p.level) - 1;
    const int64_t ex = ceilDiv((p.x1 - p.x0 + 1), 4), ey = ceilDiv((p.y1 - p.y0 + 1), 4);
    const int64_t c0 = std::clamp<int64_t>((p.x0 - ex) / span, 0, last), c1 = std::clamp<int64_t>((p.x1 + ex) / span, 0, last);
    const int64_t r0 = std::clamp<int64_t>((p.y0 - ey) / span, 0, last), r1 = std::clamp<int64_t>((p.y1 + ey) / span, 0, last);
    p.tileRow0 = r0;
    p.tileCol0 = c0;
    p.tileRows = static_cast<int>(r1 - r0 + 1);
    p.tileCols = static_cast<int>(c1 - c0 + 1);
    return p;
}

PyramidTilePtr LongHeadRenderer::lookup(int level, int64_t row, int64_t col)
{
    TileKey k = proto();
    k.level = level;
    k.row = row;
    k.col = col;
    if (PyramidTilePtr t = m_cache.get(k))
        return t;
    const int64_t T = m_context->tokenCount();
    // A coarser cached tile that contains this one, scaled up while this one computes.
    for (int up = 1; up <= 12 && tileSpan(level + up - 1) < 2 * T; ++up) {
        k.level = level + up;
        k.row = row >> up;
        k.col = col >> up;
        if (PyramidTilePtr t = m_cache.get(k))
            return t;
    }
    return nullptr;
}

void LongHeadRenderer::scheduleTiles(const ViewPlan& p)
{
    m_wanted.clear();
    m_liveLevel->store(p.coarse ? -1 : p.level);   // running tiles of another level stop at their next block
    if (p.coarse || !m_plot->isVisible())
        return;
    const std::optional<AttentionMask> mask = m_context->headMask(m_layer, m_head);
    const int64_t T = m_context->tokenCount();
    if (!mask || T <= 0)
        return;
    TileKey k = proto();
    k.level = p.level;
    const int64_t span = tileSpan(p.level);
    std::vector<TileKey> keys = tilesCovering(k, T, *mask, p.x0, p.x1, p.y0, p.y1);
    const std::vector<TileKey> around =
        tilesCovering(k, T, *mask, p.tileCol0 * span, (p.tileCol0 + p.tileCols) * span - 1, p.tileRow0 * span,
                      (p.tileRow0 + p.tileRows) * span - 1);
    keys.insert(keys.end(), around.begin(), around.end());
    std::set<TileKey> queued;
    for (const TileKey& key : keys)
        if (!m_cache.contains(key) && !m_inFlight.count(key) && queued.insert(key).second)
            m_wanted.push_back(key);
    startJobs();
}

void LongHeadRenderer::startJobs()
{
    while (static_cast<int>(m_inFlight.size()) < m_maxJobs && !m_wanted.empty()) {
        const TileKey key = m_wanted.front();
        m_wanted.pop_front();
        if (m_cache.contains(key) || m_inFlight.count(key))
            continue;
        const std::shared_ptr<const HeadTileSource> src = m_context->tiles(key.layer, key.head);
        const CapturedSeriesPtr lse = m_context->series(Quantity::RowLogSumExp, key.layer, key.head);
        if (!src || !lse)
            continue;
        m_inFlight.insert(key);
        const quint64 gen = m_generation;
        runInBackground(this, [src, lse, key, gen, live = m_liveGeneration, liveLevel = m_liveLevel]() {
            return computePyramidTile(*src, *lse, key, [&] { return live->load() != gen || liveLevel->load() != key.level; });
        }, [this, key](PyramidTilePtr tile) {
            m_inFlight.erase(key);
            // The key holds everything a tile's values depend on, so a finished tile is kept whatever changed
            // while it was computed (a colormap, a zoom and back). A job stopped by a change gives no tile:
            // the current view asks again for what it still lacks. While the job ran, that view skipped the key
            // as in flight, and nothing else would ask for it, so the view would stay half refined.
            const bool current = m_layer >= 0 && proto().samePyramid(key);
            if (tile && key.run == m_run) {
                m_cache.insert(tile);
                ++m_tilesComputed;
                if (current && !m_shownPlan.coarse && key.level == m_shownPlan.level)
                    compose();
            }
            if (!tile && current)
                scheduleTiles(plan());
            else
                startJobs();
            if (!isBusy())
                compose();   // the last tile: the image and its title say "exact"
        });
    }
}

void LongHeadRenderer::compose()
{
    if (m_composing) {
        m_composeAgain = true;
        return;
    }
    const std::shared_ptr<const HeadTileSource> src = m_context->tiles(m_layer, m_head);
    const std::optional<AttentionMask> mask = m_context->headMask(m_layer, m_head);
    if (!src || !mask)
        return;
    m_composeAgain = false;
    m_composing = true;
    const ViewPlan p = plan();
    const int64_t T = src->tokens();
    const bool mean = m_settings.pooling == Pooling::Mean;
    const bool perRow = m_settings.normalisation == Normalisation::PerRow;
    CapturedSeriesPtr coarse = m_context->series(mean ? Quantity::CoarseMean : Quantity::CoarseMax, m_layer, m_head);
    CapturedSeriesPtr maxGrid = m_context->series(Quantity::CoarseMax, m_layer, m_head);
    std::vector<PyramidTilePtr> tiles;
    bool anyTile = false;
    if (!p.coarse)
        for (int r = 0; r < p.tileRows; ++r)
            for (int c = 0; c < p.tileCols; ++c) {
                tiles.push_back(lookup(p.level, p.tileRow0 + r, p.tileCol0 + c));
                anyTile = anyTile || tiles.back();
            }
    // Nothing finer than the streamed grid yet (a head just selected): show that grid as it is, which is quicker
    // than replicating it into the level's window.
    const bool streamedOnly = !p.coarse && !anyTile && !perRow && coarse;
    const ViewSettings settings = m_settings;
    const quint64 gen = m_generation;
    const int layer = m_layer, head = m_head;
    runInBackground(this, [p, T, mask = *mask, coarse, maxGrid, tiles = std::move(tiles), settings, perRow, streamedOnly]() {
        Composed out;
        const ValueGrid fallback = coarse ? coarseGridOf(*coarse, T) : ValueGrid{};
        // The colours span the head's largest weight, which the streamed max-pooled grid holds exactly.
        const double range = perRow ? 1.0 : maxGrid ? coarseGridOf(*maxGrid, T).sourceMax : fallback.sourceMax;
        ValueGrid grid;
        if (p.coarse || streamedOnly) {
            grid = fallback;
            out.tiles = out.missing = streamedOnly ? p.tileRows * p.tileCols : 0;
        } else {
            auto find = [&](int64_t r, int64_t c) {
                return tiles[static_cast<size_t>((r - p.tileRow0) * p.tileCols + (c - p.tileCol0))];
            };
            grid = composeLevelWindow(T, mask, p.level, p.tileRow0, p.tileCol0, p.tileRows, p.tileCols, find,
                                      perRow ? nullptr : &fallback, &out.missing);
            out.tiles = p.tileRows * p.tileCols;
        }
        ViewSettings colour = settings;
        colour.normalisation = Normalisation::Global;   // per-row tiles were divided by their rows' maxima
        out.image = colouriseGrid(grid, colour, false, range > 0 ? range : -1);
        out.window = grid.window;
        return out;
    }, [this, p, gen, layer, head, settings](Composed out) {
        m_composing = false;
        if (gen == m_generation && layer == m_layer && head == m_head && !out.image.image.isNull()) {
            HeatmapSource source;
            source.tiles = m_context->tiles(layer, head);
            source.rowNormaliser = m_context->series(Quantity::RowLogSumExp, layer, head);
            const int kv = head / std::max(1, m_context->groupSize());
            QString title = tr("Layer %1 · Head %2 (KV head %3) · %4 tokens · long prompt: ")
                                .arg(layer).arg(head).arg(kv).arg(source.tokens());
            if (p.coarse)
                title += tr("pooled while the run streamed");
            else if (out.missing == 0)
                title += tr("exact tiles");
            else
                title += tr("refining, %1 of %2 tiles exact").arg(out.tiles - out.missing).arg(out.tiles);
            if (m_context->isStale())
                title += tr(" · stale: computed for the previous prompt");
            m_plot->setHeatmap(source, out.image, out.window, settings, title);
            m_plot->setQueryRow(m_context->query());
            m_plot->replot();
            m_shownPlan = p;
            m_shownLevel = p.coarse ? -1 : p.level;
            m_shownExact = !p.coarse && out.missing == 0;
            emit rendered(layer, head, m_shownExact);
        }
        if (m_composeAgain || (gen == m_generation && !(plan() == m_shownPlan)))
            compose();
    });
}

} // namespace attnscope
