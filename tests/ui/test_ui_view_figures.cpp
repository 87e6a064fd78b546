// Figures of the differential, sink, gates and compare views (docs/FIGURES.md) on the tiny fixtures, offscreen: each view's
// Export Figure draws its panels (A1, λ·A2, A1 − λ·A2; the sink heatmap, curves and max |hidden|; the compare panes,
// the difference pane and the KL curve; a layer's gates per head and token) as a PDF with the requested page size, no JPEG and no image at all (vector
// cells), whose cells have the colormap's colours at the captured weights (read back from a pdftoppm rendering);
// Save data of the differential figure holds the head's three maps and λ; the sink figure's cells and curve points are the layer reports' numbers (SVG), pinned runs travel in the spec; and
// `attnscope-cli figure` on the saved session reproduces the GUI's PNG and PDF byte for byte, rerunning the model
// (and the comparison with the session's variants) headless.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "window_run.h"
#include "core/backend/backend_set.h"
#include "kernels/backends/register_backends.h"
#include "ui/compare/compare_workspace.h"
#include "ui/compare/variant_editor.h"
#include "ui/main_window.h"
#include "ui/panels/differential_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/render/color_gradient.h"
#include "ui/render/figure_data.h"
#include "ui/render/figure_export.h"
#include "ui/render/svg_canvas.h"
#include "ui/session_bridge.h"
#include "ui/widgets/layer_head_heatmap.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>

using namespace attnscope;

namespace {

const QString kText = QStringLiteral("The first token is an attention sink, and a sliding window of four keys hides it.");

QString fixture(const char* name)
{
    return QStringLiteral(ATTNSCOPE_TEST_FIXTURES "/tiny/") + QString::fromLatin1(name);
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray runTool(const QString& program, const QStringList& args, int* code = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    p.waitForFinished(180000);
    if (code)
        *code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return p.readAll();
}

/// The viridis colour of v on a linear scale from 0 to vmax (colouriseGrid's index: ⌊v / vmax · 256⌋).
QString sequential(double v, double vmax)
{
    const int idx = std::clamp(static_cast<int>(v / vmax * 256.0), 0, 255);
    return QColor(colormapLut(Colormap::Viridis)[static_cast<size_t>(idx)]).name();
}

/// The diverging colour of a signed v on the symmetric scale ±m.
QString diverging(double v, double m)
{
    const int idx = std::clamp(static_cast<int>((0.5 + 0.5 * v / m) * 256.0), 0, 255);
    return QColor(colormapLut(Colormap::Diverging)[static_cast<size_t>(idx)]).name();
}

/// The colour a viewer draws at the centre of cell (i, j) of a T × T panel (page rendered at 4 px per point).
QString cellColour(const QImage& page, const QRectF& plot, int t, int i, int j)
{
    const QPointF c = plot.topLeft() + QPointF((j + 0.5) * plot.width() / t, (i + 0.5) * plot.height() / t);
    return QColor(page.pixel(static_cast<int>(c.x() * 4), static_cast<int>(c.y() * 4))).name();
}

/// The elements of an SVG group (by id): <rect> fills with their rectangles, and <path> point lists.
struct SvgGroup {
    QVector<std::pair<QRectF, QString>> rects;
    QVector<QVector<QPointF>> paths;
};

SvgGroup svgGroup(const QByteArray& svg, const QString& id)
{
    SvgGroup g;
    QXmlStreamReader xml(svg);
    int depth = -1;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.attributes().value(QStringLiteral("id")) == id) {
            depth = 0;
        } else if (depth >= 0 && xml.isStartElement()) {
            ++depth;
            const auto a = xml.attributes();
            if (xml.name() == QStringLiteral("rect") && a.hasAttribute(QStringLiteral("fill")))
                g.rects.push_back({QRectF(a.value(QStringLiteral("x")).toDouble(), a.value(QStringLiteral("y")).toDouble(),
                                          a.value(QStringLiteral("width")).toDouble(), a.value(QStringLiteral("height")).toDouble()),
                                   a.value(QStringLiteral("fill")).toString()});
            if (xml.name() == QStringLiteral("path")) {
                QVector<QPointF> pts;
                static const QRegularExpression num(QStringLiteral("[ML]\\s*(-?[0-9.]+)\\s+(-?[0-9.]+)"));
                auto it = num.globalMatch(a.value(QStringLiteral("d")).toString());
                while (it.hasNext()) {
                    const auto m = it.next();
                    pts.push_back(QPointF(m.captured(1).toDouble(), m.captured(2).toDouble()));
                }
                g.paths.push_back(pts);
            }
        } else if (depth >= 0 && xml.isEndElement() && depth-- == 0) {
            break;
        }
    }
    return g;
}

