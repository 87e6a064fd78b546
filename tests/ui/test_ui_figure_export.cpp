// Figure export (docs/EXPORT.md): PDFs have the requested page size in points, embedded fonts and no JPEG
// (vector cells, or Flate images above the cell limit); vector cells' colours are the colormap's values at their
// weights (SVG fills and a rendering of the PDF); SVG is well-formed 1.1 with one <rect> per run of equal
// colour, clipped to the axis rectangle; PNGs have the requested pixel size and dpi (pHYs); a rendered figure
// matches its golden image (bundled font); specs survive JSON; an export killed mid-write or hitting a full
// disk leaves the previous file intact and says why.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "figure_test_data.h"
#include "ui/render/figure_export.h"
#include "ui/render/figure_fonts.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/svg_canvas.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>
#include <csignal>

#include <sys/resource.h>

using namespace attnscope;

class TestUiFigureExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void pdfPageSizeFontsAndNoJpeg();
    void pdfAboveTheCellLimitEmbedsLosslessImages();
    void vectorCellColoursAreTheColormapsValues();
    void svgIsWellFormedWithOneRectPerRun();
    void pngHasTheRequestedSizeAndDpi_data();
    void pngHasTheRequestedSizeAndDpi();
    void goldenImage();
    void specJsonRoundTripAndClamps();
    void sharedScaleUsesTheLargestRange();
    void everyPanelKindRenders();
    void killedExportLeavesThePreviousFile();
    void fullDiskKeepsThePreviousFileAndSaysWhy();
    void tmpfsFullDisk();

private:
    QString tool(const QString& name);
    QByteArray run(const QString& program, const QStringList& args, int* exitCode = nullptr);
    QTemporaryDir m_dir;
};

namespace {

FigureSpec headSpec(double width = kOneColumnPt)
{
    FigureStyle st;
    st.widthPt = width;
    st.settings.scale = ScaleKind::Linear;
    PanelSpec p;
    p.layer = 0;
    p.head = 1;
    return FigureSpec::single(p, st);
}

QImage renderPdfPage(const QString& pdf, int dpi, const QString& outStem)
{
    QProcess p;
    p.start(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QString::number(dpi), QStringLiteral("-png"),
                                         QStringLiteral("-singlefile"), pdf, outStem});
    p.waitForFinished(60000);
    return QImage(outStem + QStringLiteral(".png"));
}

/// Expected colour of a cell under a linear scale from 0 to vmax (what colouriseGrid and scaleColour compute).
QRgb linearColour(float v, double vmax, Colormap c = Colormap::Viridis)
{
    const int idx = std::clamp(static_cast<int>(static_cast<double>(v) / vmax * 256.0), 0, 255);
    return colormapLut(c)[static_cast<size_t>(idx)];
}

} // namespace

void TestUiFigureExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // The bundled font is what figures use, whatever the system has.
    QCOMPARE(figureFontFamily(), QStringLiteral("DejaVu Sans"));
}

QString TestUiFigureExport::tool(const QString& name)
{
    const QString p = QStandardPaths::findExecutable(name);
    if (p.isEmpty())
        qWarning("%s is missing: install poppler-utils (scripts/install-deps.sh)", qPrintable(name));
    return p;
}

QByteArray TestUiFigureExport::run(const QString& program, const QStringList& args, int* exitCode)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    p.waitForFinished(120000);
    if (exitCode)
        *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return p.readAll();
}

void TestUiFigureExport::pdfPageSizeFontsAndNoJpeg()
{
    QVERIFY(!tool(QStringLiteral("pdfinfo")).isEmpty());
    auto src = test::syntheticSource(2, 2, 1, 12);
    for (double width : {kOneColumnPt, kMidWidthPt, kTwoColumnPt, 300.0}) {
        FigureRenderer r(headSpec(width), src);
        const QString path = m_dir.filePath(QStringLiteral("size.pdf"));
        QString error;
        QVERIFY2(exportFigure(r, path, 0, &error), qPrintable(error));
        const QString info = QString::fromUtf8(run(QStringLiteral("pdfinfo"), {path}));
        const QString want = QStringLiteral("Page size:       %1 x %2 pts").arg(width).arg(r.pageSize().height());
        QVERIFY2(info.contains(want), qPrintable(info + QStringLiteral("\nwanted: ") + want));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(!bytes.contains("DCTDecode"));
        QVERIFY(bytes.contains(QStringLiteral("/MediaBox [0 0 %1").arg(width, 0, 'f', 6).toLatin1()));
        // Vector cells: no image at all.
        const QString images = QString::fromUtf8(run(QStringLiteral("pdfimages"), {QStringLiteral("-list"), path}));
        QCOMPARE(images.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 2);   // the header lines only
        // Every font embedded, none of Type 3.
        const QStringList fonts = QString::fromUtf8(run(QStringLiteral("pdffonts"), {path})).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(fonts.size() >= 3);
        for (int i = 2; i < fonts.size(); ++i) {
            QVERIFY2(fonts[i].contains(QStringLiteral(" yes ")), qPrintable(fonts[i]));
            QVERIFY2(!fonts[i].contains(QStringLiteral("Type 3")), qPrintable(fonts[i]));
            QVERIFY2(fonts[i].startsWith(QStringLiteral("DejaVuSans")), qPrintable(fonts[i]));
        }
    }
}

