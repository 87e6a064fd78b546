// Heatmaps in Qt-written PDFs (docs/EXPORT.md "PDF"). Qt 6.4's PDF engine stores every colour image with DCT
// (JPEG) compression, which shifts heatmap colours and rings at cell edges, and drawing 10⁵–10⁶ cell
// rectangles through QPainter costs seconds. The figure exporter draws a tiny 1-bit placeholder image (Qt
// stores those with Flate) where each heatmap goes; this appends an incremental update to the finished PDF that
// replaces each placeholder's object by
//  - the real image as 8-bit RGB with FlateDecode and, where cells are masked, a FlateDecode soft mask; or
//  - a form XObject whose content draws the cells as rectangles in cell units ("c r w h re f", colours from an
//    indexed palette of the colours used), i.e. vector cells.
// The page, its content stream and the placement transform stay Qt's own: an image fills the unit square its
// transform maps, and the form's /Matrix maps the cell grid onto that same square.
// Threading: pure function.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QByteArray>
#include <QImage>
#include <QString>
#include <QVector>

#include "ui/render/figure_canvas.h"

#include <vector>

namespace attnscope {

struct PdfImagePatch {
    int placeholderHeight = 0;   // the placeholder is a 1 × placeholderHeight Format_Mono image, unique per patch
    QImage image;                // ARGB32, alpha 0 where the page behind must show through; or, when null:
    int cols = 0, rows = 0;      // the cell grid of
    QVector<CellRun> runs;       // vector cell runs, painted in order
};

/// The placeholder to draw for patch number `index` (0-based).
QImage pdfPlaceholderImage(int index);

/// Returns the PDF with the placeholders replaced, or an empty array with the reason in `error` (a placeholder
/// not found, a PDF structure this does not recognise).
QByteArray injectPdfImages(const QByteArray& pdf, const std::vector<PdfImagePatch>& patches, QString* error);

} // namespace attnscope
