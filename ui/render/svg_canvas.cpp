// SVG 1.1 writer for figures.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/svg_canvas.h"

#include <QBuffer>
#include <QImageWriter>

#include <cmath>

namespace attnscope {

QString svgNumber(double v)
{
    if (!std::isfinite(v))
        return QStringLiteral("0");
    QString s = QString::number(v, 'f', 3);
    if (s.contains(QLatin1Char('.'))) {
        while (s.endsWith(QLatin1Char('0')))
            s.chop(1);
        if (s.endsWith(QLatin1Char('.')))
            s.chop(1);
    }
    if (s == QLatin1String("-0"))
        s = QStringLiteral("0");
    return s;
}

QString svgColor(const QColor& c)
{
    return c.name(QColor::HexRgb);
}

QString xmlEscaped(const QString& s)
{
    QString out;
    out.reserve(s.size());
    for (QChar ch : s) {
        switch (ch.unicode()) {
        case '&': out += QStringLiteral("&amp;"); break;
        case '<': out += QStringLiteral("&lt;"); break;
        case '>': out += QStringLiteral("&gt;"); break;
        case '"': out += QStringLiteral("&quot;"); break;
        default:
            // XML 1.0 forbids most control characters even as references.
            if (ch.unicode() < 0x20 && ch != QLatin1Char('\t') && ch != QLatin1Char('\n') && ch != QLatin1Char('\r'))
                out += QChar(0xFFFD);
            else
                out += ch;
        }
    }
    return out;
}

namespace {

QString opacityAttr(const char* name, const QColor& c)
{
    return c.alpha() == 255 ? QString() : QStringLiteral(" %1=\"%2\"").arg(QLatin1String(name), svgNumber(c.alphaF()));
}

QString rectAttrs(const QRectF& r)
{
    return QStringLiteral("x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\"")
        .arg(svgNumber(r.x()), svgNumber(r.y()), svgNumber(r.width()), svgNumber(r.height()));
}

} // namespace

SvgCanvas::SvgCanvas(const QSizeF& pagePt, const QString& title)
{
    add(QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                       "version=\"1.1\" width=\"%1pt\" height=\"%2pt\" viewBox=\"0 0 %1 %2\">\n")
            .arg(svgNumber(pagePt.width()), svgNumber(pagePt.height())));
    add(QStringLiteral("<title>%1</title>\n<desc>attnscope figure</desc>\n").arg(xmlEscaped(title)));
}

void SvgCanvas::add(const QString& s)
{
    m_out += s.toUtf8();
}

QByteArray SvgCanvas::finish()
{
    while (m_open > 0)
        endGroup();
    add(QStringLiteral("</svg>\n"));
    return m_out;
}

void SvgCanvas::fillRect(const QRectF& r, const QColor& c)
{
    add(QStringLiteral("<rect %1 fill=\"%2\"%3/>\n").arg(rectAttrs(r), svgColor(c), opacityAttr("fill-opacity", c)));
}

void SvgCanvas::fillRects(const QVector<QRectF>& rects, const QColor& c)
{
    if (rects.isEmpty())
        return;
    QString s = QStringLiteral("<g fill=\"%1\"%2>\n").arg(svgColor(c), opacityAttr("fill-opacity", c));
    for (const QRectF& r : rects)
        s += QStringLiteral("<rect %1/>\n").arg(rectAttrs(r));
    s += QStringLiteral("</g>\n");
    add(s);
}

void SvgCanvas::fillRectsInOrder(const QVector<QRectF>& rects, const QVector<QRgb>& colours)
{
    QString s;
    for (qsizetype i = 0; i < rects.size(); ++i) {
        const QColor c = QColor::fromRgba(colours[i]);
        s += QStringLiteral("<rect %1 fill=\"%2\"%3/>\n").arg(rectAttrs(rects[i]), svgColor(c), opacityAttr("fill-opacity", c));
        if (s.size() > (1 << 20)) {
            add(s);
            s.clear();
        }
    }
    add(s);
}

void SvgCanvas::strokeRect(const QRectF& r, const QColor& c, double width)
{
    add(QStringLiteral("<rect %1 fill=\"none\" stroke=\"%2\" stroke-width=\"%3\"%4/>\n")
            .arg(rectAttrs(r), svgColor(c), svgNumber(width), opacityAttr("stroke-opacity", c)));
}

