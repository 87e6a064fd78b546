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

ValueGrid poolSource(const HeatmapSource& src, int maxSide)
{
    ValueGrid g;
    if (!src.map || src.map->tokens <= 0)
        return g;
    const AttentionMap& m = *src.map;
    const int64_t t = m.tokens;
    const int64_t pool = std::max<int64_t>(1, (t + maxSide - 1) / std::max(1, maxSide));
    g.pool = static_cast<int>(pool);
    g.rows = g.cols = static_cast<int>((t + pool - 1) / pool);
    g.values.assign(static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols), kNaN);
    const float* data = src.isSigned() ? src.signedValues->data() : m.probs.data();
    for (int64_t i = 0; i < t; ++i) {
        const bool rowMasked = !m.maskedRows.empty() && m.maskedRows[static_cast<size_t>(i)];
        if (rowMasked)
            continue;
        // Only the mask's valid keys are copied: masked cells stay NaN and are drawn hatched.
        const RowKeys keys = m.rowKeys(i);
        float* out = g.values.data() + static_cast<size_t>(i / pool) * static_cast<size_t>(g.cols);
        const float* row = data + i * t;
        for (int r = 0; r < keys.count(); ++r) {
            const KeyRange& k = keys.range[r];
            if (pool == 1) {
                std::copy(row + k.begin, row + k.end, out + k.begin);
                continue;
            }
            for (int64_t j = k.begin; j < k.end; ++j) {
                float& cell = out[j / pool];
                const float v = row[j];
                if (std::isnan(cell) || std::fabs(v) > std::fabs(cell))
                    cell = v;
            }
        }
    }
    return g;
}

ColourisedGrid colouriseGrid(const ValueGrid& grid, const ViewSettings& settings, bool isSigned)
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
    if (!perRow)
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

std::shared_ptr<const std::vector<float>> diffFromLayerMean(const std::vector<AttentionMapPtr>& layerHeads, int head)
{
    if (head < 0 || head >= static_cast<int>(layerHeads.size()) || !layerHeads[static_cast<size_t>(head)])
        return nullptr;
    const AttentionMap& self = *layerHeads[static_cast<size_t>(head)];
    const size_t n = self.probs.size();
    std::vector<double> mean(n, 0.0);
    int count = 0;
    for (const AttentionMapPtr& m : layerHeads) {
        if (!m || m->probs.size() != n)
            continue;   // a head not delivered yet: the mean is over the heads present
        for (size_t k = 0; k < n; ++k)
            mean[k] += m->probs[k];
        ++count;
    }
    auto out = std::make_shared<std::vector<float>>(n);
    const double inv = count ? 1.0 / count : 0.0;
    for (size_t k = 0; k < n; ++k)
        (*out)[k] = static_cast<float>(self.probs[k] - mean[k] * inv);
    return out;
}

} // namespace attnscope
