// Figures from the real window (SmolLM2, offscreen): the head view's figure draws exactly the colours the head
// view shows; File ▸ Export Figure's code path writes PNG and PDF that `attnscope-cli figure` reproduces byte for
// byte from the saved session (the view figure and the composer's 2 × 3 layout); the composer previews a change
// and its layout survives a session round trip; Ctrl+C in a view puts PNG and SVG on the clipboard; "Save data"
// writes the head's map (.npy) and the whole run (HDF5, read by h5py with the right shapes).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "kernels/backends/register_backends.h"
#include "model_paths.h"
#include "ui/main_window.h"
#include "ui/panels/figure_composer_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/render/figure_export.h"
#include "ui/render/heatmap_plottable.h"
#include "ui/session_bridge.h"
#include "ui/figure_context.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/figure_export_dialog.h"
#include "ui/widgets/figure_preview.h"
#include "ui/widgets/figure_style_editor.h"

#include <QComboBox>

#include <QAction>
#include <QClipboard>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QMimeData>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <filesystem>

using namespace attnscope;

class TestUiFigures : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void headFigureAgreesWithTheHeadView();
    void cliFigureReproducesTheGuiExport();
    void composerLayoutPreviewsAndReproduces();
    void ctrlCCopiesPngAndSvg();
    void exportDialogPreviewsTheStyle();
    void saveDataWritesTheHeadAndTheRun();

private:
    bool waitSettled(int timeoutMs = 60000);
    QByteArray cli(const QStringList& args, int* code);
    QByteArray read(const QString& path);
    QString m_model;
    QTemporaryDir m_tmp;
    std::unique_ptr<MainWindow> m_window;
};

namespace {
const char* kPrompt = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps";
}

void TestUiFigures::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    qputenv("SOURCE_DATE_EPOCH", "1700000000");   // PDFs carry this date, so GUI and CLI files can be compared
    m_model = QString::fromStdString(test::modelCacheDir() + "/" + test::kSmolLM2);
    if (!std::filesystem::exists(m_model.toStdString())) {
        if (test::offlineOptOut())
            QSKIP("ATTNSCOPE_OFFLINE=1 and the SmolLM2 model is not cached");
        QFAIL(qPrintable(QStringLiteral("model %1 is missing: run scripts/fetch-models.sh").arg(m_model)));
    }
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2)), false);
    m_window->setErrorDialogsEnabled(false);
    m_window->resize(1280, 800);
    m_window->show();
    MainWindow& w = *m_window;
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.setPromptText(QString::fromUtf8(kPrompt));
    w.openModel(m_model, /*runAfterOpen=*/true);
    QVERIFY(finished.wait(90000));
    QVERIFY(waitSettled());
}

void TestUiFigures::cleanupTestCase()
{
    m_window.reset();
}

bool TestUiFigures::waitSettled(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (m_window->isSettled())
            return true;
        QTest::qWait(20);
    }
    return false;
}

QByteArray TestUiFigures::cli(const QStringList& args, int* code)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(ATTNSCOPE_CLI_PATH), args);
    p.waitForFinished(180000);
    *code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return p.readAll();
}

QByteArray TestUiFigures::read(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void TestUiFigures::headFigureAgreesWithTheHeadView()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(4, 2);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 2, 10000);
    QVERIFY(waitSettled());
    const FigureSpec spec = w.currentFigureSpec();
    QCOMPARE(spec.panels.size(), 1);
    QCOMPARE(spec.panels[0].kind, QStringLiteral("head"));
    QCOMPARE(spec.panels[0].layer, 4);
    QCOMPARE(spec.panels[0].head, 2);
    QCOMPARE(spec.style.settings, w.context()->viewSettings());
    // The plot's image (one pixel per cell: the map is far smaller than the screen) against the SVG's cells.
    auto* heat = dynamic_cast<HeatmapPlottable*>(w.headViewPanel()->plot()->plottable(0));
    QVERIFY(heat);
    const QImage screen = heat->image();
    const int n = static_cast<int>(w.context()->tokens()->size());
    QCOMPARE(screen.width(), n);
    const FigureRenderer figure(spec, figureSourceFromContext(*w.context()));
    const QRectF plot = figure.panels()[0].plot;
    QXmlStreamReader xml(renderFigureSvg(figure));
    QVector<std::pair<QRectF, QString>> rects;
    int depth = -1;   // inside the cells group while ≥ 0
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.attributes().value(QStringLiteral("id")) == QStringLiteral("panel0-cells")) {
            depth = 0;
        } else if (depth >= 0 && xml.isStartElement()) {
            ++depth;
            const auto a = xml.attributes();
            if (xml.name() == QStringLiteral("rect"))
                rects.push_back({QRectF(a.value(QStringLiteral("x")).toDouble(), a.value(QStringLiteral("y")).toDouble(),
                                        a.value(QStringLiteral("width")).toDouble(), a.value(QStringLiteral("height")).toDouble()),
                                 a.value(QStringLiteral("fill")).toString()});
        } else if (depth >= 0 && xml.isEndElement() && depth-- == 0) {
            break;
        }
    }
    int compared = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) {
            const QPointF c = plot.topLeft() + QPointF((j + 0.5) * plot.width() / n, (i + 0.5) * plot.height() / n);
            QString fill;
            for (const auto& [r, f] : rects)
                if (r.contains(c))
                    fill = f;
            QCOMPARE(fill, QColor::fromRgb(screen.pixel(j, i)).name());
            ++compared;
        }
    QVERIFY(compared > 100);
}

