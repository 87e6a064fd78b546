// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_source.h"

#include "core/metrics/token_repeats.h"
#include "core/util/error.h"
#include "ui/render/heatmap_image.h"

namespace attnscope {

const VariantComparison* FigureComparison::variant(const QString& spec) const
{
    if (!result)
        return nullptr;
    const std::string s = spec.toStdString();
    for (const VariantComparison& v : result->variants)
        if (v.spec.toString() == s)
            return &v;
    return nullptr;
}

AttentionMapPtr FigureComparison::map(const QString& spec, int layer, int head) const
{
    if (!result)
        return nullptr;
    if (spec.isEmpty())
        return result->baselineCaptures.map(layer, head);
    const VariantComparison* v = variant(spec);
    return v ? v->captures.map(layer, head) : nullptr;
}

std::shared_ptr<const std::vector<float>> FigureSource::layerMean(Quantity q, int layer) const
{
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_means.find({static_cast<int>(q), layer});
        if (it != m_means.end())
            return it->second;
    }
    auto mean = layerMeanOf(captures.layerMaps(q, layer, heads));
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_means[{static_cast<int>(q), layer}] = mean;
    return mean;
}

void FigureSource::setLayerMean(Quantity q, int layer, std::shared_ptr<const std::vector<float>> mean)
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_means[{static_cast<int>(q), layer}] = std::move(mean);
}

std::shared_ptr<const MetricsTable> FigureSource::metrics() const
{
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        if (m_metrics)
            return m_metrics;
    }
    const TokenRepeats repeats(tokenIds);
    auto table = std::make_shared<MetricsTable>(
        buildMetricsTable(captures.grid(Quantity::AttentionProbs, layers, heads), layers, heads, {}, &repeats));
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_metrics)
        m_metrics = table;
    return m_metrics;
}

void FigureSource::setMetrics(std::shared_ptr<const MetricsTable> table)
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_metrics = std::move(table);
}

std::shared_ptr<const HeadTileSource> FigureSource::tiles(int layer, int head) const
{
    CapturedSeriesPtr q = captures.series(Quantity::Queries, layer, -1);
    CapturedSeriesPtr k = captures.series(Quantity::Keys, layer, -1);
    CapturedSeriesPtr lse = captures.series(Quantity::RowLogSumExp, layer, head);
    if (!q || !k || !lse || headDim <= 0 || heads <= 0 || head < 0 || head >= heads)
        return nullptr;
    try {
        return std::make_shared<const HeadTileSource>(std::move(q), std::move(k), std::move(lse), head, heads,
                                                      kvHeads > 0 ? kvHeads : heads, headDim, attnScale);
    } catch (const Error&) {
        return nullptr;   // shapes that do not match the model: nothing to recompute from
    }
}

} // namespace attnscope
