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

void HeatmapPlottable::setImage(const QImage& image, qint64 cells, const PoolWindow& window)
{
    m_image = image;
    m_cells = cells;
    m_window = window;
}

void HeatmapPlottable::setImage(const QImage& image, qint64 cells)
{
    PoolWindow w;
    if (!image.isNull() && cells > 0) {
        w.cols = image.width();
        w.rows = image.height();
        w.poolX = static_cast<int>((cells + image.width() - 1) / image.width());
        w.poolY = static_cast<int>((cells + image.height() - 1) / image.height());
    }
    setImage(image, cells, w);
}

void HeatmapPlottable::clearImage()
{
    m_image = QImage();
    m_cells = 0;
    m_window = {};
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
    const PoolWindow& w = m_window;
    const double n = static_cast<double>(m_cells);
    // Visible cell range, clamped to the image, snapped outwards to whole image pixels so the blit is exact.
    const QCPRange kr = mKeyAxis->range();
    const QCPRange vr = mValueAxis->range();
    auto px0 = [](double lo, int64_t origin, int pool, int size) {
        return std::clamp(static_cast<int>(std::floor((lo + 0.5 - static_cast<double>(origin)) / pool)), 0, size);
    };
    auto px1 = [](double hi, int64_t origin, int pool, int size) {
        return std::clamp(static_cast<int>(std::ceil((hi + 0.5 - static_cast<double>(origin)) / pool)), 0, size);
    };
    const int x0 = px0(kr.lower, w.col0, w.poolX, m_image.width()), x1 = px1(kr.upper, w.col0, w.poolX, m_image.width());
    const int y0 = px0(vr.lower, w.row0, w.poolY, m_image.height()), y1 = px1(vr.upper, w.row0, w.poolY, m_image.height());
    auto edgeX = [&](int px) { return static_cast<double>(w.col0 + int64_t(px) * w.poolX) - 0.5; };
    auto edgeY = [&](int py) { return static_cast<double>(w.row0 + int64_t(py) * w.poolY) - 0.5; };

    painter->save();
    painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter->setRenderHint(QPainter::Antialiasing, false);
    // The map's extent: the hatch behind it, and the clip for the last block, which may reach past the end.
    const QRectF extent = QRectF(coordsToPixels(-0.5, -0.5), coordsToPixels(n - 0.5, n - 0.5)).normalized();
    painter->fillRect(extent, maskedBackground());
    painter->fillRect(extent, QBrush(maskedHatch(), Qt::BDiagPattern));
    if (x1 > x0 && y1 > y0) {
        painter->setClipRect(extent, Qt::IntersectClip);
        const QPointF a = coordsToPixels(edgeX(x0), edgeY(y0));
        const QPointF b = coordsToPixels(edgeX(x1), edgeY(y1));
        const QRectF target = QRectF(a, b).normalized();
        const QRect source(x0, y0, x1 - x0, y1 - y0);
        if (a.y() <= b.y() && a.x() <= b.x()) {
            painter->drawImage(target, m_image, source);   // the usual case: reversed value axis, row 0 on top
        } else {
            // An axis runs the other way: mirror the visible part so rows and columns land where they belong.
            painter->drawImage(target, m_image.copy(source).mirrored(a.x() > b.x(), a.y() > b.y()));
        }
        if (m_dimmed)
            painter->fillRect(target, QColor(255, 255, 255, 160));
    }
    painter->restore();
}

void HeatmapPlottable::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const
{
    if (!m_image.isNull())
        painter->drawImage(rect, m_image);
}

} // namespace attnscope
