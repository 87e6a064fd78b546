// Tile pyramid: exact pooled tiles from recomputed row blocks, window composition with coarser fallbacks.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/tile_pyramid.h"

#include "core/metrics/streaming_head_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Recomputed probabilities held at once by one tile job: 1 Mi floats (4 MB).
constexpr int64_t kScratchFloats = int64_t(1) << 20;

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/// Whether the mask leaves a valid cell in rows [r0, r1) × keys [c0, c1) (exact for causal and sliding masks,
/// conservative for the others: their hull is the whole causal prefix).
bool blockHasValidCells(const AttentionMask& mask, int64_t tokens, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    const KeyRange hull = mask.blockHull(r0, std::min(r1, tokens), tokens);
    return std::max(hull.begin, c0) < std::min(hull.end, std::min(c1, tokens));
}

} // namespace

int levelForPool(int64_t pool)
{
    int k = 0;
    while (poolOfLevel(k) < pool && k < 40)
        ++k;
    return k;
}

int64_t tilesPerSide(int64_t tokens, int level)
{
    return tokens > 0 ? ceilDiv(tokens, tileSpan(level)) : 0;
}

bool tileHasValidCells(const AttentionMask& mask, int64_t tokens, const TileKey& key)
{
    const int64_t span = tileSpan(key.level);
    return blockHasValidCells(mask, tokens, key.row * span, (key.row + 1) * span, key.col * span, (key.col + 1) * span);
}

PyramidTilePtr computePyramidTile(const HeadTileSource& src, const CapturedSeries& lse, const TileKey& key,
                                  const std::function<bool()>& cancelled)
{
    const int64_t T = src.tokens();
    const int level = key.level;
    const int64_t P = poolOfLevel(level), span = tileSpan(level);
    const int64_t r0 = key.row * span, c0 = key.col * span;
    const int64_t r1 = std::min(T, r0 + span), c1 = std::min(T, c0 + span);
    auto tile = std::make_shared<PyramidTile>();
    tile->key = key;
    if (r0 >= r1 || c0 >= c1 || int64_t(lse.values.size()) < 2 * T)
        return tile;
    tile->rows = static_cast<int>(ceilDiv(r1 - r0, P));
    tile->cols = static_cast<int>(ceilDiv(c1 - c0, P));
    const size_t cells = static_cast<size_t>(tile->rows) * static_cast<size_t>(tile->cols);
    tile->values.assign(cells, kNaN);
    const bool mean = key.pooling == Pooling::Mean;
    std::vector<double> sum(mean ? cells : 0, 0.0);
    std::vector<int64_t> count(mean ? cells : 0, 0);
    const AttentionMask& mask = src.mask();
    // Row blocks of whole pooled rows (a multiple of P), as many as the scratch holds.
    const int64_t width = c1 - c0;
    const int64_t rowsPerChunk = std::max<int64_t>(P, kScratchFloats / std::max<int64_t>(width, 1) / P * P);
    std::vector<float> buf;
    RowKeys keys;
    for (int64_t i0 = r0; i0 < r1; i0 += rowsPerChunk) {
        if (cancelled && cancelled())
            return nullptr;
        const int64_t i1 = std::min(r1, i0 + rowsPerChunk);
        const KeyRange hull = mask.blockHull(i0, i1, T);
        const int64_t h0 = std::max(hull.begin, c0), h1 = std::min(hull.end, c1);
        if (h1 <= h0)
            continue;
        const int64_t w = h1 - h0;
        buf.resize(static_cast<size_t>((i1 - i0) * w));
        src.tile(i0, i1, h0, h1, buf.data());
        for (int64_t i = i0; i < i1; ++i) {
            const float m = lse.values[static_cast<size_t>(i)];
            if (std::isinf(m))
                continue;   // a fully masked row
            // Per-row: P / max_j P = exp(s − m) = P · exp(logΣ).
            const float scale = key.perRow ? std::exp(lse.values[static_cast<size_t>(T + i)]) : 1.f;
            const size_t outRow = static_cast<size_t>((i - r0) >> level) * static_cast<size_t>(tile->cols);
            const float* row = buf.data() + (i - i0) * w - h0;   // row[j] for j in [h0, h1)
            mask.rowKeys(i, T, keys);
            for (const KeyRange& kr : keys.range) {
                const int64_t lo = std::max(kr.begin, h0), hi = std::min(kr.end, h1);
                for (int64_t j = lo; j < hi; ++j) {
                    const float v = row[j] * scale;
                    const size_t k = outRow + static_cast<size_t>((j - c0) >> level);
                    if (mean) {
                        sum[k] += v;
                        ++count[k];
                    } else {
                        float& o = tile->values[k];
                        o = std::isnan(o) ? v : std::max(o, v);
                    }
                }
            }
        }
    }
    if (mean)
        for (size_t k = 0; k < cells; ++k)
            if (count[k] > 0)
                tile->values[k] = static_cast<float>(sum[k] / static_cast<double>(count[k]));
    for (float v : tile->values)
        if (!std::isnan(v))
            tile->maxValue = std::max(tile->maxValue, v);
    return tile;
}

