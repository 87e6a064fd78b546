// Pooling and LUT colourising of attention maps. Kept allocation-light: ≈ 10 ms for 1024² on one core.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/heatmap_image.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Colour index for a position t in [0, 1] under a power law, through a 64 Ki table: std::pow per cell would
/// cost ≈ 20 ms for a 1024² map.
class PowerIndex {
public:
    explicit PowerIndex(double gamma)
    {
        for (size_t k = 0; k < m_table.size(); ++k) {
            const double t = static_cast<double>(k) / static_cast<double>(m_table.size() - 1);
            m_table[k] = static_cast<uint8_t>(std::min(255.0, std::floor(std::pow(t, gamma) * 256.0)));
        }
    }
    int operator()(double t) const
    {
        const double c = std::clamp(t, 0.0, 1.0) * static_cast<double>(m_table.size() - 1);
        return m_table[static_cast<size_t>(c + 0.5)];
    }

private:
    std::array<uint8_t, 65536> m_table{};
};

int linearIndex(double t)
{
    return static_cast<int>(std::clamp(t * 256.0, 0.0, 255.0));
}

} // namespace

namespace {

bool rowMasked(const AttentionMap& m, int64_t i)
{
    return !m.maskedRows.empty() && m.maskedRows[static_cast<size_t>(i)];
}

/// [lo, hi) within [from, to): the span of row i outside which every key is masked.
std::pair<int64_t, int64_t> validSpan(const AttentionMap& m, int64_t i, int64_t from, int64_t to)
{
    while (to > from && m.isMasked(i, to - 1))
        --to;
    while (from < to && m.isMasked(i, from))
        ++from;
    return {from, to};
}

/// One map row's values over [lo, hi): the weights, or weight − layer mean.
const float* rowValues(const HeatmapSource& src, int64_t i, std::vector<float>& scratch, int64_t lo, int64_t hi)
{
    const AttentionMap& m = *src.map;
    const float* row = m.row(i);
    if (!src.layerMean)
        return row;
    const float* mean = src.layerMean->data() + i * m.tokens;
    scratch.resize(static_cast<size_t>(m.tokens));
    for (int64_t j = lo; j < hi; ++j)
        scratch[static_cast<size_t>(j)] = row[j] - mean[j];
    return scratch.data();
}

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

} // namespace

PoolWindow windowFor(int64_t tokens, double xLo, double xHi, double yLo, double yHi, int widthPx, int heightPx,
                     double margin)
{
    PoolWindow w;
    if (tokens <= 0)
        return w;
    auto axis = [&](double lo, double hi, int pixels, int64_t& start, int& count, int& pool) {
        // Cells that overlap the visible range (cell k spans k ± 0.5), then the block size that puts at most one
        // grid cell on each pixel.
        const int64_t first = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo - 0.5)) + 1, 0, tokens - 1);
        const int64_t last = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(hi + 0.5)) - 1, first, tokens - 1);
        const int64_t visible = last - first + 1;
        pool = static_cast<int>(std::max<int64_t>(1, ceilDiv(visible, std::max(1, pixels))));
        const auto extra = static_cast<int64_t>(std::ceil(static_cast<double>(visible) * margin));
        const int64_t from = std::max<int64_t>(0, first - extra) / pool * pool;
        const int64_t to = std::min<int64_t>(tokens, last + 1 + extra);
        start = from;
        count = static_cast<int>(ceilDiv(to - from, pool));
    };
    axis(xLo, xHi, widthPx, w.col0, w.cols, w.poolX);
    axis(yLo, yHi, heightPx, w.row0, w.rows, w.poolY);
    return w;
}