/// The fill of the last rectangle (in paint order) under a point.
QString fillAt(const SvgGroup& g, const QPointF& p)
{
    QString fill;
    for (const auto& [r, f] : g.rects)
        if (r.contains(p))
            fill = f;
    return fill;
}

} // namespace

class TestUiViewFigures : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void differentialFigureHasTheThreeMapsInTheirColours();
    void sinkFigureIsTheLayerReportsAndThePinnedRuns();
    void compareFigureIsThePanesTheDifferenceAndTheCurve();
    void gatesFigureIsTheLayersGateGrid();

private:
    bool openAndRun(const QString& model);
    bool settle();
    /// Exports `spec` through the window's export path; empty on success, else why.
    QString exportFromGui(const FigureSpec& spec, const QString& path);
    /// PDF checks every figure must pass: page size in points, no DCTDecode, and (vector cells) no image.
    void checkVectorPdf(const QString& path, const QSizeF& pageSize);
    /// Saves the session and has attnscope-cli draw its figure as PNG and PDF: the bytes of the GUI's export.
    void cliReproduces(const QString& stem);
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_tmp;
};

void TestUiViewFigures::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    qputenv("SOURCE_DATE_EPOCH", "1700000000");   // PDFs carry this date, so GUI and CLI files can be compared
    QVERIFY(m_tmp.isValid());
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("pdftoppm")).isEmpty(), "install poppler-utils");
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2)),
                                            /*persistent=*/false);
    m_window->setErrorDialogsEnabled(false);
    m_window->resize(1600, 1000);
    m_window->show();
    // Two columns wide: every view's panels in one row of up to three.
    FigureStyle st = m_window->figureStyle();
    st.widthPt = kTwoColumnPt;
    m_window->setFigureStyle(st);
}

void TestUiViewFigures::cleanupTestCase()
{
    m_window.reset();
}

bool TestUiViewFigures::settle()
{
    return test::waitSettled(*m_window);
}

bool TestUiViewFigures::openAndRun(const QString& model)
{
    return test::openAndRun(*m_window, model, kText);
}

QString TestUiViewFigures::exportFromGui(const FigureSpec& spec, const QString& path)
{
    QSignalSpy exported(m_window.get(), &MainWindow::figureExported);
    QSignalSpy failed(m_window.get(), &MainWindow::errorReported);
    m_window->exportFigureTo(spec, path);
    QElapsedTimer t;
    t.start();
    while (exported.isEmpty() && failed.isEmpty() && t.elapsed() < 30000)
        QTest::qWait(20);
    if (!failed.isEmpty())
        return failed.first().value(0).toString();
    return exported.isEmpty() ? QStringLiteral("no export after 30 s") : QString();
}

void TestUiViewFigures::checkVectorPdf(const QString& path, const QSizeF& pageSize)
{
    const QByteArray bytes = readAll(path);
    QVERIFY(bytes.startsWith("%PDF"));
    QVERIFY(!bytes.contains("DCTDecode"));
    const QString info = QString::fromUtf8(runTool(QStringLiteral("pdfinfo"), {path}));
    const QString want = QStringLiteral("Page size:       %1 x %2 pts").arg(pageSize.width()).arg(pageSize.height());
    QVERIFY2(info.contains(want), qPrintable(info + QStringLiteral("\nwanted: ") + want));
    const QStringList images = QString::fromUtf8(runTool(QStringLiteral("pdfimages"), {QStringLiteral("-list"), path}))
                                   .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(images.size(), 2);   // the header lines only: every cell is a vector rectangle
}