void TestUiFigures::cliFigureReproducesTheGuiExport()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(7, 5);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 5, 10000);
    QVERIFY(waitSettled());
    FigureStyle style = w.figureStyle();
    style.title = QStringLiteral("Layer 7, head 5");
    w.setFigureStyle(style);
    const QString session = m_tmp.filePath(QStringLiteral("head.attnscope"));
    for (const QString& ext : {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")}) {
        const QString gui = m_tmp.filePath(QStringLiteral("gui.") + ext);
        QSignalSpy exported(&w, &MainWindow::figureExported);
        w.exportFigureTo(w.currentFigureSpec(), gui);
        QVERIFY(exported.wait(30000));
        QSignalSpy saved(&w, &MainWindow::sessionSaved);
        w.saveSession(session);
        QVERIFY(saved.wait(30000));
        const QString out = m_tmp.filePath(QStringLiteral("cli.") + ext);
        int code = -1;
        const QByteArray log = cli({QStringLiteral("figure"), session, QStringLiteral("--out"), out, QStringLiteral("--backend"),
                                    QStringLiteral("cpu"), QStringLiteral("--threads"), QStringLiteral("2")}, &code);
        QVERIFY2(code == 0, log.constData());
        QVERIFY2(read(gui) == read(out), qPrintable(QStringLiteral("%1: GUI and CLI files differ").arg(ext)));
    }
}

void TestUiFigures::composerLayoutPreviewsAndReproduces()
{
    MainWindow& w = *m_window;
    w.findChild<QDockWidget*>(QStringLiteral("composerDock"))->show();
    FigureComposerPanel* c = w.composer();
    c->setGrid(2, 3);
    w.context()->select(0, 1);
    QSignalSpy rendered(c->preview(), &FigurePreview::rendered);
    c->fillSameHeadAcrossLayers();
    QVERIFY(rendered.wait(10000));
    QTRY_VERIFY_WITH_TIMEOUT(!c->preview()->isBusy(), 10000);
    const FigureSpec spec = c->spec();
    QCOMPARE(spec.panels.size(), 6);
    QCOMPARE(spec.panels[5].layer, 29);
    QCOMPARE(spec.panels[2].layer, 12);
    QVERIFY(!c->preview()->image().isNull());
    QVERIFY(c->preview()->problems().isEmpty());
    // Saved with the session as its figure (the composer is open), drawn again by the CLI.
    const QString session = m_tmp.filePath(QStringLiteral("composer.attnscope"));
    QSignalSpy saved(&w, &MainWindow::sessionSaved);
    w.saveSession(session);
    QVERIFY(saved.wait(30000));
    const auto s = readSessionFile(session, nullptr);
    QVERIFY(s && s->composer && s->figureFromComposer);
    QCOMPARE(s->composer->panels, spec.panels);
    const QString gui = m_tmp.filePath(QStringLiteral("composer-gui.png"));
    QSignalSpy exported(&w, &MainWindow::figureExported);
    w.exportFigureTo(spec, gui);
    QVERIFY(exported.wait(30000));
    const QString out = m_tmp.filePath(QStringLiteral("composer-cli.png"));
    int code = -1;
    const QByteArray log = cli({QStringLiteral("figure"), session, QStringLiteral("--out"), out, QStringLiteral("--backend"),
                                QStringLiteral("cpu"), QStringLiteral("--threads"), QStringLiteral("2")}, &code);
    QVERIFY2(code == 0, log.constData());
    QVERIFY(read(gui) == read(out));
    // A new window restores the layout from the session.
    MainWindow other(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 1)), false);
    other.setErrorDialogsEnabled(false);
    QSignalSpy restored(&other, &MainWindow::sessionRestored);
    other.openSession(session);
    QVERIFY(restored.wait(30000));
    QCOMPARE(other.composer()->spec().panels, spec.panels);
    QCOMPARE(other.composer()->spec().rows, 2);
    other.cancelRun();
    w.findChild<QDockWidget*>(QStringLiteral("composerDock"))->hide();
}

