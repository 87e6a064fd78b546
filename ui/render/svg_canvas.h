// A FigureCanvas that writes SVG 1.1 directly (docs/EXPORT.md "SVG"): the page is sized in points with a
// matching viewBox, heatmap cells are <rect>s grouped by colour inside a <g id="…"> clipped by a real
// <clipPath> to the axis rectangle, images are embedded as base64 PNG (lossless), text stays <text> naming the
// figure's font family. Qt 6.4's QSvgGenerator writes SVG Tiny 1.2 without clip paths and cannot name groups,
// which is why this exists. Threading: one canvas per thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_canvas.h"

#include <QByteArray>
#include <QSizeF>

namespace attnscope {

class SvgCanvas final : public FigureCanvas {
public:
    SvgCanvas(const QSizeF& pagePt, const QString& title);
    /// The finished document (closes any open groups).
    QByteArray finish();

    void fillRect(const QRectF& r, const QColor& c) override;
    void fillRects(const QVector<QRectF>& rects, const QColor& c) override;
    void fillRectsInOrder(const QVector<QRectF>& rects, const QVector<QRgb>& colours) override;
    void strokeRect(const QRectF& r, const QColor& c, double width) override;
    void lines(const QVector<QLineF>& lines, const QColor& c, double width) override;
    void polyline(const QVector<QPointF>& points, const QColor& c, double width) override;
    void dots(const QVector<QPointF>& centres, double radius, const QColor& c) override;
    void text(const QString& s, const QPointF& pos, const QFont& font, TextAnchor anchor, double angleDeg,
              const QColor& c) override;
    void image(const QRectF& target, const QImage& img) override;
    void beginGroup(const QString& id, const QRectF* clip) override;
    void endGroup() override;
    bool isRaster() const override { return false; }
    double pixelsPerPoint() const override { return 0; }

private:
    void add(const QString& s);
    QByteArray m_out;
    int m_open = 0;
    int m_clips = 0;
};

/// Coordinates in SVG and elsewhere: at most 3 decimals, no trailing zeros ("12.5", "3").
QString svgNumber(double v);
QString svgColor(const QColor& c);
QString xmlEscaped(const QString& s);

} // namespace attnscope