ValueGrid poolWindow(const HeatmapSource& src, const PoolWindow& w, Pooling mode, bool perRow)
{
    ValueGrid g;
    if (!src.map || src.map->tokens <= 0 || w.rows <= 0 || w.cols <= 0)
        return g;
    const AttentionMap& m = *src.map;
    const int64_t t = m.tokens;
    g.rows = w.rows;
    g.cols = w.cols;
    g.pool = w.poolX;
    g.window = w;
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    const int64_t colEnd = std::min<int64_t>(t, w.col0 + int64_t(w.cols) * w.poolX);
    const int64_t rowEnd = std::min<int64_t>(t, w.row0 + int64_t(w.rows) * w.poolY);
    std::vector<float> scratch;
    std::vector<double> sum;
    std::vector<int64_t> count;
    if (mode == Pooling::Mean) {
        sum.assign(static_cast<size_t>(g.cols), 0.0);
        count.assign(static_cast<size_t>(g.cols), 0);
    }
    for (int r = 0; r < g.rows; ++r) {
        float* out = g.values.data() + static_cast<size_t>(r) * static_cast<size_t>(g.cols);
        const int64_t i0 = w.row0 + int64_t(r) * w.poolY;
        const int64_t i1 = std::min<int64_t>(rowEnd, i0 + w.poolY);
        for (int64_t i = i0; i < i1; ++i) {
            if (rowMasked(m, i))
                continue;
            const auto [lo, hi] = validSpan(m, i, w.col0, colEnd);
            if (lo >= hi)
                continue;
            double scale = 1.0;
            const float* row = nullptr;
            if (perRow) {
                // Divide by the largest magnitude over the whole row, not only the part in the window.
                const auto [flo, fhi] = validSpan(m, i, 0, t);
                row = rowValues(src, i, scratch, flo, fhi);
                double mx = 0;
                for (int64_t j = flo; j < fhi; ++j)
                    if (!m.isMasked(i, j))
                        mx = std::max(mx, static_cast<double>(std::fabs(row[j])));
                scale = mx > 0 ? 1.0 / mx : 0.0;
            } else {
                row = rowValues(src, i, scratch, lo, hi);
            }
            float rowMax = 0;   // largest |value| of this row inside the window, before scaling
            for (int64_t b = (lo - w.col0) / w.poolX; b * w.poolX + w.col0 < hi; ++b) {
                const int64_t j0 = std::max(lo, w.col0 + b * w.poolX);
                const int64_t j1 = std::min(hi, w.col0 + (b + 1) * w.poolX);
                if (mode == Pooling::Max) {
                    float best = std::nanf("");
                    float bestAbs = -1;
                    for (int64_t j = j0; j < j1; ++j) {
                        if (m.isMasked(i, j))
                            continue;
                        const float a = std::fabs(row[j]);
                        if (a > bestAbs) {
                            bestAbs = a;
                            best = row[j];
                        }
                    }
                    if (bestAbs >= 0) {
                        rowMax = std::max(rowMax, bestAbs);
                        const float v = static_cast<float>(best * scale);
                        if (std::isnan(out[b]) || std::fabs(v) > std::fabs(out[b]))
                            out[b] = v;
                    }
                } else {
                    double s = 0;
                    int64_t n = 0;
                    for (int64_t j = j0; j < j1; ++j) {
                        if (m.isMasked(i, j))
                            continue;
                        s += row[j];
                        rowMax = std::max(rowMax, std::fabs(row[j]));
                        ++n;
                    }
                    sum[static_cast<size_t>(b)] += s * scale;
                    count[static_cast<size_t>(b)] += n;
                }
            }
            g.sourceMax = std::max(g.sourceMax, static_cast<double>(rowMax));
        }
        if (mode == Pooling::Mean) {
            for (int c = 0; c < g.cols; ++c) {
                if (count[static_cast<size_t>(c)] > 0)
                    out[c] = static_cast<float>(sum[static_cast<size_t>(c)] / static_cast<double>(count[static_cast<size_t>(c)]));
                sum[static_cast<size_t>(c)] = 0;
                count[static_cast<size_t>(c)] = 0;
            }
        }
    }
    return g;
}

ValueGrid poolSource(const HeatmapSource& src, int maxSide)
{
    if (!src.map || src.map->tokens <= 0)
        return {};
    const int64_t t = src.map->tokens;
    const int64_t pool = std::max<int64_t>(1, ceilDiv(t, std::max(1, maxSide)));
    PoolWindow w;
    w.poolX = w.poolY = static_cast<int>(pool);
    w.rows = w.cols = static_cast<int>(ceilDiv(t, pool));
    return poolWindow(src, w, Pooling::Max, false);
}

double maxMagnitude(const HeatmapSource& src)
{
    if (!src.map)
        return 0;
    const AttentionMap& m = *src.map;
    std::vector<float> scratch;
    double mx = 0;
    for (int64_t i = 0; i < m.tokens; ++i) {
        if (rowMasked(m, i))
            continue;
        const auto [lo, hi] = validSpan(m, i, 0, m.tokens);
        const float* row = rowValues(src, i, scratch, lo, hi);
        float rmx = 0;
        for (int64_t j = lo; j < hi; ++j)
            if (!m.isMasked(i, j))
                rmx = std::max(rmx, std::fabs(row[j]));
        mx = std::max(mx, static_cast<double>(rmx));
    }
    return mx;
}

