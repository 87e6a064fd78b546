// PDF through QPdfWriter (+ lossless images, pdf_image_injector.h), SVG through SvgCanvas, PNG through QImage.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_export.h"

#include "attnscope_config.h"
#include "ui/render/atomic_file.h"
#include "ui/render/pdf_image_injector.h"
#include "ui/render/svg_canvas.h"

#include <QBuffer>
#include <QDateTime>
#include <QFileInfo>
#include <QImageWriter>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>

#include <cmath>

namespace attnscope {

namespace {

QString figureTitle(const FigureRenderer& f)
{
    return f.spec().style.title.isEmpty() ? QStringLiteral("attnscope figure") : f.spec().style.title;
}

/// Replaces the creation date Qt wrote with SOURCE_DATE_EPOCH's (same length: the xref offsets stay valid).
void fixCreationDate(QByteArray& pdf)
{
    bool ok = false;
    const qint64 epoch = qEnvironmentVariable("SOURCE_DATE_EPOCH").toLongLong(&ok);
    if (!ok)
        return;
    const qsizetype at = pdf.indexOf("/CreationDate (D:");
    if (at < 0)
        return;
    const qsizetype start = at + 17;
    const qsizetype end = pdf.indexOf(')', start);
    const QByteArray stamp = QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC).toString(QStringLiteral("yyyyMMddHHmmss")).toLatin1() + "Z";
    if (end - start == stamp.size())
        pdf.replace(start, stamp.size(), stamp);
}

} // namespace

std::optional<FigureFormat> figureFormatForPath(const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == QLatin1String("pdf"))
        return FigureFormat::Pdf;
    if (ext == QLatin1String("svg"))
        return FigureFormat::Svg;
    if (ext == QLatin1String("png"))
        return FigureFormat::Png;
    return std::nullopt;
}

QString figureFormatId(FigureFormat f)
{
    switch (f) {
    case FigureFormat::Pdf: return QStringLiteral("pdf");
    case FigureFormat::Svg: return QStringLiteral("svg");
    case FigureFormat::Png: return QStringLiteral("png");
    }
    return QStringLiteral("pdf");
}

QImage renderFigureImage(const FigureRenderer& figure, int dpi)
{
    dpi = std::clamp(dpi, kMinDpi, kMaxDpi);
    const double ppp = pixelsPerPoint(dpi);
    const QSizeF page = figure.pageSize();
    const QSize px(std::max(1, static_cast<int>(std::ceil(page.width() * ppp - 1e-6))),
                   std::max(1, static_cast<int>(std::ceil(page.height() * ppp - 1e-6))));
    QImage img(px, QImage::Format_RGB32);
    img.fill(Qt::white);
    // Paint at 72 logical dpi so fonts in points are in layout units; the painter scales to pixels.
    const int dpm72 = qRound(72.0 / 0.0254);
    img.setDotsPerMeterX(dpm72);
    img.setDotsPerMeterY(dpm72);
    {
        QPainter p(&img);
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setRenderHint(QPainter::TextAntialiasing, true);
        p.scale(ppp, ppp);
        PainterCanvas canvas(p, ppp);
        figure.paint(canvas);
    }
    const int dpm = qRound(dpi / 0.0254);
    img.setDotsPerMeterX(dpm);
    img.setDotsPerMeterY(dpm);
    return img;
}

QByteArray renderFigurePng(const FigureRenderer& figure, int dpi)
{
    const QImage img = renderFigureImage(figure, dpi);
    QByteArray out;
    QBuffer buf(&out);
    buf.open(QIODevice::WriteOnly);
    QImageWriter w(&buf, "png");
    w.write(img.convertToFormat(QImage::Format_RGB888));
    return out;
}

QByteArray renderFigureSvg(const FigureRenderer& figure)
{
    SvgCanvas canvas(figure.pageSize(), figureTitle(figure));
    figure.paint(canvas);
    return canvas.finish();
}

QByteArray renderFigurePdf(const FigureRenderer& figure, QString* error)
{
    QByteArray bytes;
    std::vector<PdfImagePatch> patches;
    {
        QBuffer buf(&bytes);
        buf.open(QIODevice::WriteOnly);
        QPdfWriter writer(&buf);
        writer.setPageSize(QPageSize(figure.pageSize(), QPageSize::Point, QString(), QPageSize::ExactMatch));
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setResolution(72);
        writer.setTitle(figureTitle(figure));
        writer.setCreator(QStringLiteral("attnscope " ATTNSCOPE_VERSION));
        QPainter p;
        if (!p.begin(&writer)) {
            if (error)
                *error = QStringLiteral("cannot start the PDF writer");
            return {};
        }
        p.setRenderHint(QPainter::Antialiasing, true);
        PainterCanvas canvas(p, 0);
        canvas.pdfImageHook = [&patches](QPainter& painter, const QRectF& target, const QImage& img) {
            const int index = static_cast<int>(patches.size());
            painter.drawImage(target, pdfPlaceholderImage(index));
            patches.push_back({index + 1, img, 0, 0, {}});
        };
        canvas.pdfCellHook = [&patches](QPainter& painter, const QRectF& plot, int cols, int rows, const QVector<CellRun>& runs) {
            const int index = static_cast<int>(patches.size());
            painter.drawImage(plot, pdfPlaceholderImage(index));
            patches.push_back({index + 1, QImage(), cols, rows, runs});
        };
        figure.paint(canvas);
        p.end();
    }
    if (!patches.empty()) {
        bytes = injectPdfImages(bytes, patches, error);
        if (bytes.isEmpty())
            return {};
    }
    fixCreationDate(bytes);
    return bytes;
}

QByteArray renderFigure(const FigureRenderer& figure, FigureFormat format, int dpi, QString* error)
{
    switch (format) {
    case FigureFormat::Pdf: return renderFigurePdf(figure, error);
    case FigureFormat::Svg: return renderFigureSvg(figure);
    case FigureFormat::Png: return renderFigurePng(figure, dpi > 0 ? dpi : figure.spec().style.dpi);
    }
    return {};
}

bool exportFigure(const FigureRenderer& figure, const QString& path, int dpi, QString* error)
{
    const auto format = figureFormatForPath(path);
    if (!format) {
        if (error)
            *error = QStringLiteral("%1: the figure format follows the extension: .pdf, .svg or .png").arg(path);
        return false;
    }
    QString why;
    const QByteArray data = renderFigure(figure, *format, dpi, &why);
    if (data.isEmpty()) {
        if (error)
            *error = QStringLiteral("cannot render %1: %2").arg(path, why.isEmpty() ? QStringLiteral("nothing was drawn") : why);
        return false;
    }
    return writeFileAtomically(path, data, error);
}

} // namespace attnscope
