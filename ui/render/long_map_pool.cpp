// Long-map pooling for figures: exact rows recomputed in blocks on workers, or the streamed grids pooled again.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/long_map_pool.h"

#include "core/metrics/streaming_head_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace attnscope {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Recomputed probabilities one worker holds at once: 1 Mi floats (4 MB).
constexpr int64_t kScratchFloats = int64_t(1) << 20;

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/// Grid rows [r0, r1) of window w from recomputed row blocks.
void poolRows(const HeadTileSource& src, const CapturedSeries& lse, const PoolWindow& w, Pooling mode, bool perRow, int r0,
              int r1, ValueGrid& g, double& sourceMax)
{
    const int64_t T = src.tokens();
    const AttentionMask& mask = src.mask();
    const int64_t colEnd = std::min<int64_t>(T, w.col0 + int64_t(w.cols) * w.poolX);
    const int64_t width = std::max<int64_t>(1, colEnd - w.col0);
    const bool mean = mode == Pooling::Mean;
    std::vector<double> sum(mean ? static_cast<size_t>(g.cols) : 0);
    std::vector<int64_t> count(mean ? static_cast<size_t>(g.cols) : 0);
    std::vector<float> buf;
    RowKeys keys;
    // Whole grid rows per block, as many as the scratch holds.
    const int gridRowsPerBlock = static_cast<int>(std::max<int64_t>(1, kScratchFloats / width / std::max(1, w.poolY)));
    for (int rb = r0; rb < r1; rb += gridRowsPerBlock) {
        const int rbEnd = std::min(r1, rb + gridRowsPerBlock);
        const int64_t i0 = w.row0 + int64_t(rb) * w.poolY;
        const int64_t i1 = std::min<int64_t>(T, w.row0 + int64_t(rbEnd) * w.poolY);
        if (i0 >= i1)
            break;
        const KeyRange hull = mask.blockHull(i0, i1, T);
        const int64_t h0 = std::max(hull.begin, w.col0), h1 = std::min(hull.end, colEnd);
        if (h1 <= h0)
            continue;   // every cell of these rows is masked in the window: NaN
        const int64_t bw = h1 - h0;
        buf.resize(static_cast<size_t>((i1 - i0) * bw));
        src.tile(i0, i1, h0, h1, buf.data());
        for (int r = rb; r < rbEnd; ++r) {
            float* out = g.values.data() + static_cast<size_t>(r) * static_cast<size_t>(g.cols);
            const int64_t ri0 = w.row0 + int64_t(r) * w.poolY, ri1 = std::min<int64_t>(i1, ri0 + w.poolY);
            for (int64_t i = ri0; i < ri1; ++i) {
                if (std::isinf(lse.values[static_cast<size_t>(i)]))
                    continue;   // a fully masked row
                const float scale = perRow ? std::exp(lse.values[static_cast<size_t>(T + i)]) : 1.f;
                const float* row = buf.data() + (i - i0) * bw - h0;   // row[j] for j in [h0, h1)
                mask.rowKeys(i, T, keys);
                for (const KeyRange& kr : keys.range) {
                    const int64_t lo = std::max(kr.begin, h0), hi = std::min(kr.end, h1);
                    for (int64_t j = lo; j < hi; ++j) {
                        const float v = row[j];
                        sourceMax = std::max(sourceMax, static_cast<double>(v));
                        const size_t c = static_cast<size_t>((j - w.col0) / w.poolX);
                        if (mean) {
                            sum[c] += static_cast<double>(v * scale);
                            ++count[c];
                        } else {
                            const float s = v * scale;
                            if (std::isnan(out[c]) || s > out[c])
                                out[c] = s;
                        }
                    }
                }
            }
            if (mean)
                for (int c = 0; c < g.cols; ++c) {
                    if (count[static_cast<size_t>(c)] > 0)
                        out[c] = static_cast<float>(sum[static_cast<size_t>(c)] / static_cast<double>(count[static_cast<size_t>(c)]));
                    sum[static_cast<size_t>(c)] = 0;
                    count[static_cast<size_t>(c)] = 0;
                }
        }
    }
}

