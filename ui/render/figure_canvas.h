// The drawing surface figures are painted on, in points (1/72 in) with y down. Panels draw only through this
// small set of primitives, so the same code produces a PDF, a PNG and an SVG: PainterCanvas drives a QPainter
// (QPdfWriter, QImage, the composer's preview), SvgCanvas (svg_canvas.h) writes SVG 1.1 itself with real
// <clipPath>s and heatmap cells as <rect>s in named groups. Text is placed from metrics measured on a 72-dpi
// reference device, so layouts are identical on every target. Threading: one canvas per thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QColor>
#include <QFont>
#include <QImage>
#include <QLineF>
#include <QRectF>
#include <QString>
#include <QVector>

#include <functional>

class QPainter;

namespace attnscope {

/// A run of heatmap cells in cell units: columns [col, col + width) of rows [row, row + height), one colour.
struct CellRun {
    int col = 0, row = 0, width = 1, height = 1;
    QRgb colour = 0;
};

/// Where a text's anchor point sits on the text (before rotation).
enum class TextAnchor { TopLeft, TopCenter, TopRight, CenterLeft, Center, CenterRight, BaselineLeft, BaselineCenter,
                        BaselineRight, BottomLeft, BottomCenter, BottomRight };

class FigureCanvas {
public:
    virtual ~FigureCanvas() = default;

    virtual void fillRect(const QRectF& r, const QColor& c) = 0;
    /// Many rectangles of one colour (heatmap cells merged into runs): one fill operation on vector targets.
    virtual void fillRects(const QVector<QRectF>& rects, const QColor& c) = 0;
    /// Rectangles painted in the given order, each with its own colour (later ones cover earlier ones).
    virtual void fillRectsInOrder(const QVector<QRectF>& rects, const QVector<QRgb>& colours) = 0;
    /// Heatmap cells as runs on a cols × rows grid filling `plot`, painted in order. The default paints them as
    /// rectangles; the PDF path writes them itself in cell units (compact, exact, fast).
    virtual void cellRuns(const QRectF& plot, int cols, int rows, const QVector<CellRun>& runs);
    virtual void strokeRect(const QRectF& r, const QColor& c, double width) = 0;
    virtual void lines(const QVector<QLineF>& lines, const QColor& c, double width) = 0;
    /// One connected line through `points` (a data series): a single path with round joins on every target.
    /// The default draws it as segments.
    virtual void polyline(const QVector<QPointF>& points, const QColor& c, double width);
    /// Filled circles of `radius` points (a series' markers). The default draws small squares.
    virtual void dots(const QVector<QPointF>& centres, double radius, const QColor& c);
    /// Text at `pos`, `anchor` saying which point of the text sits there, rotated by `angleDeg` (counter-
    /// clockwise on the page, e.g. 90 for a label that reads bottom to top) around `pos`.
    virtual void text(const QString& s, const QPointF& pos, const QFont& font, TextAnchor anchor, double angleDeg,
                      const QColor& c) = 0;
    /// One pixel per cell (alpha 0 = masked), scaled without smoothing to `target`. Lossless on every target.
    virtual void image(const QRectF& target, const QImage& img) = 0;
    /// Groups what follows (SVG: <g id=…>, clipped to `clip` when given; painters: a clip rectangle).
    virtual void beginGroup(const QString& id, const QRectF* clip = nullptr) = 0;
    virtual void endGroup() = 0;
    /// True when text and lines end up as pixels (PNG, preview): heatmaps are then drawn as images pooled to
    /// the pixels rather than as one rectangle per cell.
    virtual bool isRaster() const = 0;
    /// Device pixels per point (raster targets; 0 otherwise).
    virtual double pixelsPerPoint() const = 0;
};

/// Text measurement in points on the 72-dpi reference device (what every canvas lays out with).
class FigureTextMetrics {
public:
    static double width(const QString& s, const QFont& font);
    static double ascent(const QFont& font);
    static double descent(const QFont& font);
    static double height(const QFont& font);   // ascent + descent
    /// The top-left offset of the text's bounding box relative to its anchor point, unrotated.
    static QPointF anchorOffset(const QString& s, const QFont& font, TextAnchor anchor);
};

/// A QPainter canvas. For QPdfWriter targets, images go through `pdfImageHook` (when set) instead of the
/// painter: Qt 6.4's PDF engine would JPEG-encode them. The hook draws a placeholder and remembers the image
/// for pdf_image_injector.h.
class PainterCanvas final : public FigureCanvas {
public:
    /// `pixelsPerPoint`: 0 for vector devices (PDF), else the raster scale (the painter is already scaled).
    PainterCanvas(QPainter& painter, double pixelsPerPoint);
    std::function<void(QPainter&, const QRectF&, const QImage&)> pdfImageHook;
    /// For QPdfWriter targets: heatmap cells go here instead of through the painter (one rectangle per run as
    /// Qt drawing commands costs seconds at 1024² cells); the hook draws a placeholder for pdf_image_injector.h.
    std::function<void(QPainter&, const QRectF&, int, int, const QVector<CellRun>&)> pdfCellHook;

    void fillRect(const QRectF& r, const QColor& c) override;
    void fillRects(const QVector<QRectF>& rects, const QColor& c) override;
    void fillRectsInOrder(const QVector<QRectF>& rects, const QVector<QRgb>& colours) override;
    void cellRuns(const QRectF& plot, int cols, int rows, const QVector<CellRun>& runs) override;
    void strokeRect(const QRectF& r, const QColor& c, double width) override;
    void lines(const QVector<QLineF>& lines, const QColor& c, double width) override;
    void polyline(const QVector<QPointF>& points, const QColor& c, double width) override;
    void dots(const QVector<QPointF>& centres, double radius, const QColor& c) override;
    void text(const QString& s, const QPointF& pos, const QFont& font, TextAnchor anchor, double angleDeg,
              const QColor& c) override;
    void image(const QRectF& target, const QImage& img) override;
    void beginGroup(const QString& id, const QRectF* clip) override;
    void endGroup() override;
    bool isRaster() const override { return m_ppp > 0; }
    double pixelsPerPoint() const override { return m_ppp; }

private:
    QPainter& m_p;
    double m_ppp;
    int m_groups = 0;
};

} // namespace attnscope
