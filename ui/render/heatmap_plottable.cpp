// HeatmapPlottable: hatched backdrop for masked cells, then a nearest-neighbour blit of the visible cells.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/heatmap_plottable.h"

#include "ui/render/colormap.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

HeatmapPlottable::HeatmapPlottable(QCPAxis* keyAxis, QCPAxis* valueAxis)
    : QCPAbstractPlottable(keyAxis, valueAxis)
{
    setSelectable(QCP::stNone);
    setAntialiased(false);
}

void HeatmapPlottable::setImage(const QImage& image, qint64 cells)
{
    m_image = image;
    m_cells = cells;
}

void HeatmapPlottable::clearImage()
{
    m_image = QImage();
    m_cells = 0;
}

double HeatmapPlottable::selectTest(const QPointF&, bool, QVariant*) const
{
    return -1;   // hover and clicks are handled by the head view, which knows the tokens
}

QCPRange HeatmapPlottable::getKeyRange(bool& foundRange, QCP::SignDomain) const
{
    foundRange = m_cells > 0;
    return QCPRange(-0.5, static_cast<double>(m_cells) - 0.5);
}

QCPRange HeatmapPlottable::getValueRange(bool& foundRange, QCP::SignDomain, const QCPRange&) const
{
    foundRange = m_cells > 0;
    return QCPRange(-0.5, static_cast<double>(m_cells) - 0.5);
}

void HeatmapPlottable::draw(QCPPainter* painter)
{
    if (m_image.isNull() || m_cells <= 0 || !mKeyAxis || !mValueAxis)
        return;
    const double n = static_cast<double>(m_cells);
    const double perPixel = n / m_image.width();   // cells per image pixel (pooling)
    // Visible cell range, clamped to the data, snapped outwards to whole image pixels so the blit is exact.
    const QCPRange kr = mKeyAxis->range();
    const QCPRange vr = mValueAxis->range();
    auto px0 = [&](double lo) { return std::clamp(static_cast<int>(std::floor((lo + 0.5) / perPixel)), 0, m_image.width()); };
    auto px1 = [&](double hi) { return std::clamp(static_cast<int>(std::ceil((hi + 0.5) / perPixel)), 0, m_image.width()); };
    const int x0 = px0(kr.lower), x1 = px1(kr.upper);
    const int y0 = px0(vr.lower), y1 = px1(vr.upper);
    if (x1 <= x0 || y1 <= y0)
        return;
    auto cellEdge = [&](int px) { return px * perPixel - 0.5; };
    const QPointF a = coordsToPixels(cellEdge(x0), cellEdge(y0));
    const QPointF b = coordsToPixels(cellEdge(x1), cellEdge(y1));
    const QRectF target = QRectF(a, b).normalized();

    painter->save();
    painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->fillRect(target, maskedBackground());
    painter->fillRect(target, QBrush(maskedHatch(), Qt::BDiagPattern));
    const QRect source(x0, y0, x1 - x0, y1 - y0);
    if (a.y() <= b.y() && a.x() <= b.x()) {
        painter->drawImage(target, m_image, source);   // the usual case: reversed value axis, row 0 on top
    } else {
        // An axis runs the other way: mirror the visible part so rows and columns land where they belong.
        painter->drawImage(target, m_image.copy(source).mirrored(a.x() > b.x(), a.y() > b.y()));
    }
    painter->restore();
}

void HeatmapPlottable::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const
{
    if (!m_image.isNull())
        painter->drawImage(rect, m_image);
}

} // namespace attnscope
