// A line chart as a figure panel: series over integer x positions (layers, token positions) drawn as vector paths
// (one per unbroken stretch; NaN leaves a gap) with round markers, a light grid at the y ticks, round ticks (decades
// on a log axis), numbers or rotated token labels on x, axis labels, and a legend under the plot — one entry per
// series, a line sample in its colour and its label, elided to the plot's width. Used by the sink view's curves,
// the massive-activations curve and the compare view's per-position KL.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kTickLen = 2.0, kGap = 1.5, kSample = 10.0, kMarker = 0.9;

QString elidedTo(const QString& s, const QFont& font, double width)
{
    if (FigureTextMetrics::width(s, font) <= width)
        return s;
    QString t = s;
    while (t.size() > 1 && FigureTextMetrics::width(t + QChar(0x2026), font) > width)
        t.chop(1);
    return t + QChar(0x2026);
}

class LineChartContent final : public PanelContent {
public:
    LineChart c;
    int count = 0;            // x positions 0 … count − 1
    double lo = 0, hi = 1;    // the y range

    QString title() const override { return c.title; }
    double aspect() const override { return 0.72; }

    bool tokenTicks() const { return !c.xTickLabels.isEmpty(); }

    AxisTicks xTicks(double length, const FigureFonts& fonts) const
    {
        if (tokenTicks())
            return thinTicks(0, count, length, fonts.tick, [this, length, &fonts](qint64 i) {
                const QString tok = i < c.xTickLabels.size() ? c.xTickLabels[static_cast<int>(i)] : QString();
                const bool thinned = count * (FigureTextMetrics::height(fonts.tick) + 0.5) > length;
                return tok.isEmpty() ? QString::number(i) : thinned ? QStringLiteral("%1 %2").arg(i).arg(tok) : tok;
            });
        // Round numbers that fit side by side.
        AxisTicks t;
        const double widest = FigureTextMetrics::width(QString::number(std::max(1, count - 1)), fonts.tick) + 4.0;
        const int fit = std::max(1, static_cast<int>(length / widest));
        int step = 1;
        for (int s : {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 100000})
            if ((count + s - 1) / s <= fit) {
                step = s;
                break;
            }
        for (int i = 0; i < count; i += step) {
            t.positions.push_back(i);
            t.texts.push_back(QString::number(i));
        }
        return t;
    }

    QVector<double> yTicks() const { return niceTicks(lo, hi, c.logY); }

    double legendHeight(const FigureFonts& fonts) const
    {
        return c.series.isEmpty() ? 0.0 : kGap + c.series.size() * (FigureTextMetrics::height(fonts.tick) + 0.5);
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        double left = 0;
        for (double v : yTicks())
            left = std::max(left, FigureTextMetrics::width(tickText(v), fonts.tick));
        left += kTickLen + kGap;
        double bottom = kTickLen + kGap;
        if (tokenTicks()) {
            double w = 0;
            for (const QString& s : xTicks(plotWidth, fonts).texts)
                w = std::max(w, FigureTextMetrics::width(s, fonts.tick));
            bottom += w;
        } else {
            bottom += FigureTextMetrics::height(fonts.tick);
        }
        if (style.axisLabels) {
            left += FigureTextMetrics::height(fonts.label) + kGap;
            bottom += FigureTextMetrics::height(fonts.label) + kGap;
        }
        return {left, 0, 0, bottom + legendHeight(fonts)};
    }