void TestUiFigureExport::pdfAboveTheCellLimitEmbedsLosslessImages()
{
    auto src = test::syntheticSource(1, 2, 1, 40);
    FigureSpec spec = headSpec(kTwoColumnPt);
    spec.style.vectorCellLimit = 1000;   // 40² = 1600 cells: one image per panel
    spec.rows = 1;
    spec.cols = 2;
    PanelSpec b = spec.panels[0];
    b.head = 0;
    spec.panels << b;
    FigureRenderer r(spec, src);
    const QString path = m_dir.filePath(QStringLiteral("raster.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, path, 0, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(!f.readAll().contains("DCTDecode"));
    const QStringList lines = QString::fromUtf8(run(QStringLiteral("pdfimages"), {QStringLiteral("-list"), path}))
                                  .split(QLatin1Char('\n'), Qt::SkipEmptyParts).mid(2);
    // Two heatmaps, each an RGB image one pixel per cell with a soft mask for the masked cells, Flate ("image").
    QCOMPARE(lines.size(), 4);
    for (const QString& l : lines) {
        const QStringList c = l.simplified().split(QLatin1Char(' '));
        QCOMPARE(c[3], QStringLiteral("40"));
        QCOMPARE(c[4], QStringLiteral("40"));
        QCOMPARE(c[8], QStringLiteral("image"));   // not "jpeg"
    }
    // The image's cells have their exact colours (sampled from a rendering at cell centres).
    const QImage page = renderPdfPage(path, 288, m_dir.filePath(QStringLiteral("raster")));
    QVERIFY(!page.isNull());
    const FigureRenderer::Panel& p = r.panels()[0];
    const AttentionMapPtr m = src->map(Quantity::AttentionProbs, 0, 1);
    double vmax = 0;
    for (float v : m->probs)
        vmax = std::max(vmax, static_cast<double>(v));
    int checked = 0;
    for (int i = 0; i < 40; i += 3)
        for (int j = 0; j <= i; j += 2) {
            const QPointF c = p.plot.topLeft() + QPointF((j + 0.5) * p.plot.width() / 40, (i + 0.5) * p.plot.height() / 40);
            const QRgb got = page.pixel(static_cast<int>(c.x() * 4), static_cast<int>(c.y() * 4));
            QCOMPARE(QColor(got).name(), QColor(linearColour(m->at(i, j), vmax)).name());
            ++checked;
        }
    QVERIFY(checked > 50);
}

void TestUiFigureExport::vectorCellColoursAreTheColormapsValues()
{
    auto src = test::syntheticSource(1, 2, 1, 9);
    FigureRenderer r(headSpec(), src);
    const AttentionMapPtr m = src->map(Quantity::AttentionProbs, 0, 1);
    double vmax = 0;
    for (float v : m->probs)
        vmax = std::max(vmax, static_cast<double>(v));
    const QRectF plot = r.panels()[0].plot;
    const double cw = plot.width() / 9, ch = plot.height() / 9;

    // SVG: the last <rect> (in paint order) under each cell centre has the colormap's colour at the weight.
    const QByteArray svg = renderFigureSvg(r);
    QXmlStreamReader xml(svg);
    struct R { QRectF rect; QString fill; };
    QVector<R> cells;
    int depth = -1;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.attributes().value(QStringLiteral("id")) == QStringLiteral("panel0-cells"))
            depth = 0;
        else if (xml.isStartElement() && depth >= 0) {
            ++depth;
            const auto a = xml.attributes();
            if (xml.name() == QStringLiteral("rect") && a.hasAttribute(QStringLiteral("fill")))
                cells.push_back({QRectF(a.value(QStringLiteral("x")).toDouble(), a.value(QStringLiteral("y")).toDouble(),
                                        a.value(QStringLiteral("width")).toDouble(), a.value(QStringLiteral("height")).toDouble()),
                                 a.value(QStringLiteral("fill")).toString()});
        } else if (xml.isEndElement() && depth >= 0) {
            if (depth-- == 0)
                break;
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(cells.size() > 2);
    QCOMPARE(cells[0].fill, maskedBackground().name());   // the hatch's backdrop comes first
    for (int i = 0; i < 9; ++i)
        for (int j = 0; j <= i; ++j) {
            const QPointF c = plot.topLeft() + QPointF((j + 0.5) * cw, (i + 0.5) * ch);
            QString fill;
            for (const R& cell : cells)
                if (cell.rect.contains(c))
                    fill = cell.fill;
            QCOMPARE(fill, QColor(linearColour(m->at(i, j), vmax)).name());
        }

    // PDF: the same colours where a viewer draws the cells (rendering sampled at cell centres).
    const QString path = m_dir.filePath(QStringLiteral("cells.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, path, 0, &error), qPrintable(error));
    const QImage page = renderPdfPage(path, 288, m_dir.filePath(QStringLiteral("cells")));
    QVERIFY(!page.isNull());
    for (int i = 0; i < 9; ++i)
        for (int j = 0; j <= i; ++j) {
            const QPointF c = plot.topLeft() + QPointF((j + 0.5) * cw, (i + 0.5) * ch);
            QCOMPARE(QColor(page.pixel(static_cast<int>(c.x() * 4), static_cast<int>(c.y() * 4))).name(),
                     QColor(linearColour(m->at(i, j), vmax)).name());
        }
    // A masked cell shows the masked backdrop or its hatch, never a colormap colour.
    const QPointF masked = plot.topLeft() + QPointF(7.5 * cw, 0.5 * ch);
    const QColor mc(page.pixel(static_cast<int>(masked.x() * 4), static_cast<int>(masked.y() * 4)));
    QVERIFY2(std::abs(mc.red() - maskedBackground().red()) < 40 && std::abs(mc.blue() - maskedBackground().blue()) < 40,
             qPrintable(mc.name()));
}

void TestUiFigureExport::svgIsWellFormedWithOneRectPerRun()
{
    auto src = test::syntheticSource(1, 2, 1, 16);
    FigureRenderer r(headSpec(), src);
    const QByteArray svg = renderFigureSvg(r);
    QXmlStreamReader xml(svg);
    int rects = 0, clipPaths = 0, depth = -1;
    QString clipOfCells;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) {
            if (xml.isEndElement() && depth >= 0 && depth-- == 0)
                depth = -2;
            continue;
        }
        if (xml.name() == QStringLiteral("svg")) {
            QCOMPARE(xml.attributes().value(QStringLiteral("version")).toString(), QStringLiteral("1.1"));
            QCOMPARE(xml.attributes().value(QStringLiteral("width")).toString(), QStringLiteral("234pt"));
            QCOMPARE(xml.attributes().value(QStringLiteral("viewBox")).toString(),
                     QStringLiteral("0 0 234 %1").arg(r.pageSize().height()));
        }
        if (xml.name() == QStringLiteral("clipPath"))
            ++clipPaths;
        if (xml.attributes().value(QStringLiteral("id")) == QStringLiteral("panel0-cells")) {
            depth = 0;
            clipOfCells = xml.attributes().value(QStringLiteral("clip-path")).toString();
            continue;
        }
        if (depth >= 0) {
            ++depth;
            if (xml.name() == QStringLiteral("rect"))
                ++rects;
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(clipPaths >= 1);
    QVERIFY(clipOfCells.startsWith(QStringLiteral("url(#clip")));
    // Expected: the backdrop rect, plus one rect per horizontal run of equal colour over the unmasked cells.
    const AttentionMapPtr m = src->map(Quantity::AttentionProbs, 0, 1);
    double vmax = 0;
    for (float v : m->probs)
        vmax = std::max(vmax, static_cast<double>(v));
    int runs = 0;
    for (int i = 0; i < 16; ++i) {
        QRgb prev = 0;
        for (int j = 0; j <= i; ++j) {
            const QRgb c = linearColour(m->at(i, j), vmax);
            if (j == 0 || c != prev)
                ++runs;
            prev = c;
        }
    }
    QCOMPARE(rects, runs + 1);
    // Above the limit: one embedded PNG instead of rectangles.
    FigureSpec spec = headSpec();
    spec.style.vectorCellLimit = 10;
    const QByteArray svg2 = renderFigureSvg(FigureRenderer(spec, src));
    QVERIFY(svg2.contains("xlink:href=\"data:image/png;base64,"));
    QXmlStreamReader xml2(svg2);
    while (!xml2.atEnd())
        xml2.readNext();
    QVERIFY(!xml2.hasError());
}

void TestUiFigureExport::pngHasTheRequestedSizeAndDpi_data()
{
    QTest::addColumn<int>("dpi");
    QTest::addColumn<double>("width");
    QTest::newRow("150 dpi, one column") << 150 << kOneColumnPt;
    QTest::newRow("300 dpi, 5.5 in") << 300 << kMidWidthPt;
    QTest::newRow("600 dpi, two columns") << 600 << kTwoColumnPt;
}

void TestUiFigureExport::pngHasTheRequestedSizeAndDpi()
{
    QFETCH(int, dpi);
    QFETCH(double, width);
    auto src = test::syntheticSource(1, 2, 1, 20);
    FigureRenderer r(headSpec(width), src);
    const QString path = m_dir.filePath(QStringLiteral("fig%1.png").arg(dpi));
    QString error;
    QVERIFY2(exportFigure(r, path, dpi, &error), qPrintable(error));
    const QImage img(path);
    QCOMPARE(img.width(), static_cast<int>(std::ceil(width * dpi / 72.0 - 1e-6)));
    QCOMPARE(img.height(), static_cast<int>(std::ceil(r.pageSize().height() * dpi / 72.0 - 1e-6)));
    // The pHYs chunk: pixels per metre in x and y, unit 1 (metre).
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray png = f.readAll();
    const qsizetype at = png.indexOf("pHYs");
    QVERIFY(at > 0);
    auto be32 = [&](qsizetype o) {
        return (quint32(quint8(png[o])) << 24) | (quint32(quint8(png[o + 1])) << 16) | (quint32(quint8(png[o + 2])) << 8) | quint8(png[o + 3]);
    };
    const quint32 ppm = static_cast<quint32>(std::lround(dpi / 0.0254));
    QCOMPARE(be32(at + 4), ppm);
    QCOMPARE(be32(at + 8), ppm);
    QCOMPARE(int(png[at + 12]), 1);
}

void TestUiFigureExport::goldenImage()
{
    // A fixed figure (two panels, labels, colourbar) at 150 dpi against the committed golden rendering; the
    // bundled font makes it the same on every machine. ATTNSCOPE_UPDATE_GOLDEN=1 rewrites the golden.
    auto src = test::syntheticSource(2, 2, 1, 10);
    FigureSpec spec = headSpec(kOneColumnPt);
    spec.rows = 1;
    spec.cols = 2;
    PanelSpec b = spec.panels[0];
    b.layer = 1;
    b.head = 0;
    spec.panels << b;
    spec.style.title = QStringLiteral("Golden figure");
    spec.style.settings.scale = ScaleKind::Power;
    const QImage got = renderFigureImage(FigureRenderer(spec, src), 150).convertToFormat(QImage::Format_RGB32);
    const QString golden = QStringLiteral(ATTNSCOPE_TEST_FIXTURES "/figures/golden_two_heads_150dpi.png");
    if (qEnvironmentVariableIntValue("ATTNSCOPE_UPDATE_GOLDEN")) {
        QDir().mkpath(QFileInfo(golden).path());
        QVERIFY(got.save(golden));
    }
    const QImage want = QImage(golden).convertToFormat(QImage::Format_RGB32);
    QVERIFY2(!want.isNull(), qPrintable(golden));
    QCOMPARE(got.size(), want.size());
    double sum = 0;
    for (int y = 0; y < got.height(); ++y)
        for (int x = 0; x < got.width(); ++x) {
            const QRgb a = got.pixel(x, y), b2 = want.pixel(x, y);
            for (int d : {qRed(a) - qRed(b2), qGreen(a) - qGreen(b2), qBlue(a) - qBlue(b2)})
                sum += d * d;
        }
    const double rms = std::sqrt(sum / (3.0 * got.width() * got.height()));
    QVERIFY2(rms <= 2.0, qPrintable(QStringLiteral("RMS %1 over 2.0").arg(rms)));
}

void TestUiFigureExport::specJsonRoundTripAndClamps()
{
    FigureSpec f;
    f.rows = 2;
    f.cols = 3;
    for (int i = 0; i < 6; ++i) {
        PanelSpec p;
        p.kind = i % 2 ? QStringLiteral("overview") : QStringLiteral("head");
        p.layer = i;
        p.head = 5 - i;
        p.queryFirst = 3;
        p.queryLast = 40;
        p.extra[QStringLiteral("thumb")] = 16;
        f.panels << p;
    }
    f.style.widthPt = kTwoColumnPt;
    f.style.sharing = ScaleSharing::Row;
    f.style.settings.colormap = Colormap::Magma;
    f.style.title = QStringLiteral("ünïcode ✓");
    FigureSpec back;
    QVERIFY(figureSpecFromJson(toJson(f), back));
    QCOMPARE(back, f);
    // Hostile numbers are clamped, not trusted.
    QJsonObject o = toJson(f);
    o[QStringLiteral("rows")] = 1e9;
    QJsonObject st = o.value(QStringLiteral("style")).toObject();
    st[QStringLiteral("width_pt")] = 1e12;
    st[QStringLiteral("dpi")] = -5;
    o[QStringLiteral("style")] = st;
    QVERIFY(figureSpecFromJson(o, back));
    QCOMPARE(back.rows, kMaxGridSide);
    QCOMPARE(back.style.widthPt, kMaxWidthPt);
    QCOMPARE(back.style.dpi, kMinDpi);
    QString error;
    QVERIFY(!figureSpecFromJson(QJsonObject(), back, &error));
    QVERIFY(error.contains(QStringLiteral("panels")));
}

void TestUiFigureExport::sharedScaleUsesTheLargestRange()
{
    auto src = test::syntheticSource(2, 2, 1, 12);
    FigureSpec spec = headSpec(kTwoColumnPt);
    spec.rows = 1;
    spec.cols = 2;
    PanelSpec b = spec.panels[0];
    b.layer = 1;
    spec.panels << b;
    FigureRenderer shared(spec, src);
    QCOMPARE(shared.colourbars().size(), size_t(1));
    const double m0 = maxMagnitude({src->map(Quantity::AttentionProbs, 0, 1), nullptr});
    const double m1 = maxMagnitude({src->map(Quantity::AttentionProbs, 1, 1), nullptr});
    QCOMPARE(shared.colourbars()[0].range.high, std::max(m0, m1));
    spec.style.sharing = ScaleSharing::Panel;
    FigureRenderer own(spec, src);
    QCOMPARE(own.colourbars().size(), size_t(2));
    QVERIFY(own.colourbars()[0].area.left() < own.panels()[1].plot.left());   // each bar beside its panel
}

void TestUiFigureExport::everyPanelKindRenders()
{
    auto src = test::syntheticSource(3, 4, 2, 14);
    FigureSpec spec;
    spec.rows = 2;
    spec.cols = 3;
    spec.style.widthPt = kTwoColumnPt;
    for (const QString& kind : {QStringLiteral("head"), QStringLiteral("overview"), QStringLiteral("token"),
                                QStringLiteral("key"), QStringLiteral("scores"), QStringLiteral("ranking")}) {
        QVERIFY2(panelKind(kind), qPrintable(kind));
        PanelSpec p;
        p.kind = kind;
        p.layer = 1;
        p.head = 2;
        p.query = 9;
        p.key = 2;
        p.metric = QStringLiteral("prev_token");
        spec.panels << p;
    }
    FigureRenderer r(spec, src);
    QVERIFY2(r.problems().isEmpty(), qPrintable(r.problems().join(QLatin1Char('\n'))));
    QCOMPARE(r.panels()[5].letter, QStringLiteral("(f)"));
    QString error;
    for (const char* ext : {"pdf", "svg", "png"})
        QVERIFY2(exportFigure(r, m_dir.filePath(QStringLiteral("kinds.%1").arg(QLatin1String(ext))), 150, &error), qPrintable(error));
    // A panel that cannot be drawn says why instead of failing the figure.
    spec.panels[0].layer = 99;
    spec.panels[1].kind = QStringLiteral("no-such-kind");
    FigureRenderer bad(spec, src);
    QCOMPARE(bad.problems().size(), 2);
    QVERIFY(bad.problems()[0].contains(QStringLiteral("3 layers")));
    QVERIFY(exportFigure(bad, m_dir.filePath(QStringLiteral("bad.pdf")), 0, &error));
}

void TestUiFigureExport::killedExportLeavesThePreviousFile()
{
    const QString helper = QCoreApplication::applicationDirPath() + QStringLiteral("/figure_export_helper");
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("run.npz"));
    for (int delayMs : {0, 40, 150, 400}) {
        {
            QFile f(target);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write("OLD CONTENT");
        }
        QProcess p;
        p.start(helper, {QStringLiteral("data"), target, QStringLiteral("600")});
        QVERIFY(p.waitForStarted());
        QVERIFY(p.waitForReadyRead(30000));   // "writing": the sink is open, bytes are going out
        QTest::qWait(delayMs);
        QVERIFY2(p.state() == QProcess::Running, "the helper finished before it could be killed: make it write more");
        p.kill();
        p.waitForFinished();
        QFile f(target);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("OLD CONTENT"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList{QStringLiteral("run.npz")});
    }
    // Left to finish, it replaces the file with a complete archive.
    int code = -1;
    run(helper, {QStringLiteral("data"), target, QStringLiteral("8")}, &code);
    QCOMPARE(code, 0);
    QFile f(target);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray zip = f.readAll();
    QVERIFY(zip.startsWith("PK\x03\x04"));
    QVERIFY(zip.mid(zip.size() - 22, 4) == QByteArray("PK\x05\x06"));
}

void TestUiFigureExport::fullDiskKeepsThePreviousFileAndSaysWhy()
{
    // The process may not write more than half the PDF's size per file: write() fails mid-export like on a full
    // disk.
    const QString target = m_dir.filePath(QStringLiteral("full.pdf"));
    {
        QFile f(target);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("OLD PDF");
    }
    auto src = test::syntheticSource(1, 2, 1, 200);
    FigureRenderer r(headSpec(), src);
    QString why;
    const qsizetype size = renderFigurePdf(r, &why).size();
    QVERIFY2(size > 8192, qPrintable(why));
    rlimit old{};
    QCOMPARE(getrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = static_cast<rlim_t>(size / 2);
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
    QString error;
    const bool ok = exportFigure(r, target, 0, &error);
    setrlimit(RLIMIT_FSIZE, &old);
    QVERIFY(!ok);
    QVERIFY2(error.contains(QStringLiteral("cannot write")) && error.contains(QStringLiteral("previous file is unchanged")), qPrintable(error));
    QFile f(target);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("OLD PDF"));
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("full*")}, QDir::Files | QDir::Hidden), QStringList{QStringLiteral("full.pdf")});
}