void TestUiViewFigures::cliReproduces(const QString& stem)
{
    MainWindow& w = *m_window;
    const QString session = m_tmp.filePath(stem + QStringLiteral(".attnscope"));
    QSignalSpy saved(&w, &MainWindow::sessionSaved);
    w.saveSession(session);
    QVERIFY(saved.wait(30000));
    for (const QString& ext : {QStringLiteral("png"), QStringLiteral("pdf")}) {
        const QString gui = m_tmp.filePath(stem + QStringLiteral("-gui.") + ext);
        const QString err = exportFromGui(w.currentFigureSpec(), gui);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QString out = m_tmp.filePath(stem + QStringLiteral("-cli.") + ext);
        int code = -1;
        const QByteArray log = runTool(QStringLiteral(ATTNSCOPE_CLI_PATH),
                                       {QStringLiteral("figure"), session, QStringLiteral("--out"), out, QStringLiteral("--backend"),
                                        QStringLiteral("cpu"), QStringLiteral("--threads"), QStringLiteral("2")},
                                       &code);
        QVERIFY2(code == 0, log.constData());
        QVERIFY2(readAll(gui) == readAll(out), qPrintable(QStringLiteral("%1 %2: GUI and CLI files differ").arg(stem, ext)));
    }
}

void TestUiViewFigures::differentialFigureHasTheThreeMapsInTheirColours()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-diffllama")));
    w.setView(ViewKind::Differential);
    w.context()->select(2, 1);
    DifferentialPanel* view = w.differentialPanel();
    QTRY_VERIFY(view->shownLayer() == 2 && view->shownHead() == 1 && !view->isBusy());
    QVERIFY(settle());

    FigureSpec spec = w.currentFigureSpec();
    QCOMPARE(spec.panels.size(), 3);
    QCOMPARE(spec.cols, 3);
    const QStringList quantities = {QStringLiteral("attention.probs"), QStringLiteral("attention.probs2"),
                                    QStringLiteral("attention.combined")};
    for (int k = 0; k < 3; ++k) {
        QCOMPARE(spec.panels[k].kind, QStringLiteral("differential"));
        QCOMPARE(spec.panels[k].quantity, quantities[k]);
        QCOMPARE(spec.panels[k].layer, 2);
        QCOMPARE(spec.panels[k].head, 1);
    }
    cliReproduces(QStringLiteral("differential"));
    // Save data: the head's three maps and its λ, nothing else.
    const RunData data = figureRunData(spec, *w.figureSource(), RunDataInfo{});
    QCOMPARE(data.captures.maps().size(), size_t(3));
    for (Quantity q : {Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined})
        QCOMPARE(data.captures.map(q, 2, 1), w.context()->map(q, 2, 1));
    QCOMPARE(data.captures.series(Quantity::Lambda, 2, 1), w.context()->series(Quantity::Lambda, 2, 1));
    QCOMPARE(data.captures.allSeries().size(), size_t(1));

    // Colours on a linear scale: A1 and λ·A2 on one range (the larger maximum), A1 − λ·A2 zero-centred.
    spec.style.settings.scale = ScaleKind::Linear;
    const FigureRenderer r(spec, w.figureSource());
    QVERIFY2(r.problems().isEmpty(), qPrintable(r.problems().join(QLatin1Char('\n'))));
    const QString pdf = m_tmp.filePath(QStringLiteral("differential-linear.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, pdf, 0, &error), qPrintable(error));
    checkVectorPdf(pdf, r.pageSize());
    runTool(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QStringLiteral("288"), QStringLiteral("-png"), QStringLiteral("-singlefile"), pdf,
                                         m_tmp.filePath(QStringLiteral("differential-linear"))});
    const QImage page(m_tmp.filePath(QStringLiteral("differential-linear.png")));
    QVERIFY(!page.isNull());

    const AttentionMapPtr a1 = w.context()->map(2, 1);
    const AttentionMapPtr a2 = w.context()->map(Quantity::AttentionProbs2, 2, 1);
    const AttentionMapPtr d = w.context()->map(Quantity::AttentionCombined, 2, 1);
    const CapturedSeriesPtr lam = w.context()->series(Quantity::Lambda, 2, 1);
    QVERIFY(a1 && a2 && d && lam);
    const int t = static_cast<int>(a1->tokens);
    auto lambdaA2 = [&](int i, int j) { return lam->values[lam->values.size() == 1 ? 0 : size_t(i)] * a2->at(i, j); };
    double shared = 0, maxD = 0;
    for (int i = 0; i < t; ++i)
        for (int j = 0; j <= i; ++j) {
            shared = std::max({shared, double(a1->at(i, j)), double(lambdaA2(i, j))});
            maxD = std::max(maxD, std::fabs(double(d->at(i, j))));
        }
    QVERIFY(shared > 0 && maxD > 0);
    int checked = 0;
    for (int i = 0; i < t; i += 3)
        for (int j = 0; j <= i; j += 2) {
            QCOMPARE(cellColour(page, r.panels()[0].plot, t, i, j), sequential(a1->at(i, j), shared));
            QCOMPARE(cellColour(page, r.panels()[1].plot, t, i, j), sequential(lambdaA2(i, j), shared));
            QCOMPARE(cellColour(page, r.panels()[2].plot, t, i, j), diverging(d->at(i, j), maxD));
            ++checked;
        }
    QVERIFY(checked > 100);
    // Two colourbars: the shared weights and the signed difference.
    QCOMPARE(r.colourbars().size(), size_t(2));
}

