// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_colorbar.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kTickLen = 1.5, kGap = 1.5;
constexpr int kSlices = 256;

bool isLog(const ColourScale& s)
{
    return !s.isSigned && s.scale == ScaleKind::Log;
}

/// The value at fraction f ∈ [0, 1] of the bar's height from the bottom.
double valueAt(const ColourScale& s, const ResolvedScale& r, double f)
{
    if (isLog(s)) {
        const double lo = std::max(r.low, 1e-30), hi = std::max(r.high, lo * 1.0000001);
        return std::exp(std::log(lo) + f * (std::log(hi) - std::log(lo)));
    }
    return r.low + f * (r.high - r.low);
}

double fractionOf(const ColourScale& s, const ResolvedScale& r, double v)
{
    if (isLog(s)) {
        const double lo = std::max(r.low, 1e-30), hi = std::max(r.high, lo * 1.0000001);
        return (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo));
    }
    return r.high > r.low ? (v - r.low) / (r.high - r.low) : 0.0;
}

QString elided(const QString& s, const QFont& font, double width)
{
    if (FigureTextMetrics::width(s, font) <= width)
        return s;
    QString t = s;
    while (t.size() > 1 && FigureTextMetrics::width(t + QChar(0x2026), font) > width)
        t.chop(1);
    return t + QChar(0x2026);
}

} // namespace

double colourbarWidth(const ColourScale& scale, const ResolvedScale& range, const FigureFonts& fonts, double barHeight)
{
    (void)barHeight;
    double w = 0;
    for (double v : niceTicks(range.low, range.high, isLog(scale)))
        w = std::max(w, FigureTextMetrics::width(tickText(v), fonts.tick));
    return kColourbarBarWidth + kTickLen + kGap + w + kGap + FigureTextMetrics::height(fonts.tick);
}

void drawColourbar(FigureCanvas& canvas, const QRectF& area, const ColourScale& scale, const ResolvedScale& range,
                   const FigureFonts& fonts, const QString& groupId)
{
    const QRectF bar(area.left(), area.top(), kColourbarBarWidth, area.height());
    const QColor ink(0x20, 0x20, 0x20);
    // Slices bottom to top, each the colour of the value at its centre (equal neighbours merged), each reaching
    // one slice into the next, which is painted over it: no seams in viewers that anti-alias rectangles.
    QVector<QRectF> rects;
    QVector<QRgb> colours;
    const double h = bar.height() / kSlices;
    int start = 0;
    QRgb current = scaleColour(scale, range, valueAt(scale, range, 0.5 / kSlices));
    for (int k = 1; k <= kSlices; ++k) {
        const QRgb c = k < kSlices ? scaleColour(scale, range, valueAt(scale, range, (k + 0.5) / kSlices)) : 0;
        if (k == kSlices || c != current) {
            const double y1 = bar.bottom() - start * h;
            const double y0 = std::max(bar.top(), bar.bottom() - (k + 1) * h);
            rects.push_back(QRectF(QPointF(bar.left(), y0), QPointF(bar.right(), y1)));
            colours.push_back(current);
            start = k;
            current = c;
        }
    }
    canvas.beginGroup(groupId, &bar);
    canvas.fillRectsInOrder(rects, colours);
    canvas.endGroup();
    canvas.strokeRect(bar, ink, 0.5);
    QVector<QLineF> marks;
    double labelW = 0;
    // On a short bar (a one-row figure with two scales) every other tick, or fewer, so labels never overlap.
    QVector<std::pair<double, double>> ticks;   // (value, y)
    for (double v : niceTicks(range.low, range.high, isLog(scale))) {
        const double f = fractionOf(scale, range, v);
        if (f >= -1e-6 && f <= 1 + 1e-6)
            ticks.push_back({v, bar.bottom() - f * bar.height()});
    }
    const double lineH = FigureTextMetrics::height(fonts.tick) + 0.5;
    int stride = 1;
    while (stride < ticks.size() && ticks.size() > 1 &&
           std::fabs(ticks[0].second - ticks[std::min<qsizetype>(stride, ticks.size() - 1)].second) < lineH)
        ++stride;
    for (qsizetype k = 0; k < ticks.size(); k += stride) {
        const double v = ticks[k].first, y = ticks[k].second;
        marks.push_back(QLineF(bar.right(), y, bar.right() + kTickLen, y));
        const QString t = tickText(v);
        canvas.text(t, QPointF(bar.right() + kTickLen + kGap, y), fonts.tick, TextAnchor::CenterLeft, 0, ink);
        labelW = std::max(labelW, FigureTextMetrics::width(t, fonts.tick));
    }
    canvas.lines(marks, ink, 0.5);
    // The label runs along the bar: a smaller size when it is longer than the bar, then cut with an ellipsis.
    QFont font = fonts.tick;
    const double minPt = std::max(4.5, fonts.tick.pointSizeF() - 1.5);
    while (FigureTextMetrics::width(scale.label, font) > bar.height() && font.pointSizeF() - 0.5 >= minPt)
        font.setPointSizeF(font.pointSizeF() - 0.5);
    const QString label = elided(scale.label, font, bar.height());
    canvas.text(label, QPointF(bar.right() + kTickLen + kGap + labelW + kGap, bar.center().y()), font,
                TextAnchor::TopCenter, 90, ink);
}

} // namespace attnscope