void TestUiFigureExport::tmpfsFullDisk()
{
    // A real full file system: a 96 KiB tmpfs in a private mount namespace (unshare -rm works unprivileged
    // where user namespaces are enabled). The export fails with ENOSPC's message and the old file survives.
    const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
    if (unshare.isEmpty() || run(unshare, {QStringLiteral("-rm"), QStringLiteral("true")}).size() > 0)
        QSKIP("no unprivileged mount namespaces here; fullDiskKeepsThePreviousFileAndSaysWhy covers the failing write");
    const QString helper = QCoreApplication::applicationDirPath() + QStringLiteral("/figure_export_helper");
    QTemporaryDir mnt;
    const QString script = QStringLiteral(
        "mount -t tmpfs -o size=96k tmpfs '%1' || exit 3; printf OLD > '%1/fig.pdf'; "
        "'%2' figure '%1/fig.pdf' 300; echo \"exit=$?\"; echo \"content=$(cat '%1/fig.pdf')\"; ls -A '%1'")
                               .arg(mnt.path(), helper);
    int code = -1;
    const QString out = QString::fromUtf8(run(unshare, {QStringLiteral("-rm"), QStringLiteral("sh"), QStringLiteral("-c"), script}, &code));
    if (code == 3)
        QSKIP("tmpfs cannot be mounted here");
    QVERIFY2(out.contains(QStringLiteral("No space left on device")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("exit=1")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("content=OLD")), qPrintable(out));
    QVERIFY2(out.trimmed().endsWith(QStringLiteral("fig.pdf")), qPrintable(out));   // nothing else in the folder
}

QTEST_MAIN(TestUiFigureExport)
#include "test_ui_figure_export.moc"
