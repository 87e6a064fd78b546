// Incremental update (PDF 1.7, ISO 32000-1 section 7.5.6) over Qt's classic xref table.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/pdf_image_injector.h"

#include <QRegularExpression>

#include <zlib.h>

#include <cstdio>
#include <map>

namespace attnscope {

namespace {

bool fail(QString* error, const QString& why)
{
    if (error)
        *error = QStringLiteral("PDF image embedding: ") + why;
    return false;
}

/// Level 1: the cell content is very repetitive text, on which zlib's lazy matching at higher levels takes 3×
/// as long for 25 % less size (measured on a 1024-token map: 0.35 s and 2.1 MB vs 1.2 s and 1.6 MB at level 6).
QByteArray deflate(const QByteArray& raw)
{
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    QByteArray out(static_cast<qsizetype>(size), Qt::Uninitialized);
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.constData()),
                  static_cast<uLong>(raw.size()), 1) != Z_OK)
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

/// Appends a number with up to 10 significant digits, no exponent ("0.0009765625", "3").
void appendNumber(QByteArray& out, double v)
{
    QByteArray s = QByteArray::number(v, 'f', 10);
    if (s.contains('.')) {
        while (s.endsWith('0'))
            s.chop(1);
        if (s.endsWith('.'))
            s.chop(1);
    }
    out += s;
}

/// A form XObject drawing the runs in cell units; its /Matrix maps the cols × rows grid (row 0 on top) onto
/// the unit square the placeholder filled.
QByteArray cellForm(int object, const PdfImagePatch& p)
{
    // An indexed palette when the runs use at most 256 colours (always, for colormap LUTs): "12 sc" per colour
    // change instead of three decimals.
    std::map<QRgb, int> palette;
    for (const CellRun& r : p.runs) {
        if (palette.size() > 256)
            break;
        palette.emplace(r.colour & 0xffffffu, 0);
    }
    const bool indexed = palette.size() <= 256;
    QByteArray lookup;
    if (indexed) {
        int k = 0;
        for (auto& [rgb, index] : palette) {
            index = k++;
            char hex[8];
            std::snprintf(hex, sizeof hex, "%02x%02x%02x", qRed(rgb), qGreen(rgb), qBlue(rgb));
            lookup += hex;
        }
    }
    QByteArray content;
    content.reserve(p.runs.size() * 18 + 64);
    if (indexed)
        content += "/P cs\n";
    QRgb current = ~0u;
    char buf[64];
    for (const CellRun& r : p.runs) {
        const QRgb rgb = r.colour & 0xffffffu;
        if (rgb != current) {
            current = rgb;
            const int n = indexed ? std::snprintf(buf, sizeof buf, "%d sc\n", palette[rgb])
                                  : std::snprintf(buf, sizeof buf, "%.4f %.4f %.4f rg\n", qRed(rgb) / 255.0,
                                                  qGreen(rgb) / 255.0, qBlue(rgb) / 255.0);
            content.append(buf, n);
        }
        const int n = std::snprintf(buf, sizeof buf, "%d %d %d %d re f\n", r.col, r.row, r.width, r.height);
        content.append(buf, n);
    }
    const QByteArray data = deflate(content);
    if (data.isEmpty() && !content.isEmpty())
        return {};
    QByteArray out = QByteArray::number(object) + " 0 obj\n<<\n/Type /XObject\n/Subtype /Form\n/BBox [0 0 " +
                     QByteArray::number(p.cols) + " " + QByteArray::number(p.rows) + "]\n/Matrix [";
    appendNumber(out, 1.0 / p.cols);
    out += " 0 0 ";
    appendNumber(out, -1.0 / p.rows);
    out += " 0 1]\n";
    if (indexed)
        out += "/Resources << /ColorSpace << /P [/Indexed /DeviceRGB " + QByteArray::number(static_cast<int>(palette.size()) - 1) +
               " <" + lookup + ">] >> >>\n";
    out += "/Filter /FlateDecode\n/Length " + QByteArray::number(data.size()) + "\n>>\nstream\n";
    out += data;
    out += "\nendstream\nendobj\n";
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
        if (p.image.isNull()) {
            const QByteArray form = cellForm(it->second, p);
            if (form.isEmpty())
                return fail(error, QStringLiteral("compression failed")), QByteArray();
            offsets.push_back({it->second, out.size()});
            out += form;
            continue;
        }
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
