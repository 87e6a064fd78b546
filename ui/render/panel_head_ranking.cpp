// "ranking" panel: the head finder's table — the N heads ranked by one score (core/metrics/head_ranking.h,
// highest first unless extra.ascending), with the rank, layer, head, the score and a bar of its size.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/head_ranking.h"
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

class RankingContent final : public PanelContent {
public:
    std::vector<RankedHead> rows;
    QString scoreName, titleText;
    double maxAbs = 1;
    QColor barColour;

    QString title() const override { return titleText; }
    double aspect() const override { return 0.5; }
    double rowHeight(const FigureFonts& f) const { return FigureTextMetrics::height(f.tick) * 1.35; }
    double fixedHeight(const FigureFonts& fonts) const override
    {
        return (static_cast<double>(rows.size()) + 1) * rowHeight(fonts);
    }
    QMarginsF margins(const FigureFonts&, const FigureStyle&, double) const override { return {}; }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle&, const ResolvedScale*,
              const QString& groupId) const override
    {
        const QColor ink(0x20, 0x20, 0x20);
        const double rh = rowHeight(fonts);
        // Columns: rank | layer | head | score | bar (the rest of the width).
        const double w = FigureTextMetrics::width(QStringLiteral("0000"), fonts.tick);
        const double scoreW = std::max(FigureTextMetrics::width(QStringLiteral("−0.000"), fonts.tick),
                                       FigureTextMetrics::width(scoreName, fonts.tick));
        const double xs[4] = {plot.left() + w, plot.left() + 2.2 * w, plot.left() + 3.4 * w, plot.left() + 3.8 * w + scoreW};
        const double barLeft = xs[3] + 4, barRight = plot.right();
        const QString heads[4] = {QStringLiteral("rank"), QStringLiteral("layer"), QStringLiteral("head"), scoreName};
        for (int k = 0; k < 4; ++k)
            canvas.text(heads[k], QPointF(xs[k], plot.top() + rh / 2), fonts.tick, TextAnchor::CenterRight, 0, ink);
        canvas.lines({QLineF(plot.left(), plot.top() + rh, plot.right(), plot.top() + rh)}, ink, 0.5);
        QVector<QRectF> bars;
        canvas.beginGroup(groupId + QStringLiteral("-rows"), nullptr);
        for (size_t i = 0; i < rows.size(); ++i) {
            const double y = plot.top() + (static_cast<double>(i) + 1.5) * rh;
            const RankedHead& r = rows[i];
            const QString cols[4] = {QString::number(i + 1), QString::number(r.layer), QString::number(r.head),
                                     std::isnan(r.score) ? QStringLiteral("–") : QString::number(r.score, 'f', 3)};
            for (int k = 0; k < 4; ++k)
                canvas.text(cols[k], QPointF(xs[k], y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            if (!std::isnan(r.score) && barRight > barLeft)
                bars.push_back(QRectF(barLeft, y - rh * 0.3, (barRight - barLeft) * std::min(1.0, std::fabs(r.score) / maxAbs), rh * 0.6));
        }
        canvas.fillRects(bars, barColour);
        canvas.endGroup();
    }
};

class HeadRankingKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("ranking"); }
    QString label() const override { return QStringLiteral("Head finder (ranked heads)"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.allHeads = true;
        needs.metrics = true;
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        HeadMetric metric = HeadMetric::Induction;
        if (!headMetricFromId(spec.metric.toStdString(), metric))
            return placeholderPanel(QStringLiteral("Head finder"), QStringLiteral("unknown score '%1'").arg(spec.metric));
        if (source.layers <= 0)
            return placeholderPanel(QStringLiteral("Head finder"), QStringLiteral("no run"));
        const auto table = source.metrics();
        const bool ascending = spec.extra.value(QStringLiteral("ascending")).toBool(false);
        auto c = std::make_shared<RankingContent>();
        c->rows = rankHeads(*table, metric, ascending);
        c->rows.resize(std::min(c->rows.size(), static_cast<size_t>(std::max(1, spec.topN))));
        c->maxAbs = 0;
        for (const RankedHead& r : c->rows)
            if (!std::isnan(r.score))
                c->maxAbs = std::max(c->maxAbs, std::fabs(r.score));
        if (c->maxAbs <= 0)
            c->maxAbs = 1;
        c->scoreName = QString::fromUtf8(headMetricId(metric));
        c->titleText = QStringLiteral("Heads ranked by %1%2").arg(QString::fromStdString(headMetricLabel(metric, table->params.topK)),
                                                                   ascending ? QStringLiteral(" (lowest first)") : QString());
        c->barColour = QColor::fromRgb(colormapLut(style.settings.colormap)[150]);
        return c;
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeHeadRankingPanelKind()
{
    return std::make_shared<HeadRankingKind>();
}

} // namespace attnscope
