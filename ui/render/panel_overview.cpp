// "overview" panel: the layers × heads small multiples of the overview tab — every head's map max-pooled to at
// most `extra.thumb` cells a side (default 32) and coloured by its own maximum, as on screen; heads grouped by the
// KV head they share with a wider gap between groups; masked cells hatched; layer labels left, head labels below.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/heatmap_image.h"
#include "ui/render/panel_kinds.h"
#include "ui/render/tile_pyramid.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kGapFrac = 0.08, kGroupGapFrac = 0.35, kTickLen = 1.5, kGap = 1.5;

class OverviewContent final : public PanelContent {
public:
    int l0 = 0, l1 = -1, heads = 0, group = 1;
    std::vector<QImage> thumbs;   // (layer − l0) × heads, null = not captured
    qint64 thumbCells = 0;
    qint64 cellLimit = 1 << 20;
    ColourScale colour;
    QString titleText;

    int layers() const { return l1 - l0 + 1; }
    int groups() const { return std::max(1, (heads + group - 1) / group); }
    double widthUnits() const { return heads + (heads - 1) * kGapFrac + (groups() - 1) * kGroupGapFrac; }
    double heightUnits() const { return layers() + (layers() - 1) * kGapFrac; }
    QString title() const override { return titleText; }
    std::optional<ColourScale> colourScale() const override { return colour; }
    double aspect() const override { return heightUnits() / widthUnits(); }
    qint64 cells() const override { return thumbCells; }

    double columnX(const QRectF& plot, int h, double unit) const
    {
        return plot.left() + (h + h * kGapFrac + (h / group) * kGroupGapFrac) * unit;
    }

