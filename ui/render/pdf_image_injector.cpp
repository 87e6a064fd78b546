// Incremental update (PDF 1.7 §7.5.6) over Qt's classic xref table.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/pdf_image_injector.h"

#include <QRegularExpression>

#include <zlib.h>

#include <map>

namespace attnscope {

namespace {

bool fail(QString* error, const QString& why)
{
    if (error)
        *error = QStringLiteral("PDF image embedding: ") + why;
    return false;
}

QByteArray deflate(const QByteArray& raw)
{
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    QByteArray out(static_cast<qsizetype>(size), Qt::Uninitialized);
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.constData()),
                  static_cast<uLong>(raw.size()), 6) != Z_OK)
        return {};
    out.truncate(static_cast<qsizetype>(size));
    return out;
}

/// Object number of every 1-bit, 1-pixel-wide image XObject, by its height.
std::map<int, int> placeholderObjects(const QByteArray& pdf)
{
    std::map<int, int> out;
    static const QRegularExpression re(QStringLiteral(
        "(\\d+) 0 obj\\s*<<\\s*/Type /XObject\\s*/Subtype /Image\\s*/Width 1\\s*/Height (\\d+)\\s*/BitsPerComponent 1\\b"));
    const QString text = QString::fromLatin1(pdf);
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        out[m.captured(2).toInt()] = m.captured(1).toInt();
    }
    return out;
}

} // namespace

QImage pdfPlaceholderImage(int index)
{
    QImage img(1, index + 1, QImage::Format_Mono);
    img.fill(1);
    return img;
}

QByteArray injectPdfImages(const QByteArray& pdf, const std::vector<PdfImagePatch>& patches, QString* error)
{
    if (patches.empty())
        return pdf;
    // The last trailer and startxref (Qt writes one xref table and one trailer).
    const qsizetype trailerAt = pdf.lastIndexOf("trailer");
    const qsizetype startxrefAt = pdf.lastIndexOf("startxref");
    if (trailerAt < 0 || startxrefAt < trailerAt)
        return fail(error, QStringLiteral("no trailer")), QByteArray();
    const QString trailer = QString::fromLatin1(pdf.mid(trailerAt, startxrefAt - trailerAt));
    static const QRegularExpression sizeRe(QStringLiteral("/Size (\\d+)"));
    static const QRegularExpression rootRe(QStringLiteral("/Root (\\d+ \\d+ R)"));
    static const QRegularExpression infoRe(QStringLiteral("/Info (\\d+ \\d+ R)"));
    const auto sizeM = sizeRe.match(trailer), rootM = rootRe.match(trailer), infoM = infoRe.match(trailer);
    if (!sizeM.hasMatch() || !rootM.hasMatch())
        return fail(error, QStringLiteral("trailer without /Size or /Root")), QByteArray();
    bool ok = false;
    const qint64 prev = QString::fromLatin1(pdf.mid(startxrefAt + 9).trimmed().split('\n').value(0)).trimmed().toLongLong(&ok);
    if (!ok)
        return fail(error, QStringLiteral("unreadable startxref")), QByteArray();
    int nextObject = sizeM.captured(1).toInt();
    const std::map<int, int> placeholders = placeholderObjects(pdf);

    QByteArray out = pdf;
    if (!out.endsWith('\n'))
        out += '\n';
    std::vector<std::pair<int, qint64>> offsets;   // object number → byte offset
    for (const PdfImagePatch& p : patches) {
        auto it = placeholders.find(p.placeholderHeight);
        if (it == placeholders.end())
            return fail(error, QStringLiteral("placeholder %1 not found").arg(p.placeholderHeight)), QByteArray();
        const QImage img = p.image.convertToFormat(QImage::Format_ARGB32);
        const int w = img.width(), h = img.height();
        QByteArray rgb(static_cast<qsizetype>(w) * h * 3, Qt::Uninitialized), alpha(static_cast<qsizetype>(w) * h, Qt::Uninitialized);
        bool anyTransparent = false;
        for (int y = 0; y < h; ++y) {
            const auto* line = reinterpret_cast<const QRgb*>(img.constScanLine(y));
            char* dst = rgb.data() + static_cast<qsizetype>(y) * w * 3;
            char* a = alpha.data() + static_cast<qsizetype>(y) * w;
            for (int x = 0; x < w; ++x) {
                dst[3 * x] = static_cast<char>(qRed(line[x]));
                dst[3 * x + 1] = static_cast<char>(qGreen(line[x]));
                dst[3 * x + 2] = static_cast<char>(qBlue(line[x]));
                a[x] = static_cast<char>(qAlpha(line[x]));
                anyTransparent |= qAlpha(line[x]) != 255;
            }
        }
        const QByteArray data = deflate(rgb);
        if (data.isEmpty() && !rgb.isEmpty())
            return fail(error, QStringLiteral("compression failed")), QByteArray();
        int smask = -1;
        if (anyTransparent) {
            smask = nextObject++;
            const QByteArray mask = deflate(alpha);
            offsets.push_back({smask, out.size()});
            out += QStringLiteral("%1 0 obj\n<<\n/Type /XObject\n/Subtype /Image\n/Width %2\n/Height %3\n/BitsPerComponent 8\n"
                                  "/ColorSpace /DeviceGray\n/Interpolate false\n/Filter /FlateDecode\n/Length %4\n>>\nstream\n")
                       .arg(smask).arg(w).arg(h).arg(mask.size()).toLatin1();
            out += mask;
            out += "\nendstream\nendobj\n";
        }
        offsets.push_back({it->second, out.size()});
        out += QStringLiteral("%1 0 obj\n<<\n/Type /XObject\n/Subtype /Image\n/Width %2\n/Height %3\n/BitsPerComponent 8\n"
                              "/ColorSpace /DeviceRGB\n/Interpolate false\n%4/Filter /FlateDecode\n/Length %5\n>>\nstream\n")
                   .arg(it->second).arg(w).arg(h)
                   .arg(smask >= 0 ? QStringLiteral("/SMask %1 0 R\n").arg(smask) : QString())
                   .arg(data.size()).toLatin1();
        out += data;
        out += "\nendstream\nendobj\n";
    }
    const qint64 xrefAt = out.size();
    out += "xref\n";
    for (const auto& [obj, off] : offsets)
        out += QStringLiteral("%1 1\n%2 00000 n \n").arg(obj).arg(off, 10, 10, QLatin1Char('0')).toLatin1();
    out += QStringLiteral("trailer\n<<\n/Size %1\n/Root %2\n%3/Prev %4\n>>\nstartxref\n%5\n%EOF\n")
               .arg(nextObject).arg(rootM.captured(1))
               .arg(infoM.hasMatch() ? QStringLiteral("/Info %1\n").arg(infoM.captured(1)) : QString())
               .arg(prev).arg(xrefAt).toLatin1();
    return out;
}

} // namespace attnscope