void TestUiFigures::ctrlCCopiesPngAndSvg()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    QVERIFY(waitSettled());
    w.activateWindow();
    w.headViewPanel()->plot()->setFocus();
    QSignalSpy copied(&w, &MainWindow::figureCopied);
    QTest::keyClick(w.headViewPanel()->plot(), Qt::Key_C, Qt::ControlModifier);
    QVERIFY(copied.wait(20000));
    const QMimeData* mime = QGuiApplication::clipboard()->mimeData();
    QVERIFY(mime);
    QVERIFY(mime->hasFormat(QStringLiteral("image/png")));
    QVERIFY(mime->hasFormat(QStringLiteral("image/svg+xml")));
    const QImage png = QImage::fromData(mime->data(QStringLiteral("image/png")), "PNG");
    QVERIFY(!png.isNull());
    QCOMPARE(png.width(), static_cast<int>(std::ceil(w.figureStyle().widthPt * w.figureStyle().dpi / 72.0 - 1e-6)));
    QVERIFY(mime->data(QStringLiteral("image/svg+xml")).startsWith("<?xml"));
}

void TestUiFigures::exportDialogPreviewsTheStyle()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(17, 5);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 5, 10000);
    QVERIFY(waitSettled());
    FigureStyle untitled = w.figureStyle();
    untitled.title.clear();
    w.setFigureStyle(untitled);
    FigureExportDialog dialog(w.currentFigureSpec(), figureSourceFromContext(*w.context()), m_tmp.filePath(QStringLiteral("x.pdf")), &w);
    QSignalSpy rendered(dialog.preview(), &FigurePreview::rendered);
    dialog.show();
    QVERIFY(rendered.wait(10000) || !dialog.preview()->image().isNull());
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.preview()->isBusy(), 10000);
    QCOMPARE(dialog.preview()->pageSize().width(), kOneColumnPt);
    dialog.styleEditor()->widthCombo()->setCurrentIndex(2);   // two columns
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.preview()->isBusy() && dialog.preview()->pageSize().width() == kTwoColumnPt, 10000);
    QCOMPARE(dialog.spec().style.widthPt, kTwoColumnPt);
    QCOMPARE(dialog.spec().panels, w.currentFigureSpec().panels);
    if (const QString dir = qEnvironmentVariable("ATTNSCOPE_SHOTS_DIR"); !dir.isEmpty()) {
        dialog.styleEditor()->widthCombo()->setCurrentIndex(0);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.preview()->isBusy() && dialog.preview()->pageSize().width() == kOneColumnPt, 10000);
        dialog.grab().save(dir + QStringLiteral("/export-dialog.png"));
    }
}

void TestUiFigures::saveDataWritesTheHeadAndTheRun()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(3, 1);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 1, 10000);
    QVERIFY(waitSettled());
    const int n = static_cast<int>(w.context()->tokens()->size());
    const QString npy = m_tmp.filePath(QStringLiteral("head.npy"));
    QSignalSpy data(&w, &MainWindow::dataExported);
    w.exportViewDataTo(npy);
    QVERIFY(data.wait(30000));
    // The same head through the CLI's `run --attn-out` (same engine, same request): identical bytes.
    const QString ref = m_tmp.filePath(QStringLiteral("ref.npy"));
    int code = -1;
    QByteArray log = cli({QStringLiteral("run"), m_model, QStringLiteral("--text"), QString::fromUtf8(kPrompt),
                          QStringLiteral("--attn-out"), ref, QStringLiteral("--layer"), QStringLiteral("3"), QStringLiteral("--head"),
                          QStringLiteral("1"), QStringLiteral("--backend"), QStringLiteral("cpu"), QStringLiteral("--threads"),
                          QStringLiteral("2")}, &code);
    QVERIFY2(code == 0, log.constData());
    QCOMPARE(read(npy), read(ref));
    // The whole run as HDF5: 30 layers of [9, n, n] maps, the tokens and the model's hash, read by h5py.
    const QString h5 = m_tmp.filePath(QStringLiteral("run.h5"));
    w.exportRunDataTo(h5);
    QVERIFY(data.wait(60000));
    QProcess py;
    py.setProcessChannelMode(QProcess::MergedChannels);
    py.start(QStringLiteral("/usr/bin/python3"),
             {QStringLiteral("-c"),
              QStringLiteral("import h5py,sys\nf=h5py.File(sys.argv[1],'r')\n"
                             "assert len([k for k in f['attention.probs'] if k.startswith('layer_')])==30\n"
                             "d=f['attention.probs/layer_29']\nassert d.shape==(9,%1,%1), d.shape\nassert d.chunks[0]==1\n"
                             "assert f['tokens/ids'].shape==(%1,)\nassert f.attrs['model_sha256'].startswith('sha256:')\n"
                             "assert f.attrs['architecture']=='llama'\nassert f['metrics/induction'].shape==(30,9)\n"
                             "import numpy as np\nassert abs(float(np.nansum(d[3][5]))-1.0)<1e-4\nprint('ok')")
                  .arg(n),
              h5});
    py.waitForFinished(60000);
    QCOMPARE(QString::fromUtf8(py.readAll()).trimmed(), QStringLiteral("ok"));
}

QTEST_MAIN(TestUiFigures)
#include "test_ui_figures.moc"