std::vector<TileKey> tilesCovering(const TileKey& proto, int64_t tokens, const AttentionMask& mask, int64_t x0, int64_t x1,
                                   int64_t y0, int64_t y1)
{
    std::vector<TileKey> out;
    if (tokens <= 0)
        return out;
    const int64_t span = tileSpan(proto.level);
    const int64_t last = tilesPerSide(tokens, proto.level) - 1;
    const int64_t tx0 = std::clamp<int64_t>(x0 / span, 0, last), tx1 = std::clamp<int64_t>(x1 / span, 0, last);
    const int64_t ty0 = std::clamp<int64_t>(y0 / span, 0, last), ty1 = std::clamp<int64_t>(y1 / span, 0, last);
    for (int64_t r = ty0; r <= ty1; ++r)
        for (int64_t c = tx0; c <= tx1; ++c) {
            TileKey k = proto;
            k.row = r;
            k.col = c;
            if (tileHasValidCells(mask, tokens, k))
                out.push_back(k);
        }
    const double cx = 0.5 * double(x0 + x1) / double(span) - 0.5, cy = 0.5 * double(y0 + y1) / double(span) - 0.5;
    std::stable_sort(out.begin(), out.end(), [&](const TileKey& a, const TileKey& b) {
        const double da = std::hypot(double(a.col) - cx, double(a.row) - cy);
        const double db = std::hypot(double(b.col) - cx, double(b.row) - cy);
        return da < db;
    });
    return out;
}