void TestUiViewFigures::sinkFigureIsTheLayerReportsAndThePinnedRuns()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-gpt-oss")));
    w.setView(ViewKind::Sink);
    SinkPanel* view = w.sinkPanel();
    view->clearPinned();
    QTRY_VERIFY(view->heatmap()->layers() == 3 && !view->isBusy());
    QVERIFY(settle());
    view->pinCurrent();   // the same run pinned: its curve travels in the spec as numbers

    const FigureSpec spec = w.currentFigureSpec();
    QCOMPARE(spec.panels.size(), 3);
    QCOMPARE(spec.panels[0].kind, QStringLiteral("sinks"));
    QCOMPARE(spec.panels[1].kind, QStringLiteral("sink_curves"));
    QCOMPARE(spec.panels[2].kind, QStringLiteral("hidden_max"));
    QCOMPARE(spec.panels[1].extra.value(QStringLiteral("metric")).toString(), QStringLiteral("sink_mass"));
    QCOMPARE(spec.panels[1].extra.value(QStringLiteral("pinned")).toArray().size(), 1);
    QCOMPARE(spec.style.sharing, ScaleSharing::Panel);   // the heatmap's colourbar beside it
    const FigureRenderer r(spec, w.figureSource());
    QVERIFY2(r.problems().isEmpty(), qPrintable(r.problems().join(QLatin1Char('\n'))));
    const QString pdf = m_tmp.filePath(QStringLiteral("sinks.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, pdf, 0, &error), qPrintable(error));
    checkVectorPdf(pdf, r.pageSize());

    // The heatmap's cells: each head's learned-sink mass on [0, max] (layers top to bottom, heads left to right).
    const QByteArray svg = renderFigureSvg(r);
    const SvgGroup cells = svgGroup(svg, QStringLiteral("panel-a-cells"));
    double vmax = 0;
    for (int l = 0; l < 3; ++l)
        for (double v : w.context()->layerReport(l)->sinkMassPerHead)
            vmax = std::max(vmax, v);
    const QRectF plot = r.panels()[0].plot;
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 4; ++h) {
            const double v = w.context()->layerReport(l)->sinkMassPerHead[size_t(h)];
            const QPointF c = plot.topLeft() + QPointF((h + 0.5) * plot.width() / 4, (l + 0.5) * plot.height() / 3);
            QCOMPARE(fillAt(cells, c), sequential(v, vmax));
        }
    // The curves: the pinned run and the run on screen, one point per layer at the report's sink mass (0 … 1).
    const SvgGroup lines = svgGroup(svg, QStringLiteral("panel-b-lines"));
    QCOMPARE(lines.paths.size(), 2);
    const QRectF cp = r.panels()[1].plot;
    for (const QVector<QPointF>& path : lines.paths) {
        QCOMPARE(path.size(), 3);
        for (int l = 0; l < 3; ++l) {
            const double want = cp.bottom() - *w.context()->layerReport(l)->sinkMass * cp.height();
            QVERIFY2(std::fabs(path[l].y() - want) < 0.01, qPrintable(QStringLiteral("layer %1: %2 vs %3").arg(l).arg(path[l].y()).arg(want)));
            QVERIFY(std::fabs(path[l].x() - (cp.left() + (l + 0.5) * cp.width() / 3)) < 0.01);
        }
    }
    // max |hidden| on its log axis: the larger value sits higher.
    const SvgGroup hidden = svgGroup(svg, QStringLiteral("panel-c-lines"));
    QVERIFY(!hidden.paths.isEmpty());
    const QVector<QPointF>& hp = hidden.paths.last();
    QCOMPARE(hp.size(), 3);
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
            if (w.context()->layerReport(a)->maxAbsHidden > w.context()->layerReport(b)->maxAbsHidden * 1.001)
                QVERIFY(hp[a].y() < hp[b].y());
    cliReproduces(QStringLiteral("sinks"));
    view->clearPinned();
}

