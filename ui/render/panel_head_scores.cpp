// "scores" panel: the overview's summary heatmap — one head score (docs/METRICS.md) for every layer and head,
// coloured from the table's minimum to its maximum like the on-screen table.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <cmath>
#include <limits>

namespace attnscope {

namespace {

class HeadScoresKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("scores"); }
    QString label() const override { return QStringLiteral("Head scores (layers × heads)"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.allHeads = true;
        needs.metrics = true;
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        HeadMetric metric = HeadMetric::Induction;
        if (!headMetricFromId(spec.metric.toStdString(), metric))
            return placeholderPanel(QStringLiteral("Head scores"), QStringLiteral("unknown score '%1'").arg(spec.metric));
        if (source.layers <= 0)
            return placeholderPanel(QStringLiteral("Head scores"), QStringLiteral("no run"));
        const auto table = source.metrics();
        LayerHeadTable t;
        std::tie(t.layerFirst, t.layers) = layerRange(spec, source.layers);
        t.layers = t.layers - t.layerFirst + 1;
        t.heads = source.heads;
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (int l = t.layerFirst; l < t.layerFirst + t.layers; ++l)
            for (int h = 0; h < t.heads; ++h) {
                const double v = table->value(l, h, metric);
                t.values.push_back(v);
                if (!std::isnan(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
            }
        if (!(hi >= lo)) {
            lo = 0;
            hi = 1;
        }
        t.scale.key = QStringLiteral("score:") + spec.metric;
        t.scale.colormap = style.settings.colormap;
        t.scale.low = lo;
        t.scale.high = hi > lo ? hi : lo + 1.0;
        t.scale.label = QString::fromStdString(headMetricLabel(metric, table->params.topK));
        t.title = t.scale.label;
        t.decimals = metric == HeadMetric::Entropy || metric == HeadMetric::MeanDistance || metric == HeadMetric::SinkFreeDistance ||
                             metric == HeadMetric::SinkFreeEntropy ? 1 : 2;
        return makeLayerHeadTablePanel(std::move(t));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeHeadScoresPanelKind()
{
    return std::make_shared<HeadScoresKind>();
}

} // namespace attnscope