ValueGrid composeLevelWindow(int64_t tokens, const AttentionMask& mask, int level, int64_t tileRow0, int64_t tileCol0,
                             int tileRows, int tileCols, const std::function<PyramidTilePtr(int64_t, int64_t)>& lookup,
                             const ValueGrid* fallback, int* missing)
{
    ValueGrid g;
    if (missing)
        *missing = 0;
    const int64_t P = poolOfLevel(level), span = tileSpan(level);
    const int64_t row0 = tileRow0 * span, col0 = tileCol0 * span;
    if (tokens <= 0 || row0 >= tokens || col0 >= tokens || tileRows <= 0 || tileCols <= 0)
        return g;
    g.rows = static_cast<int>(std::min<int64_t>(int64_t(tileRows) * kTileCells, ceilDiv(tokens - row0, P)));
    g.cols = static_cast<int>(std::min<int64_t>(int64_t(tileCols) * kTileCells, ceilDiv(tokens - col0, P)));
    g.pool = static_cast<int>(P);
    g.window = PoolWindow{row0, col0, g.rows, g.cols, static_cast<int>(P), static_cast<int>(P)};
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    for (int tr = 0; tr < tileRows; ++tr)
        for (int tc = 0; tc < tileCols; ++tc) {
            const int64_t kr = tileRow0 + tr, kc = tileCol0 + tc;
            const int gr0 = tr * kTileCells, gc0 = tc * kTileCells;
            if (gr0 >= g.rows || gc0 >= g.cols)
                continue;
            const int gr1 = std::min(g.rows, gr0 + kTileCells), gc1 = std::min(g.cols, gc0 + kTileCells);
            TileKey probe;
            probe.level = level;
            probe.row = kr;
            probe.col = kc;
            if (!tileHasValidCells(mask, tokens, probe))
                continue;   // all hatch
            const PyramidTilePtr t = lookup ? lookup(kr, kc) : nullptr;
            if (t && t->key.level == level) {
                for (int r = gr0; r < gr1 && r - gr0 < t->rows; ++r)
                    std::copy_n(t->values.data() + static_cast<size_t>(r - gr0) * static_cast<size_t>(t->cols),
                                std::min(gc1 - gc0, t->cols), g.values.data() + static_cast<size_t>(r) * g.cols + gc0);
                continue;
            }
            if (missing)
                ++*missing;
            // Replicate from a coarser tile or the fallback grid, keeping masked blocks masked.
            for (int r = gr0; r < gr1; ++r) {
                const int64_t i = row0 + int64_t(r) * P;
                for (int c = gc0; c < gc1; ++c) {
                    const int64_t j = col0 + int64_t(c) * P;
                    if (!blockHasValidCells(mask, tokens, i, i + P, j, j + P))
                        continue;
                    float v = kNaN;
                    if (t) {
                        const int64_t s = tileSpan(t->key.level);
                        const int64_t rr = (i - t->key.row * s) >> t->key.level, cc = (j - t->key.col * s) >> t->key.level;
                        if (rr >= 0 && cc >= 0 && rr < t->rows && cc < t->cols)
                            v = t->at(static_cast<int>(rr), static_cast<int>(cc));
                    } else if (fallback && fallback->rows > 0) {
                        const int64_t rr = (i - fallback->window.row0) / std::max(1, fallback->window.poolY);
                        const int64_t cc = (j - fallback->window.col0) / std::max(1, fallback->window.poolX);
                        if (rr >= 0 && cc >= 0 && rr < fallback->rows && cc < fallback->cols)
                            v = fallback->at(static_cast<int>(rr), static_cast<int>(cc));
                    }
                    g.values[static_cast<size_t>(r) * g.cols + c] = v;
                }
            }
        }
    for (float v : g.values)
        if (!std::isnan(v))
            g.sourceMax = std::max(g.sourceMax, static_cast<double>(std::fabs(v)));
    return g;
}

ValueGrid coarseGridOf(const CapturedSeries& coarse, int64_t tokens)
{
    ValueGrid g;
    if (coarse.shape.size() != 2 || coarse.shape[0] != coarse.shape[1] || tokens <= 0)
        return g;
    const int64_t side = coarse.shape[0];
    const int64_t p = StreamingHeadStats::poolFor(tokens);
    if (side != ceilDiv(tokens, p) || static_cast<int64_t>(coarse.values.size()) != side * side)
        return g;
    g.rows = g.cols = static_cast<int>(side);
    g.pool = static_cast<int>(p);
    g.window = PoolWindow{0, 0, g.rows, g.cols, static_cast<int>(p), static_cast<int>(p)};
    g.values = coarse.values;
    for (float v : g.values)
        if (!std::isnan(v))
            g.sourceMax = std::max(g.sourceMax, static_cast<double>(std::fabs(v)));
    return g;
}

ValueGrid poolGridTo(const ValueGrid& grid, int maxSide)
{
    if (grid.rows <= 0 || grid.cols <= 0)
        return {};
    const int q = std::max(1, static_cast<int>(ceilDiv(std::max(grid.rows, grid.cols), std::max(1, maxSide))));
    if (q == 1)
        return grid;
    ValueGrid g;
    g.rows = static_cast<int>(ceilDiv(grid.rows, q));
    g.cols = static_cast<int>(ceilDiv(grid.cols, q));
    g.pool = grid.pool * q;
    g.window = PoolWindow{grid.window.row0, grid.window.col0, g.rows, g.cols, grid.window.poolX * q, grid.window.poolY * q};
    g.sourceMax = grid.sourceMax;
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    for (int r = 0; r < grid.rows; ++r)
        for (int c = 0; c < grid.cols; ++c) {
            const float v = grid.at(r, c);
            if (std::isnan(v))
                continue;
            float& o = g.values[static_cast<size_t>(r / q) * static_cast<size_t>(g.cols) + static_cast<size_t>(c / q)];
            if (std::isnan(o) || std::fabs(v) > std::fabs(o))
                o = v;
        }
    return g;
}

} // namespace attnscope
