// Text metrics on a 72-dpi reference image, and the QPainter canvas.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_canvas.h"

#include <QFontMetricsF>
#include <QPainter>

#include <mutex>

namespace attnscope {

namespace {

/// A paint device whose logical dpi is 72, so a font's point size is its size in layout units.
const QImage& referenceDevice()
{
    static const QImage img = [] {
        QImage i(1, 1, QImage::Format_ARGB32);
        const int dpm = qRound(72.0 / 0.0254);
        i.setDotsPerMeterX(dpm);
        i.setDotsPerMeterY(dpm);
        return i;
    }();
    return img;
}

QFontMetricsF metricsFor(const QFont& font)
{
    return QFontMetricsF(font, const_cast<QImage*>(&referenceDevice()));
}

} // namespace

double FigureTextMetrics::width(const QString& s, const QFont& font)
{
    return metricsFor(font).horizontalAdvance(s);
}

double FigureTextMetrics::ascent(const QFont& font)
{
    return metricsFor(font).ascent();
}

double FigureTextMetrics::descent(const QFont& font)
{
    return metricsFor(font).descent();
}

double FigureTextMetrics::height(const QFont& font)
{
    const QFontMetricsF m = metricsFor(font);
    return m.ascent() + m.descent();
}

QPointF FigureTextMetrics::anchorOffset(const QString& s, const QFont& font, TextAnchor anchor)
{
    const QFontMetricsF m = metricsFor(font);
    const double w = m.horizontalAdvance(s);
    const double a = m.ascent(), d = m.descent();
    double x = 0, y = 0;   // offset of the box's top-left from the anchor
    switch (anchor) {
    case TextAnchor::TopLeft: case TextAnchor::CenterLeft: case TextAnchor::BaselineLeft: case TextAnchor::BottomLeft:
        x = 0; break;
    case TextAnchor::TopCenter: case TextAnchor::Center: case TextAnchor::BaselineCenter: case TextAnchor::BottomCenter:
        x = -w / 2; break;
    default:
        x = -w; break;
    }
    switch (anchor) {
    case TextAnchor::TopLeft: case TextAnchor::TopCenter: case TextAnchor::TopRight: y = 0; break;
    case TextAnchor::CenterLeft: case TextAnchor::Center: case TextAnchor::CenterRight: y = -(a + d) / 2; break;
    case TextAnchor::BaselineLeft: case TextAnchor::BaselineCenter: case TextAnchor::BaselineRight: y = -a; break;
    default: y = -(a + d); break;
    }
    return {x, y};
}

void FigureCanvas::cellRuns(const QRectF& plot, int cols, int rows, const QVector<CellRun>& runs)
{
    const double cw = plot.width() / cols, ch = plot.height() / rows;
    QVector<QRectF> rects;
    QVector<QRgb> colours;
    rects.reserve(runs.size());
    colours.reserve(runs.size());
    for (const CellRun& r : runs) {
        rects.push_back(QRectF(QPointF(plot.left() + r.col * cw, plot.top() + r.row * ch),
                               QPointF(plot.left() + (r.col + r.width) * cw, plot.top() + (r.row + r.height) * ch)));
        colours.push_back(r.colour);
    }
    fillRectsInOrder(rects, colours);
}

void FigureCanvas::polyline(const QVector<QPointF>& points, const QColor& c, double width)
{
    QVector<QLineF> segments;
    for (qsizetype i = 1; i < points.size(); ++i)
        segments.push_back(QLineF(points[i - 1], points[i]));
    lines(segments, c, width);
}

void FigureCanvas::dots(const QVector<QPointF>& centres, double radius, const QColor& c)
{
    QVector<QRectF> squares;
    for (const QPointF& p : centres)
        squares.push_back(QRectF(p.x() - radius, p.y() - radius, 2 * radius, 2 * radius));
    fillRects(squares, c);
}

PainterCanvas::PainterCanvas(QPainter& painter, double pixelsPerPoint)
    : m_p(painter)
    , m_ppp(pixelsPerPoint)
{
}

void PainterCanvas::fillRect(const QRectF& r, const QColor& c)
{
    m_p.fillRect(r, c);
}

void PainterCanvas::fillRects(const QVector<QRectF>& rects, const QColor& c)
{
    if (rects.isEmpty())
        return;
    m_p.save();
    m_p.setPen(Qt::NoPen);
    m_p.setBrush(c);
    m_p.setRenderHint(QPainter::Antialiasing, false);
    m_p.drawRects(rects.constData(), static_cast<int>(rects.size()));
    m_p.restore();
}

void PainterCanvas::fillRectsInOrder(const QVector<QRectF>& rects, const QVector<QRgb>& colours)
{
    if (rects.isEmpty())
        return;
    m_p.save();
    m_p.setPen(Qt::NoPen);
    m_p.setRenderHint(QPainter::Antialiasing, false);
    QRgb current = ~colours[0];
    for (qsizetype i = 0; i < rects.size(); ++i) {
        if (colours[i] != current) {
            current = colours[i];
            m_p.setBrush(QColor::fromRgba(current));
        }
        m_p.drawRect(rects[i]);
    }
    m_p.restore();
}

void PainterCanvas::cellRuns(const QRectF& plot, int cols, int rows, const QVector<CellRun>& runs)
{
    if (pdfCellHook)
        pdfCellHook(m_p, plot, cols, rows, runs);
    else
        FigureCanvas::cellRuns(plot, cols, rows, runs);
}

void PainterCanvas::strokeRect(const QRectF& r, const QColor& c, double width)
{
    m_p.save();
    QPen pen(c, width);
    pen.setJoinStyle(Qt::MiterJoin);
    m_p.setPen(pen);
    m_p.setBrush(Qt::NoBrush);
    m_p.drawRect(r);
    m_p.restore();
}

void PainterCanvas::lines(const QVector<QLineF>& lines, const QColor& c, double width)
{
    if (lines.isEmpty())
        return;
    m_p.save();
    QPen pen(c, width);
    pen.setCapStyle(Qt::FlatCap);
    m_p.setPen(pen);
    m_p.drawLines(lines.constData(), static_cast<int>(lines.size()));
    m_p.restore();
}

void PainterCanvas::polyline(const QVector<QPointF>& points, const QColor& c, double width)
{
    if (points.size() < 2)
        return;
    m_p.save();
    QPen pen(c, width);
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    m_p.setPen(pen);
    m_p.setBrush(Qt::NoBrush);
    m_p.setRenderHint(QPainter::Antialiasing, true);
    m_p.drawPolyline(points.constData(), static_cast<int>(points.size()));
    m_p.restore();
}

void PainterCanvas::dots(const QVector<QPointF>& centres, double radius, const QColor& c)
{
    if (centres.isEmpty())
        return;
    m_p.save();
    m_p.setPen(Qt::NoPen);
    m_p.setBrush(c);
    m_p.setRenderHint(QPainter::Antialiasing, true);
    for (const QPointF& p : centres)
        m_p.drawEllipse(p, radius, radius);
    m_p.restore();
}

void PainterCanvas::text(const QString& s, const QPointF& pos, const QFont& font, TextAnchor anchor, double angleDeg,
                         const QColor& c)
{
    if (s.isEmpty())
        return;
    const QPointF off = FigureTextMetrics::anchorOffset(s, font, anchor);
    m_p.save();
    m_p.translate(pos);
    if (angleDeg != 0)
        m_p.rotate(-angleDeg);   // counter-clockwise on the page (y points down)
    m_p.setFont(font);
    m_p.setPen(c);
    m_p.drawText(QPointF(off.x(), off.y() + FigureTextMetrics::ascent(font)), s);
    m_p.restore();
}

void PainterCanvas::image(const QRectF& target, const QImage& img)
{
    if (img.isNull())
        return;
    if (pdfImageHook) {
        pdfImageHook(m_p, target, img);
        return;
    }
    m_p.save();
    m_p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    m_p.drawImage(target, img);
    m_p.restore();
}

void PainterCanvas::beginGroup(const QString& id, const QRectF* clip)
{
    Q_UNUSED(id);
    m_p.save();
    ++m_groups;
    if (clip)
        m_p.setClipRect(*clip, Qt::IntersectClip);
}

void PainterCanvas::endGroup()
{
    if (m_groups > 0) {
        --m_groups;
        m_p.restore();
    }
}

} // namespace attnscope