/// The whole map at pool P (a multiple of the streamed grid's pool p) from the streamed grid.
ValueGrid fromCoarse(const CapturedSeries& coarse, const AttentionMask& mask, int64_t T, const PoolWindow& w, Pooling mode)
{
    ValueGrid g;
    const int64_t p = StreamingHeadStats::poolFor(T);
    const int64_t side = ceilDiv(T, p);
    const int q = static_cast<int>(w.poolX / p);
    g.rows = w.rows;
    g.cols = w.cols;
    g.pool = w.poolX;
    g.window = w;
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    if (mode == Pooling::Max) {
        for (int64_t r = 0; r < side; ++r)
            for (int64_t c = 0; c < side; ++c) {
                const float v = coarse.values[static_cast<size_t>(r * side + c)];
                if (std::isnan(v))
                    continue;
                float& o = g.values[static_cast<size_t>(r / q) * static_cast<size_t>(g.cols) + static_cast<size_t>(c / q)];
                if (std::isnan(o) || v > o)
                    o = v;
            }
        return g;
    }
    // Means: weight each streamed cell by its count of unmasked map cells.
    std::vector<double> n(static_cast<size_t>(side * side), 0.0);
    RowKeys keys;
    for (int64_t i = 0; i < T; ++i) {
        mask.rowKeys(i, T, keys);
        double* row = n.data() + (i / p) * side;
        for (const KeyRange& kr : keys.range)
            for (int64_t c = kr.begin / p; c * p < kr.end; ++c)
                row[c] += static_cast<double>(std::min(kr.end, (c + 1) * p) - std::max(kr.begin, c * p));
    }
    std::vector<double> sum(g.values.size(), 0.0), cnt(g.values.size(), 0.0);
    for (int64_t r = 0; r < side; ++r)
        for (int64_t c = 0; c < side; ++c) {
            const float v = coarse.values[static_cast<size_t>(r * side + c)];
            const double k = n[static_cast<size_t>(r * side + c)];
            if (std::isnan(v) || k <= 0)
                continue;
            const size_t o = static_cast<size_t>(r / q) * static_cast<size_t>(g.cols) + static_cast<size_t>(c / q);
            sum[o] += static_cast<double>(v) * k;
            cnt[o] += k;
        }
    for (size_t k = 0; k < g.values.size(); ++k)
        if (cnt[k] > 0)
            g.values[k] = static_cast<float>(sum[k] / cnt[k]);
    return g;
}

} // namespace

int longFigurePool(int64_t span, int64_t pixels)
{
    const int64_t cells = std::clamp<int64_t>(pixels, 1, kLongFigureMaxCells);
    const int64_t need = std::max<int64_t>(1, ceilDiv(span, cells));
    int64_t pool = 1;
    while (pool < need)
        pool *= 2;
    return static_cast<int>(pool);
}

double longMapMax(const CapturedSeries& lse, int64_t tokens)
{
    double mx = 0;
    if (static_cast<int64_t>(lse.values.size()) < 2 * tokens)
        return 0;
    for (int64_t i = 0; i < tokens; ++i)
        if (!std::isinf(lse.values[static_cast<size_t>(i)]))
            mx = std::max(mx, std::exp(-static_cast<double>(lse.values[static_cast<size_t>(tokens + i)])));
    return mx;
}

ValueGrid poolLongWindow(const HeadTileSource& src, const CapturedSeries& lse, const PoolWindow& w, Pooling mode, bool perRow,
                         const CapturedSeries* coarse, int threads)
{
    const int64_t T = src.tokens();
    if (T <= 0 || w.rows <= 0 || w.cols <= 0 || static_cast<int64_t>(lse.values.size()) < 2 * T)
        return {};
    const int64_t p = StreamingHeadStats::poolFor(T), side = ceilDiv(T, p);
    const bool wholeMap = w.row0 == 0 && w.col0 == 0 && w.poolX == w.poolY && w.poolX % p == 0 &&
                          int64_t(w.cols) == ceilDiv(T, w.poolX) && int64_t(w.rows) == ceilDiv(T, w.poolY);
    if (coarse && wholeMap && !perRow && coarse->shape.size() == 2 && coarse->shape[0] == side && coarse->shape[1] == side &&
        static_cast<int64_t>(coarse->values.size()) == side * side) {
        ValueGrid g = fromCoarse(*coarse, src.mask(), T, w, mode);
        g.sourceMax = longMapMax(lse, T);
        return g;
    }
    ValueGrid g;
    g.rows = w.rows;
    g.cols = w.cols;
    g.pool = w.poolX;
    g.window = w;
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    const int n = std::clamp(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()), 1, std::max(1, g.rows));
    std::vector<double> maxes(static_cast<size_t>(n), 0.0);
    // Interleaved bands of grid rows, so causal maps (short rows first) split the work evenly.
    const int band = std::max(1, std::min(16, g.rows / (4 * n)));
    auto work = [&](int k) {
        for (int r0 = k * band; r0 < g.rows; r0 += n * band)
            poolRows(src, lse, w, mode, perRow, r0, std::min(g.rows, r0 + band), g, maxes[static_cast<size_t>(k)]);
    };
    std::vector<std::thread> pool;
    for (int k = 1; k < n; ++k)
        pool.emplace_back(work, k);
    work(0);
    for (std::thread& t : pool)
        t.join();
    for (double m : maxes)
        g.sourceMax = std::max(g.sourceMax, m);
    return g;
}

} // namespace attnscope
