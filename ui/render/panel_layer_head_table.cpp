// A layers × heads table as coloured cells with optional printed values: the key view's received-attention
// tables and the overview's score heatmap.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kTickLen = 1.5, kGap = 1.5;

class LayerHeadTableContent final : public PanelContent {
public:
    LayerHeadTable t;

    QString title() const override { return t.title; }
    std::optional<ColourScale> colourScale() const override { return t.scale; }
    // Square cells up to a table 1.25 times as tall as wide; deeper models get flatter cells (a 30-layer table
    // beside square heatmaps would otherwise set the row's height).
    double aspect() const override { return std::min(1.25, static_cast<double>(t.layers) / std::max(1, t.heads)); }
    qint64 cells() const override { return static_cast<qint64>(t.layers) * t.heads; }

    AxisTicks layerTicks(double length, const FigureFonts& fonts) const
    {
        return thinTicks(t.layerFirst, t.layers, length, fonts.tick, [](qint64 i) { return QString::number(i); });
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        return tickedAxisMargins(maxTextWidth(layerTicks(plotWidth * aspect(), fonts).texts, fonts.tick),
                                 FigureTextMetrics::height(fonts.tick), kTickLen, kGap, fonts, style);
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale* scale, const QString& groupId) const override
    {
        const ResolvedScale r = scale ? *scale : ResolvedScale{t.scale.low, t.scale.high};
        QImage cells(t.heads, t.layers, QImage::Format_ARGB32);
        cells.fill(0);
        for (int l = 0; l < t.layers; ++l)
            for (int h = 0; h < t.heads; ++h) {
                const double v = t.values[static_cast<size_t>(l) * static_cast<size_t>(t.heads) + static_cast<size_t>(h)];
                if (!std::isnan(v))
                    cells.setPixel(h, l, scaleColour(t.scale, r, v));
            }
        canvas.beginGroup(groupId + QStringLiteral("-cells"), &plot);
        drawMaskedHatch(canvas, plot);
        drawCellGrid(canvas, plot, cells, true);   // layers × heads cells: always few enough for rectangles
        canvas.endGroup();
        const QColor ink(0x20, 0x20, 0x20);
        canvas.strokeRect(plot, ink, 0.5);
        const double cw = plot.width() / std::max(1, t.heads), ch = plot.height() / std::max(1, t.layers);
        // Values inside the cells when they fit, in black or white by the cell's luminance.
        const QString widest = QString::number(-0.99, 'f', t.decimals);
        if (FigureTextMetrics::width(widest, fonts.cell) < cw * 0.9 && FigureTextMetrics::height(fonts.cell) < ch * 0.9) {
            for (int l = 0; l < t.layers; ++l)
                for (int h = 0; h < t.heads; ++h) {
                    const double v = t.values[static_cast<size_t>(l) * static_cast<size_t>(t.heads) + static_cast<size_t>(h)];
                    if (std::isnan(v))
                        continue;
                    const QColor c = QColor::fromRgb(cells.pixel(h, l));
                    const double lum = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF();
                    canvas.text(QString::number(v, 'f', t.decimals), QPointF(plot.left() + (h + 0.5) * cw, plot.top() + (l + 0.5) * ch),
                                fonts.cell, TextAnchor::Center, 0, lum > 0.5 ? Qt::black : Qt::white);
                }
        }
        QVector<QLineF> marks;
        double labelWidth = 0;
        const AxisTicks lt = layerTicks(plot.height(), fonts);
        for (int k = 0; k < lt.positions.size(); ++k) {
            const double y = plot.top() + (lt.positions[k] - t.layerFirst + 0.5) * ch;
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(lt.texts[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            labelWidth = std::max(labelWidth, FigureTextMetrics::width(lt.texts[k], fonts.tick));
        }
        const double headW = FigureTextMetrics::width(QString::number(std::max(1, t.heads - 1)), fonts.tick) + 1.5;
        const AxisTicks ht = thinTicks(0, t.heads, plot.width() * FigureTextMetrics::height(fonts.tick) / headW, fonts.tick,
                                       [](qint64 i) { return QString::number(i); });
        for (int k = 0; k < ht.positions.size(); ++k) {
            const double x = plot.left() + (ht.positions[k] + 0.5) * cw;
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

} // namespace

ColourScale layerHeadColourScale(const std::vector<double>& values, Colormap colormap, const QString& key, const QString& label)
{
    double lo = 0, hi = 0;
    bool any = false;
    for (double v : values)
        if (!std::isnan(v)) {
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
    ColourScale s;
    s.key = key;
    s.label = label;
    s.colormap = colormap == Colormap::Diverging ? Colormap::Viridis : colormap;
    s.isSigned = any && lo < 0;
    const double m = std::max(std::fabs(lo), std::fabs(hi));
    s.low = s.isSigned ? -m : 0.0;
    s.high = s.isSigned ? m : hi > 0 ? hi : 1.0;
    return s;
}

PanelContentPtr makeLayerHeadTablePanel(LayerHeadTable table)
{
    auto c = std::make_shared<LayerHeadTableContent>();
    c->t = std::move(table);
    return c;
}

} // namespace attnscope