void SvgCanvas::lines(const QVector<QLineF>& lines, const QColor& c, double width)
{
    if (lines.isEmpty())
        return;
    QString d;
    for (const QLineF& l : lines)
        d += QStringLiteral("M%1 %2L%3 %4").arg(svgNumber(l.x1()), svgNumber(l.y1()), svgNumber(l.x2()), svgNumber(l.y2()));
    add(QStringLiteral("<path d=\"%1\" fill=\"none\" stroke=\"%2\" stroke-width=\"%3\"%4/>\n")
            .arg(d, svgColor(c), svgNumber(width), opacityAttr("stroke-opacity", c)));
}

void SvgCanvas::polyline(const QVector<QPointF>& points, const QColor& c, double width)
{
    if (points.size() < 2)
        return;
    QString d = QStringLiteral("M%1 %2").arg(svgNumber(points[0].x()), svgNumber(points[0].y()));
    for (qsizetype i = 1; i < points.size(); ++i)
        d += QStringLiteral("L%1 %2").arg(svgNumber(points[i].x()), svgNumber(points[i].y()));
    add(QStringLiteral("<path d=\"%1\" fill=\"none\" stroke=\"%2\" stroke-width=\"%3\" stroke-linejoin=\"round\" "
                       "stroke-linecap=\"round\"%4/>\n")
            .arg(d, svgColor(c), svgNumber(width), opacityAttr("stroke-opacity", c)));
}

void SvgCanvas::dots(const QVector<QPointF>& centres, double radius, const QColor& c)
{
    if (centres.isEmpty())
        return;
    QString s = QStringLiteral("<g fill=\"%1\"%2>\n").arg(svgColor(c), opacityAttr("fill-opacity", c));
    for (const QPointF& p : centres)
        s += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"%3\"/>\n").arg(svgNumber(p.x()), svgNumber(p.y()), svgNumber(radius));
    s += QStringLiteral("</g>\n");
    add(s);
}

void SvgCanvas::text(const QString& s, const QPointF& pos, const QFont& font, TextAnchor anchor, double angleDeg,
                     const QColor& c)
{
    if (s.isEmpty())
        return;
    // Horizontal placement by text-anchor (robust when a viewer substitutes the font), vertical by the baseline
    // computed from our metrics.
    const QPointF off = FigureTextMetrics::anchorOffset(s, font, anchor);
    const double baseline = off.y() + FigureTextMetrics::ascent(font);
    QString textAnchor = QStringLiteral("start");
    switch (anchor) {
    case TextAnchor::TopCenter: case TextAnchor::Center: case TextAnchor::BaselineCenter: case TextAnchor::BottomCenter:
        textAnchor = QStringLiteral("middle"); break;
    case TextAnchor::TopRight: case TextAnchor::CenterRight: case TextAnchor::BaselineRight: case TextAnchor::BottomRight:
        textAnchor = QStringLiteral("end"); break;
    default: break;
    }
    QString transform;
    if (angleDeg != 0)
        transform = QStringLiteral(" transform=\"rotate(%1 %2 %3)\"").arg(svgNumber(-angleDeg), svgNumber(pos.x()), svgNumber(pos.y()));
    add(QStringLiteral("<text x=\"%1\" y=\"%2\" font-family=\"%3\" font-size=\"%4\" fill=\"%5\" text-anchor=\"%6\" "
                       "xml:space=\"preserve\"%7>%8</text>\n")
            .arg(svgNumber(pos.x()), svgNumber(pos.y() + baseline), xmlEscaped(font.family()), svgNumber(font.pointSizeF()),
                 svgColor(c), textAnchor, transform, xmlEscaped(s)));
}

void SvgCanvas::image(const QRectF& target, const QImage& img)
{
    if (img.isNull())
        return;
    QByteArray png;
    QBuffer buf(&png);
    buf.open(QIODevice::WriteOnly);
    QImageWriter w(&buf, "png");
    w.write(img);
    add(QStringLiteral("<image %1 preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" "
                       "style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,%2\"/>\n")
            .arg(rectAttrs(target), QString::fromLatin1(png.toBase64())));
}

void SvgCanvas::beginGroup(const QString& id, const QRectF* clip)
{
    QString attrs;
    if (!id.isEmpty())
        attrs += QStringLiteral(" id=\"%1\"").arg(xmlEscaped(id));
    if (clip) {
        const QString clipId = QStringLiteral("clip%1").arg(++m_clips);
        add(QStringLiteral("<clipPath id=\"%1\"><rect %2/></clipPath>\n").arg(clipId, rectAttrs(*clip)));
        attrs += QStringLiteral(" clip-path=\"url(#%1)\"").arg(clipId);
    }
    add(QStringLiteral("<g%1>\n").arg(attrs));
    ++m_open;
}

void SvgCanvas::endGroup()
{
    if (m_open <= 0)
        return;
    --m_open;
    add(QStringLiteral("</g>\n"));
}

} // namespace attnscope
