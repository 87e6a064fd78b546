// A QCustomPlot plottable that draws a pre-colourised heatmap image (one pixel per grid cell of a pooled window
// of the map, alpha 0 = masked) over a hatched backdrop, blitting only the visible part. QCPColorMap would re-colourise all N² cells through
// setCell on every head switch; here colourising happens once, off the UI thread, and replots cost ~2 ms.
// Cell (row i, column j) covers key ∈ [j − 0.5, j + 0.5], value ∈ [i − 0.5, i + 0.5]; reverse the value axis
// so row 0 is on top. Threading: UI thread (like every QCustomPlot object).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/heatmap_image.h"

#include <qcustomplot.h>

namespace attnscope {

class HeatmapPlottable : public QCPAbstractPlottable {
    Q_OBJECT
public:
    HeatmapPlottable(QCPAxis* keyAxis, QCPAxis* valueAxis);

    /// image: one pixel per grid cell of `window` (a block of poolY × poolX map cells) of a `cells` × `cells` map.
    void setImage(const QImage& image, qint64 cells, const PoolWindow& window);
    /// The whole map, one pixel per `cells / image.width()` cells along each axis (tests, simple callers).
    void setImage(const QImage& image, qint64 cells);
    const PoolWindow& window() const { return m_window; }
    /// Fades the image (the map belongs to a previous prompt).
    void setDimmed(bool dimmed) { m_dimmed = dimmed; }
    void clearImage();
    const QImage& image() const { return m_image; }
    qint64 cells() const { return m_cells; }

    double selectTest(const QPointF& pos, bool onlySelectable, QVariant* details = nullptr) const override;
    QCPRange getKeyRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange& inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter* painter) override;
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

private:
    QImage m_image;
    qint64 m_cells = 0;
    PoolWindow m_window;
    bool m_dimmed = false;
};

} // namespace attnscope