    double yOf(const QRectF& plot, double v) const
    {
        double f = 0;
        if (c.logY)
            f = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
        else
            f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        return plot.bottom() - f * plot.height();
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale*, const QString& groupId) const override
    {
        const QColor ink(0x20, 0x20, 0x20), grid(0xe4, 0xe4, 0xe4);
        const double step = plot.width() / std::max(1, count);
        auto xOf = [&](int i) { return plot.left() + (i + 0.5) * step; };

        // Grid and y ticks.
        QVector<QLineF> gridLines, marks;
        double yLabelWidth = 0;
        for (double v : yTicks()) {
            if (v < lo - 1e-12 * std::fabs(hi - lo) || v > hi + 1e-12 * std::fabs(hi - lo))
                continue;
            const double y = yOf(plot, v);
            gridLines.push_back(QLineF(plot.left(), y, plot.right(), y));
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            const QString t = tickText(v);
            canvas.text(t, QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            yLabelWidth = std::max(yLabelWidth, FigureTextMetrics::width(t, fonts.tick));
        }
        canvas.lines(gridLines, grid, 0.4);

        // The series, clipped to the plot.
        canvas.beginGroup(groupId + QStringLiteral("-lines"), &plot);
        for (const LineChart::Series& s : c.series) {
            QVector<QPointF> run, markers;
            auto flush = [&] {
                if (run.size() > 1)
                    canvas.polyline(run, s.colour, s.width);
                run.clear();
            };
            for (int i = 0; i < s.values.size(); ++i) {
                const double v = s.values[i];
                if (std::isnan(v) || (c.logY && v <= 0)) {
                    flush();
                    continue;
                }
                const QPointF pt(xOf(i), yOf(plot, std::clamp(v, c.logY ? lo * 0.5 : lo - (hi - lo), hi + (hi - lo))));
                run.push_back(pt);
                markers.push_back(pt);
            }
            flush();
            if (s.markers)
                canvas.dots(markers, kMarker * std::max(1.0, s.width), s.colour);
        }
        canvas.endGroup();
        canvas.strokeRect(plot, ink, 0.5);

        // x ticks: numbers, or token labels rotated like a heatmap's.
        const AxisTicks xt = xTicks(plot.width(), fonts);
        double xLabelHeight = FigureTextMetrics::height(fonts.tick);
        if (tokenTicks()) {
            xLabelHeight = 0;
            for (const QString& t : xt.texts)
                xLabelHeight = std::max(xLabelHeight, FigureTextMetrics::width(t, fonts.tick));
        }
        for (int k = 0; k < xt.positions.size(); ++k) {
            const double x = xOf(xt.positions[k]);
            marks.push_back(QLineF(x, plot.bottom(), x, plot.bottom() + kTickLen));
            if (tokenTicks())
                canvas.text(xt.texts[k], QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::CenterRight, 90, ink);
            else
                canvas.text(xt.texts[k], QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::TopCenter, 0, ink);
        }
        canvas.lines(marks, ink, 0.5);
        double y = plot.bottom() + kTickLen + kGap + xLabelHeight;
        if (style.axisLabels) {
            // Along the plot's height: smaller when longer than the plot, then cut (never over the panel letter).
            QFont font = fonts.label;
            const double minPt = std::max(4.5, fonts.tick.pointSizeF() - 0.5);
            while (FigureTextMetrics::width(c.yLabel, font) > plot.height() && font.pointSizeF() - 0.5 >= minPt)
                font.setPointSizeF(font.pointSizeF() - 0.5);
            canvas.text(elidedTo(c.yLabel, font, plot.height()), QPointF(plot.left() - kTickLen - kGap - yLabelWidth - kGap, plot.center().y()),
                        font, TextAnchor::BottomCenter, 90, ink);
            canvas.text(c.xLabel, QPointF(plot.center().x(), y + kGap), fonts.label, TextAnchor::TopCenter, 0, ink);
            y += kGap + FigureTextMetrics::height(fonts.label);
        }

        // Legend: one line per series under the axis.
        y += kGap;
        const double line = FigureTextMetrics::height(fonts.tick) + 0.5;
        for (const LineChart::Series& s : c.series) {
            const double mid = y + line / 2;
            canvas.polyline({QPointF(plot.left(), mid), QPointF(plot.left() + kSample, mid)}, s.colour, s.width);
            if (s.markers)
                canvas.dots({QPointF(plot.left() + kSample / 2, mid)}, kMarker * std::max(1.0, s.width), s.colour);
            canvas.text(elidedTo(s.label, fonts.tick, plot.width() - kSample - 2 * kGap), QPointF(plot.left() + kSample + kGap, mid),
                        fonts.tick, TextAnchor::CenterLeft, 0, ink);
            y += line;
        }
    }
};

} // namespace

PanelContentPtr makeLineChartPanel(LineChart chart)
{
    auto p = std::make_shared<LineChartContent>();
    double dataLo = std::numeric_limits<double>::infinity(), dataHi = -dataLo;
    for (const LineChart::Series& s : chart.series) {
        p->count = std::max(p->count, static_cast<int>(s.values.size()));
        for (double v : s.values)
            if (std::isfinite(v) && (!chart.logY || v > 0)) {
                dataLo = std::min(dataLo, v);
                dataHi = std::max(dataHi, v);
            }
    }
    p->count = std::max(1, p->count);
    const bool any = dataHi >= dataLo;
    if (chart.logY) {
        // Whole decades around the data, as the sink view's log axis.
        const double a = any ? std::pow(10.0, std::floor(std::log10(dataLo))) : 1.0;
        const double b = any ? std::pow(10.0, std::ceil(std::log10(dataHi))) : 10.0;
        p->lo = std::isnan(chart.yMin) || chart.yMin <= 0 ? a : chart.yMin;
        p->hi = std::isnan(chart.yMax) ? (b > p->lo ? b : p->lo * 10) : chart.yMax;
    } else {
        p->lo = !std::isnan(chart.yMin) ? chart.yMin : any ? std::min(0.0, dataLo) : 0.0;
        double top = !std::isnan(chart.yMax) ? chart.yMax : any ? dataHi : 1.0;
        if (std::isnan(chart.yMax) && any) {
            // Up to the next round tick above the data.
            const QVector<double> t = niceTicks(p->lo, top > p->lo ? top : p->lo + 1.0, false);
            const double stepV = t.size() > 1 ? t[1] - t[0] : 0.0;
            if (stepV > 0)
                top = std::ceil(top / stepV - 1e-9) * stepV;
        }
        p->hi = top > p->lo ? top : p->lo + 1.0;
    }
    p->c = std::move(chart);
    return p;
}

} // namespace attnscope