void TestUiViewFigures::compareFigureIsThePanesTheDifferenceAndTheCurve()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-llama")));
    w.setView(ViewKind::Compare);
    CompareWorkspace* ws = w.compareWorkspace();
    ws->editor()->setVariantTexts({QStringLiteral("sliding:window=4"), QStringLiteral("sliding:window=4,sinks=2")});
    QSignalSpy ended(ws, &CompareWorkspace::compareEnded);
    QVERIFY(ws->startCompare());
    QVERIFY(ended.wait(60000));
    QVERIFY(ended.first().first().toBool());
    w.context()->select(1, 1);
    QVERIFY(settle());
    const CompareOutcomePtr o = ws->outcome();
    QVERIFY(o && o->result);

    FigureSpec spec = w.currentFigureSpec();
    QCOMPARE(spec.panels.size(), 5);
    QCOMPARE(spec.rows, 2);
    QCOMPARE(spec.panels[0].kind, QStringLiteral("compare"));
    QVERIFY(spec.panels[0].variant.isEmpty());
    QCOMPARE(spec.panels[1].variant, QStringLiteral("sliding:window=4"));
    QCOMPARE(spec.panels[3].kind, QStringLiteral("compare_diff"));
    QCOMPARE(spec.panels[3].variant, QStringLiteral("sliding:window=4"));   // the pane's default: v1 − baseline
    QVERIFY(spec.panels[3].extra.value(QStringLiteral("minus")).toString().isEmpty());
    QCOMPARE(spec.panels[4].kind, QStringLiteral("kl_curve"));
    cliReproduces(QStringLiteral("compare"));

    spec.style.settings.scale = ScaleKind::Linear;
    const FigureRenderer r(spec, w.figureSource());
    QVERIFY2(r.problems().isEmpty(), qPrintable(r.problems().join(QLatin1Char('\n'))));
    const QString pdf = m_tmp.filePath(QStringLiteral("compare-linear.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, pdf, 0, &error), qPrintable(error));
    checkVectorPdf(pdf, r.pageSize());
    runTool(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QStringLiteral("288"), QStringLiteral("-png"), QStringLiteral("-singlefile"), pdf,
                                         m_tmp.filePath(QStringLiteral("compare-linear"))});
    const QImage page(m_tmp.filePath(QStringLiteral("compare-linear.png")));
    QVERIFY(!page.isNull());

    const AttentionMapPtr base = o->result->baselineCaptures.map(1, 1);
    const AttentionMapPtr v1 = o->result->variants[0].captures.map(1, 1);
    const AttentionMapPtr v2 = o->result->variants[1].captures.map(1, 1);
    QVERIFY(base && v1 && v2);
    const int t = static_cast<int>(base->tokens);
    // The panes share one range (the largest weight of any pane); the difference is symmetric at its max |Δ|.
    double shared = 0, maxD = 0;
    for (int i = 0; i < t; ++i)
        for (int j = 0; j <= i; ++j) {
            shared = std::max({shared, double(base->at(i, j)), double(v1->at(i, j)), double(v2->at(i, j))});
            maxD = std::max(maxD, std::fabs(double(v1->at(i, j) - base->at(i, j))));
        }
    int checked = 0;
    for (int i = 0; i < t; i += 2)
        for (int j = 0; j <= i; ++j) {
            QCOMPARE(cellColour(page, r.panels()[0].plot, t, i, j), sequential(base->at(i, j), shared));
            if (i - j < 4)   // inside the window: the variant's weight (outside it is hatched)
                QCOMPARE(cellColour(page, r.panels()[1].plot, t, i, j), sequential(v1->at(i, j), shared));
            QCOMPARE(cellColour(page, r.panels()[3].plot, t, i, j), diverging(v1->at(i, j) - base->at(i, j), maxD));
            ++checked;
        }
    QVERIFY(checked > 100);

    // The KL curve: one line per variant through every position, the largest KL highest.
    const SvgGroup lines = svgGroup(renderFigureSvg(r), QStringLiteral("panel-e-lines"));
    QCOMPARE(lines.paths.size(), 2);
    const std::vector<double>& kl = o->result->variants[0].klPerPosition;
    QCOMPARE(lines.paths[0].size(), static_cast<qsizetype>(kl.size()));
    const auto top = std::max_element(kl.begin(), kl.end()) - kl.begin();
    for (qsizetype i = 0; i < lines.paths[0].size(); ++i)
        QVERIFY(lines.paths[0][top].y() <= lines.paths[0][i].y() + 1e-6);
}