    AxisTicks layerTicks(double length, const FigureFonts& fonts) const
    {
        return thinTicks(l0, layers(), length, fonts.tick, [](qint64 i) { return QString::number(i); });
    }
    AxisTicks headTicks(double length, const FigureFonts& fonts) const
    {
        // Head numbers are short: fit them by width, not line height.
        const double w = FigureTextMetrics::width(QString::number(std::max(1, heads - 1)), fonts.tick) + 1.5;
        return thinTicks(0, heads, length * FigureTextMetrics::height(fonts.tick) / w, fonts.tick,
                         [](qint64 i) { return QString::number(i); });
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        return tickedAxisMargins(maxTextWidth(layerTicks(plotWidth * aspect(), fonts).texts, fonts.tick),
                                 FigureTextMetrics::height(fonts.tick), kTickLen, kGap, fonts, style);
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale*, const QString& groupId) const override
    {
        const double unit = plot.width() / widthUnits();
        const bool vector = !canvas.isRaster() && thumbCells <= cellLimit;
        const QColor ink(0x20, 0x20, 0x20);
        canvas.beginGroup(groupId + QStringLiteral("-cells"), &plot);
        for (int l = 0; l < layers(); ++l) {
            const double y = plot.top() + l * (1 + kGapFrac) * unit;
            for (int h = 0; h < heads; ++h) {
                const QRectF cell(columnX(plot, h, unit), y, unit, unit);
                drawMaskedHatch(canvas, cell);
                const QImage& img = thumbs[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)];
                if (!img.isNull())
                    drawCellGrid(canvas, cell, img, vector);
            }
        }
        canvas.endGroup();
        QVector<QLineF> marks;
        double labelWidth = 0;
        const AxisTicks lt = layerTicks(plot.height(), fonts);
        for (int k = 0; k < lt.positions.size(); ++k) {
            const double y = plot.top() + ((lt.positions[k] - l0) * (1 + kGapFrac) + 0.5) * unit;
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(lt.texts[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            labelWidth = std::max(labelWidth, FigureTextMetrics::width(lt.texts[k], fonts.tick));
        }
        const AxisTicks ht = headTicks(plot.width(), fonts);
        for (int k = 0; k < ht.positions.size(); ++k) {
            const double x = columnX(plot, ht.positions[k], unit) + unit / 2;
            marks.push_back(QLineF(x, plot.bottom(), x, plot.bottom() + kTickLen));
            canvas.text(ht.texts[k], QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::TopCenter, 0, ink);
        }
        canvas.lines(marks, ink, 0.5);
        if (style.axisLabels) {
            canvas.text(QStringLiteral("layer"), QPointF(plot.left() - kTickLen - kGap - labelWidth - kGap, plot.center().y()),
                        fonts.label, TextAnchor::BottomCenter, 90, ink);
            canvas.text(QStringLiteral("head"),
                        QPointF(plot.center().x(), plot.bottom() + kTickLen + kGap + FigureTextMetrics::height(fonts.tick) + kGap),
                        fonts.label, TextAnchor::TopCenter, 0, ink);
        }
    }
};

class OverviewKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("overview"); }
    QString label() const override { return QStringLiteral("Overview (layers × heads)"); }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        if (source.layers <= 0 || source.heads <= 0)
            return placeholderPanel(QStringLiteral("Overview"), QStringLiteral("no run"));
        Quantity q = Quantity::AttentionProbs;
        if (!quantityFromKey(spec.quantity.toStdString(), q) || quantityInfo(q).shape != QuantityShape::HeadMap)
            q = Quantity::AttentionProbs;
        auto c = std::make_shared<OverviewContent>();
        std::tie(c->l0, c->l1) = layerRange(spec, source.layers);
        c->heads = source.heads;
        c->group = source.kvHeads > 0 ? std::max(1, source.heads / source.kvHeads) : 1;
        c->cellLimit = style.vectorCellLimit;
        const int side = std::clamp(spec.extra.value(QStringLiteral("thumb")).toInt(32), 4, 128);
        ViewSettings s = style.settings;
        s.normalisation = Normalisation::Global;
        for (int l = c->l0; l <= c->l1; ++l) {
            for (int h = 0; h < c->heads; ++h) {
                AttentionMapPtr m = source.map(q, l, h);
                QImage img;
                if (m && m->tokens > 0) {
                    const HeatmapSource hs{m, nullptr};
                    const ValueGrid g = poolSource(hs, side);
                    img = colouriseGrid(g, s, hs.isSigned()).image;   // each head by its own maximum, as on screen
                    c->thumbCells += static_cast<qint64>(g.rows) * g.cols;
                } else if (CapturedSeriesPtr coarse = source.captures.series(Quantity::CoarseMax, l, h);
                           coarse && q == Quantity::AttentionProbs) {
                    // A long run (docs/LONG-CONTEXT.md): the streamed max-pooled grid pooled again, as the
                    // overview on screen draws it.
                    const ValueGrid g = poolGridTo(coarseGridOf(*coarse, source.tokenCount()), side);
                    if (g.rows > 0) {
                        img = colouriseGrid(g, s, false).image;
                        c->thumbCells += static_cast<qint64>(g.rows) * g.cols;
                    }
                }
                c->thumbs.push_back(img);
            }
        }
        c->titleText = c->layers() == source.layers ? QStringLiteral("All heads (%1 layers × %2)").arg(source.layers).arg(source.heads)
                                                    : QStringLiteral("Layers %1–%2").arg(c->l0).arg(c->l1);
        ColourScale& cs = c->colour;
        cs.key = QStringLiteral("thumb");
        cs.colormap = s.colormap;
        cs.scale = s.scale;
        cs.gamma = s.gamma;
        cs.logFloor = s.logFloor;
        cs.low = s.scale == ScaleKind::Log ? s.logFloor : 0.0;
        cs.high = 1.0;
        cs.label = QStringLiteral("weight ÷ head max") +
                   (s.scale == ScaleKind::Power ? QStringLiteral(" (power %1)").arg(s.gamma, 0, 'g', 2)
                                                : s.scale == ScaleKind::Log ? QStringLiteral(" (log)") : QString());
        return c;
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeOverviewPanelKind()
{
    return std::make_shared<OverviewKind>();
}

} // namespace attnscope
