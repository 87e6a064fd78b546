// Figure files (docs/EXPORT.md): PDF (heatmap cells as vector rectangles up to the style's cell limit, else one
// lossless Flate image per heatmap — never JPEG; fonts embedded), SVG 1.1 (svg_canvas.h) and PNG at any dpi
// with the dpi stored in its pHYs chunk; the page is the figure's size in points. Rendering is deterministic:
// the same spec and data give the same bytes (PDF: set SOURCE_DATE_EPOCH to fix its creation date too).
// Threading: any thread (QPainter on QImage/QPdfWriter and the font database are thread-safe in Qt 6).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_renderer.h"

#include <QByteArray>
#include <QImage>
#include <QString>

#include <optional>

namespace attnscope {

enum class FigureFormat { Pdf, Svg, Png };

/// From a file name's extension (.pdf, .svg, .png; case-insensitive).
std::optional<FigureFormat> figureFormatForPath(const QString& path);
QString figureFormatId(FigureFormat f);

/// The figure as an image at `dpi` (white background), tagged with that dpi.
QImage renderFigureImage(const FigureRenderer& figure, int dpi);
QByteArray renderFigurePng(const FigureRenderer& figure, int dpi);
QByteArray renderFigureSvg(const FigureRenderer& figure);
/// Empty with the reason in `error` on failure.
QByteArray renderFigurePdf(const FigureRenderer& figure, QString* error);
QByteArray renderFigure(const FigureRenderer& figure, FigureFormat format, int dpi, QString* error);

/// Renders and writes atomically. `dpi` ≤ 0 takes the spec's. Returns false with the reason in `error`; the
/// previous file at `path` is then untouched.
bool exportFigure(const FigureRenderer& figure, const QString& path, int dpi, QString* error);

/// Pixels per point at a dpi.
inline double pixelsPerPoint(int dpi)
{
    return dpi / 72.0;
}

} // namespace attnscope