void TestUiViewFigures::gatesFigureIsTheLayersGateGrid()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-qwen3-gate-elementwise")));
    w.setView(ViewKind::Gates);
    w.context()->select(1, 2);
    QVERIFY(settle());
    const FigureSpec spec = w.currentFigureSpec();
    QCOMPARE(spec.panels.size(), 1);
    QCOMPARE(spec.panels[0].kind, QStringLiteral("gates"));
    QCOMPARE(spec.panels[0].layer, 1);
    QCOMPARE(spec.panels[0].quantity, QStringLiteral("gate"));
    const FigureRenderer r(spec, w.figureSource());
    QVERIFY2(r.problems().isEmpty(), qPrintable(r.problems().join(QLatin1Char('\n'))));
    const QString pdf = m_tmp.filePath(QStringLiteral("gates.pdf"));
    QString error;
    QVERIFY2(exportFigure(r, pdf, 0, &error), qPrintable(error));
    checkVectorPdf(pdf, r.pageSize());
    // Each (head, token) cell: the head's gate averaged over its dims, on the view's fixed [0, 1] scale.
    const SvgGroup cells = svgGroup(renderFigureSvg(r), QStringLiteral("panel0-cells"));
    const int heads = w.context()->heads();
    const int t = w.context()->tokenCount();
    const QRectF plot = r.panels()[0].plot;
    int checked = 0;
    for (int h = 0; h < heads; ++h) {
        const CapturedSeriesPtr g = w.context()->series(Quantity::Gate, 1, h);
        QVERIFY(g);
        QCOMPARE(g->shape.size(), size_t(2));   // elementwise: T × d
        const int64_t d = g->shape[1];
        for (int i = 0; i < t; ++i) {
            double mean = 0;
            for (int64_t k = 0; k < d; ++k)
                mean += g->values[size_t(i * d + k)];
            mean /= double(d);
            const QPointF c = plot.topLeft() + QPointF((i + 0.5) * plot.width() / t, (h + 0.5) * plot.height() / heads);
            const QString got = fillAt(cells, c);
            // The grid holds float means: at a bin edge the index may differ by one from the double mean's.
            const QString lo = sequential(std::max(0.0, mean - 1e-6), 1.0), hi = sequential(std::min(1.0, mean + 1e-6), 1.0);
            QVERIFY2(got == lo || got == hi, qPrintable(QStringLiteral("head %1 token %2: %3, wanted %4").arg(h).arg(i).arg(got, lo)));
            ++checked;
        }
    }
    QVERIFY(checked > 50);
    cliReproduces(QStringLiteral("gates"));
}

QTEST_MAIN(TestUiViewFigures)
#include "test_ui_view_figures.moc"