ColourisedGrid colouriseGrid(const ValueGrid& grid, const ViewSettings& settings, bool isSigned, double rangeMax)
{
    ColourisedGrid out;
    if (grid.rows <= 0 || grid.cols <= 0)
        return out;
    out.image = QImage(grid.cols, grid.rows, QImage::Format_ARGB32);
    const Lut& lut = colormapLut(isSigned ? Colormap::Diverging : settings.colormap);
    const ScaleKind scale = isSigned ? ScaleKind::Linear : settings.scale;
    const bool perRow = settings.normalisation == Normalisation::PerRow;
    const double floorV = settings.logFloor;
    const PowerIndex* power = nullptr;
    std::unique_ptr<PowerIndex> powerOwner;
    if (scale == ScaleKind::Power) {
        powerOwner = std::make_unique<PowerIndex>(settings.gamma);
        power = powerOwner.get();
    }

    auto rowMax = [&](int r) {
        double m = 0;
        for (int c = 0; c < grid.cols; ++c) {
            const float v = grid.at(r, c);
            if (!std::isnan(v))
                m = std::max(m, static_cast<double>(isSigned ? std::fabs(v) : v));
        }
        return m;
    };
    double globalMax = 0;
    if (!perRow && rangeMax > 0)
        globalMax = rangeMax;
    else if (!perRow)
        for (int r = 0; r < grid.rows; ++r)
            globalMax = std::max(globalMax, rowMax(r));

    for (int r = 0; r < grid.rows; ++r) {
        const double vmax = perRow ? rowMax(r) : globalMax;
        const double inv = vmax > 0 ? 1.0 / vmax : 0.0;
        const double logLo = std::log(floorV);
        const double logSpan = vmax > floorV ? std::log(vmax) - logLo : 1.0;
        auto* line = reinterpret_cast<QRgb*>(out.image.scanLine(r));
        for (int c = 0; c < grid.cols; ++c) {
            const float v = grid.at(r, c);
            if (std::isnan(v)) {
                line[c] = 0;   // transparent: the masked hatch shows through
                continue;
            }
            int idx = 0;
            if (isSigned) {
                idx = linearIndex(0.5 + 0.5 * static_cast<double>(v) * inv);
            } else if (scale == ScaleKind::Linear) {
                idx = linearIndex(static_cast<double>(v) * inv);
            } else if (scale == ScaleKind::Power) {
                idx = (*power)(static_cast<double>(v) * inv);
            } else {
                const double x = perRow ? static_cast<double>(v) * inv : static_cast<double>(v);
                const double top = perRow ? 1.0 : vmax;
                const double span = perRow ? -logLo : logSpan;
                idx = x <= floorV ? 0 : linearIndex((std::log(std::min(x, top)) - logLo) / (span > 0 ? span : 1.0));
            }
            line[c] = lut[static_cast<size_t>(idx)];
        }
    }
    if (isSigned) {
        out.vmin = perRow ? -1.0 : -globalMax;
        out.vmax = perRow ? 1.0 : globalMax;
    } else if (perRow) {
        out.vmin = scale == ScaleKind::Log ? floorV : 0.0;
        out.vmax = 1.0;
    } else {
        out.vmin = scale == ScaleKind::Log ? floorV : 0.0;
        out.vmax = globalMax > out.vmin ? globalMax : out.vmin + 1.0;
    }
    return out;
}

std::shared_ptr<const std::vector<float>> layerMeanOf(const std::vector<AttentionMapPtr>& layerHeads)
{
    std::vector<const float*> maps;
    size_t n = 0;
    for (const AttentionMapPtr& m : layerHeads) {
        if (!m)
            continue;   // a head not delivered (or not captured): the mean is over the heads present
        if (maps.empty())
            n = m->probs.size();
        if (m->probs.size() == n)
            maps.push_back(m->probs.data());
    }
    if (maps.empty())
        return nullptr;
    auto out = std::make_shared<std::vector<float>>(n);
    // In blocks that stay in cache: every head's block is read once and the sum written once, instead of
    // streaming the whole output through memory once per head.
    constexpr size_t kBlock = 8192;
    const float inv = 1.0f / static_cast<float>(maps.size());
    float* dst = out->data();
    for (size_t b = 0; b < n; b += kBlock) {
        const size_t e = std::min(n, b + kBlock);
        std::copy(maps[0] + b, maps[0] + e, dst + b);
        for (size_t h = 1; h < maps.size(); ++h) {
            const float* src = maps[h];
            for (size_t k = b; k < e; ++k)
                dst[k] += src[k];
        }
        for (size_t k = b; k < e; ++k)
            dst[k] *= inv;
    }
    return out;
}

} // namespace attnscope
