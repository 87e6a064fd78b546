// The main flows on the real window with SmolLM2 (offscreen): open a model, run (maps stream in layer by
// layer), Ctrl+Enter, select heads with the keyboard, hover, cancel, supersede, save and restore a session,
// a changed or missing session model, bad files. Every item model the window shows is under
// QAbstractItemModelTester while the flows run.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "kernels/backends/register_backends.h"
#include "model_paths.h"
#include "ui/main_window.h"
#include "ui/models/model_info_model.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/model_info_panel.h"
#include "ui/panels/overview_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/token_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QFileInfo>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <sys/stat.h>

using namespace attnscope;

namespace {

std::unique_ptr<BackendSet> cpuBackends()
{
    return std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2));
}

using Tester = QAbstractItemModelTester;
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;

} // namespace

class TestUiMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void openModelShowsInfo();
    void runStreamsLayersInOrder();
    void ctrlEnterRuns();
    void selectHeadWithKeyboard();
    void hoverShowsQueryKeyWeightRank();
    void tokenViewFollowsQuery();
    void cancelStopsQuickly();
    void newerRunSupersedes();
    void saveAndRestoreSession();
    void sessionWithMissingModelKeepsPrompt();
    void sessionWithChangedModelIsReported();
    void badFilesAreReported();
    void emptyPromptDoesNotRun();

private:
    bool waitRunEnd(MainWindow& w, int timeoutMs = 60000);
    QString m_model;
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    std::vector<std::unique_ptr<Tester>> m_testers;
};

void TestUiMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_model = QString::fromStdString(test::modelCacheDir() + "/" + test::kSmolLM2);
    if (!std::filesystem::exists(m_model.toStdString())) {
        if (test::offlineOptOut())
            QSKIP("ATTNSCOPE_OFFLINE=1 and the SmolLM2 model is not cached");
        QFAIL(qPrintable(QStringLiteral("model %1 is missing: run scripts/fetch-models.sh").arg(m_model)));
    }
    m_tmp = std::make_unique<QTemporaryDir>();
    m_window = std::make_unique<MainWindow>(cpuBackends(), /*persistent=*/false);
    m_window->resize(1200, 800);
    m_window->show();
    MainWindow& w = *m_window;
    m_testers.push_back(std::make_unique<Tester>(w.context()->metricsModel(), kQtTest));
    m_testers.push_back(std::make_unique<Tester>(w.promptPanel()->tokenModel(), kQtTest));
    m_testers.push_back(std::make_unique<Tester>(w.tokenViewPanel()->headModel(), kQtTest));
    m_testers.push_back(std::make_unique<Tester>(w.tokenViewPanel()->meanModel(), kQtTest));
    m_testers.push_back(std::make_unique<Tester>(w.modelInfoPanel()->model(), kQtTest));
}

void TestUiMainWindow::cleanupTestCase()
{
    m_testers.clear();
    m_window.reset();
}

bool TestUiMainWindow::waitRunEnd(MainWindow& w, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (w.isSettled())
            return true;
        QTest::qWait(20);
    }
    return false;
}

void TestUiMainWindow::openModelShowsInfo()
{
    MainWindow& w = *m_window;
    QCOMPARE(w.promptText(), MainWindow::samplePrompt());   // the sample prompt on first launch
    QSignalSpy opened(w.bridge(), &SessionBridge::modelOpened);
    w.openModel(m_model);
    QVERIFY(opened.wait(30000));
    QVERIFY(w.context()->model());
    const ModelInfoModel* info = w.modelInfoPanel()->model();
    QCOMPARE(info->valueOf(QStringLiteral("architecture")), QStringLiteral("llama"));
    QCOMPARE(info->valueOf(QStringLiteral("layers")), QStringLiteral("30"));
    QCOMPARE(info->valueOf(QStringLiteral("heads")), QStringLiteral("9"));
    QVERIFY(info->valueOf(QStringLiteral("KV groups")).startsWith(QStringLiteral("3 KV heads")));
    QCOMPARE(info->valueOf(QStringLiteral("head dim")), QStringLiteral("64"));
    QVERIFY2(info->valueOf(QStringLiteral("dtypes")).contains(QStringLiteral("q4_1"), Qt::CaseInsensitive),
             qPrintable(info->valueOf(QStringLiteral("dtypes"))));
    QVERIFY(info->valueOf(QStringLiteral("backend")).startsWith(QStringLiteral("cpu"), Qt::CaseInsensitive));
    QVERIFY(!info->valueOf(QStringLiteral("size on disk")).isEmpty());
    QVERIFY(w.recentFiles().contains(QFileInfo(m_model).absoluteFilePath()));
    // Live tokenisation fills the chips without running the model.
    QTRY_VERIFY_WITH_TIMEOUT(w.promptPanel()->tokenModel()->rowCount() > 5, 10000);
}

void TestUiMainWindow::runStreamsLayersInOrder()
{
    MainWindow& w = *m_window;
    QSignalSpy layers(w.context(), &SessionContext::layerReady);
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    QSignalSpy cancelled(w.bridge(), &SessionBridge::runCancelled);
    QSignalSpy failed(w.bridge(), &SessionBridge::runFailed);
    QSignalSpy started(w.context(), &SessionContext::runStarted);
    w.runPrompt();
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    QCOMPARE(started.count(), 1);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(cancelled.count(), 0);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(layers.count(), 30);
    for (int i = 0; i < layers.count(); ++i)
        QCOMPARE(layers.at(i).at(0).toInt(), i);   // layer by layer, in order
    const int n = static_cast<int>(w.context()->tokens()->size());
    QVERIFY(n > 10);
    for (int l = 0; l < 30; ++l)
        for (int h = 0; h < 9; ++h) {
            QVERIFY(w.context()->map(l, h));
            QVERIFY(!w.context()->thumbnail(l, h).isNull());
        }
    // The summary heatmap has every cell; sink shares lie in [0, 1].
    HeadMetricsModel* mm = w.context()->metricsModel();
    for (int l = 0; l < 30; ++l)
        for (int h = 0; h < 9; ++h) {
            const double v = mm->value(l, h);
            QVERIFY(v >= 0.0 && v <= 1.0);
        }
    w.overviewPanel()->metricCombo()->setCurrentIndex(1);   // entropy
    QCOMPARE(w.context()->metric(), HeadMetric::Entropy);
    QVERIFY(mm->value(0, 0) > 0.0);
    QCOMPARE(w.promptPanel()->tokenModel()->rowCount(), n);
}

void TestUiMainWindow::ctrlEnterRuns()
{
    MainWindow& w = *m_window;
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    w.promptPanel()->editor()->setFocus();
    QTest::keyClick(w.promptPanel()->editor(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    QVERIFY(!w.promptPanel()->editor()->toPlainText().endsWith(QLatin1Char('\n')));   // no newline was typed
}

void TestUiMainWindow::selectHeadWithKeyboard()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    AttentionPlot* plot = w.headViewPanel()->plot();
    w.context()->select(2, 3);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 3, 5000);
    QCOMPARE(w.headViewPanel()->shownLayer(), 2);
    QVERIFY(plot->title().contains(QStringLiteral("Layer 2 · Head 3")));
    QVERIFY(plot->hasHeatmap());
    QTest::keyClick(plot, Qt::Key_Right);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownHead(), 4, 5000);
    QTest::keyClick(plot, Qt::Key_Down);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownLayer(), 3, 5000);
    QTest::keyClick(plot, Qt::Key_PageUp);
    QTRY_COMPARE_WITH_TIMEOUT(w.headViewPanel()->shownLayer(), 2, 5000);
    w.context()->select(2, 0);
    QTest::keyClick(plot, Qt::Key_Left);   // wraps into the previous layer's last head
    QCOMPARE(w.context()->layer(), 1);
    QCOMPARE(w.context()->head(), 8);
    // Zoom and pan keep the range inside the map.
    const double before = plot->xAxis->range().size();
    QTest::keyClick(plot, Qt::Key_Plus);
    QVERIFY(plot->xAxis->range().size() < before);
    QTest::keyClick(plot, Qt::Key_Left, Qt::ShiftModifier);
    QVERIFY(plot->xAxis->range().lower >= -0.5);
    QTest::keyClick(plot, Qt::Key_0);
    QCOMPARE(plot->xAxis->range().size(), before);
    QTRY_VERIFY_WITH_TIMEOUT(w.isSettled(), 5000);
}

void TestUiMainWindow::hoverShowsQueryKeyWeightRank()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(0, 0);
    AttentionPlot* plot = w.headViewPanel()->plot();
    QTRY_VERIFY_WITH_TIMEOUT(w.headViewPanel()->shownLayer() == 0 && w.headViewPanel()->shownHead() == 0, 5000);
    plot->replot();
    const QString text = plot->hoverText(5, 0);
    QVERIFY2(text.contains(QStringLiteral("query #5")) && text.contains(QStringLiteral("key #0")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("weight")) && text.contains(QStringLiteral("rank")), qPrintable(text));
    QVERIFY(plot->hoverText(2, 5).contains(QStringLiteral("masked")));
    QVERIFY(plot->hoverText(-1, 0).isEmpty());
    // A real mouse move over cell (query 4, key 1) reports that cell.
    QSignalSpy hovered(plot, &AttentionPlot::cellHovered);
    const QPoint pos(int(plot->xAxis->coordToPixel(1)), int(plot->yAxis->coordToPixel(4)));
    QTest::mouseMove(plot, pos);
    QTRY_VERIFY_WITH_TIMEOUT(!hovered.isEmpty(), 2000);
    QCOMPARE(hovered.last().at(0).toInt(), 4);
    QCOMPARE(hovered.last().at(1).toInt(), 1);
}

void TestUiMainWindow::tokenViewFollowsQuery()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Token);
    w.context()->select(1, 2);
    w.context()->setQuery(6);
    TokenViewPanel* tv = w.tokenViewPanel();
    QCOMPARE(tv->headModel()->selectedPosition(), 6);
    QCOMPARE(tv->barCount(), 7);   // keys 0..6
    double sum = 0;
    for (int j = 0; j <= 6; ++j)
        sum += tv->headModel()->data(tv->headModel()->index(j), TokenListModel::WeightRole).toDouble();
    QVERIFY(std::abs(sum - 1.0) < 1e-3);   // one softmax row
    QVERIFY(tv->headModel()->data(tv->headModel()->index(7), TokenListModel::MaskedRole).toBool());
    QVERIFY(tv->chart()->series().size() == 1);
}

void TestUiMainWindow::cancelStopsQuickly()
{
    MainWindow& w = *m_window;
    const QString saved = w.promptText();
    QString longText;
    while (longText.size() < 3000)
        longText += MainWindow::samplePrompt() + QLatin1Char(' ');
    w.setPromptText(longText);
    QSignalSpy layers(w.context(), &SessionContext::layerReady);
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    QSignalSpy cancelled(w.bridge(), &SessionBridge::runCancelled);
    w.runPrompt();
    QVERIFY(layers.wait(30000));
    QElapsedTimer t;
    t.start();
    w.cancelRun();
    QVERIFY(cancelled.wait(5000));
    const qint64 ms = t.elapsed();
    qInfo("cancel took %lld ms", ms);
    QVERIFY2(ms < 1000, qPrintable(QStringLiteral("cancel took %1 ms").arg(ms)));
    QVERIFY(waitRunEnd(w));
    QCOMPARE(finished.count(), 0);   // never "finished" after "cancelled"
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(layers.count() < 30);
    QVERIFY(!w.bridge()->isRunning());
    QCOMPARE(w.promptText(), longText);   // the user's text is untouched
    w.setPromptText(saved);
}

void TestUiMainWindow::newerRunSupersedes()
{
    MainWindow& w = *m_window;
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    QSignalSpy cancelled(w.bridge(), &SessionBridge::runCancelled);
    QSignalSpy started(w.bridge(), &SessionBridge::runStarted);
    w.runPrompt();
    const quint64 first = w.bridge()->currentRun();
    w.setPromptText(QStringLiteral("A second, different prompt."));
    w.runPrompt();
    const quint64 second = w.bridge()->currentRun();
    QVERIFY(second > first);
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toULongLong(), second);   // the stale run reports nothing
    QCOMPARE(cancelled.count(), 0);
    for (const auto& args : started)
        QCOMPARE(args.at(0).toULongLong(), second);
    QCOMPARE(w.context()->runGeneration(), second);
    QCOMPARE(w.context()->layersReady(), 30);
}

void TestUiMainWindow::saveAndRestoreSession()
{
    MainWindow& w = *m_window;
    w.setPromptText(QStringLiteral("Sessions keep the prompt, the head and the view."));
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.runPrompt();
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    w.context()->select(4, 5);
    w.context()->setQuery(3);
    ViewSettings s;
    s.colormap = Colormap::Magma;
    s.scale = ScaleKind::Log;
    s.normalisation = Normalisation::PerRow;
    w.context()->setViewSettings(s);
    w.context()->setMetric(HeadMetric::MeanDistance);
    w.setView(ViewKind::Token);
    const QString path = m_tmp->filePath(QStringLiteral("s.attnscope"));
    QSignalSpy saved(&w, &MainWindow::sessionSaved);
    w.saveSession(path);
    QVERIFY(saved.wait(30000));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(o.value(QStringLiteral("model")).toObject().value(QStringLiteral("hash")).toString().startsWith(QStringLiteral("sha256:")));

    MainWindow w2(cpuBackends(), false);
    w2.show();
    Tester t1(w2.context()->metricsModel(), kQtTest);
    QSignalSpy errors(&w2, &MainWindow::errorReported);
    QSignalSpy finished2(w2.bridge(), &SessionBridge::runFinished);
    w2.openSession(path);
    QVERIFY(finished2.wait(60000));
    QVERIFY(waitRunEnd(w2));
    QCOMPARE(errors.count(), 0);
    QCOMPARE(w2.promptText(), w.promptText());
    QCOMPARE(w2.context()->layer(), 4);
    QCOMPARE(w2.context()->head(), 5);
    QCOMPARE(w2.context()->query(), 3);
    QCOMPARE(w2.context()->viewSettings(), s);
    QCOMPARE(w2.context()->metric(), HeadMetric::MeanDistance);
    QCOMPARE(w2.context()->view(), ViewKind::Token);
    QCOMPARE(w2.context()->model()->path, w.context()->model()->path);
}

void TestUiMainWindow::sessionWithMissingModelKeepsPrompt()
{
    MainWindow w(cpuBackends(), false);
    w.setErrorDialogsEnabled(false);
    SessionState s;
    s.modelPath = m_tmp->filePath(QStringLiteral("gone.gguf"));
    s.prompt = QStringLiteral("text that must survive");
    s.layer = 1;
    const QString path = m_tmp->filePath(QStringLiteral("missing.attnscope"));
    QVERIFY(writeSessionFile(path, s, nullptr));
    QSignalSpy errors(&w, &MainWindow::errorReported);
    w.openSession(path);
    QVERIFY(errors.wait(10000));
    QVERIFY2(errors.at(0).at(0).toString().contains(QStringLiteral("does not exist")), qPrintable(errors.at(0).at(0).toString()));
    QCOMPARE(w.promptText(), s.prompt);
    QVERIFY(!w.context()->model());
}

void TestUiMainWindow::sessionWithChangedModelIsReported()
{
    MainWindow w(cpuBackends(), false);
    w.setErrorDialogsEnabled(false);
    SessionState s;
    s.modelPath = m_model;
    s.modelHash = QStringLiteral("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    s.prompt = QStringLiteral("The model file changed under this session.");
    const QString path = m_tmp->filePath(QStringLiteral("changed.attnscope"));
    QVERIFY(writeSessionFile(path, s, nullptr));
    QSignalSpy errors(&w, &MainWindow::errorReported);
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.openSession(path);
    QVERIFY(finished.wait(60000));   // not fatal: the model is re-run
    QVERIFY(waitRunEnd(w));
    QCOMPARE(errors.count(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains(QStringLiteral("changed")));
}

void TestUiMainWindow::badFilesAreReported()
{
    MainWindow& w = *m_window;
    const OpenedModelPtr before = w.context()->model();
    const QString prompt = w.promptText();
    const QString bad = m_tmp->filePath(QStringLiteral("bad.gguf"));
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("GGUF\x03\x00\x00\x00garbage that is not a header", 36);
    }
    QSignalSpy errors(&w, &MainWindow::errorReported);
    w.openModel(bad);
    QVERIFY(errors.wait(10000));
    QVERIFY2(errors.last().at(0).toString().contains(QStringLiteral("bad.gguf")), qPrintable(errors.last().at(0).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(w.findChild<QMessageBox*>(QStringLiteral("errorDialog")) != nullptr, 2000);
    QMessageBox* box = w.findChild<QMessageBox*>(QStringLiteral("errorDialog"));
    QVERIFY(box->isVisible());
    box->close();
    QCOMPARE(w.context()->model(), before);   // the open model and its results stay
    QCOMPARE(w.promptText(), prompt);

    w.openPath(m_tmp->filePath(QStringLiteral("nothing-here.safetensors")));
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 2, 5000);
    const QString badSession = m_tmp->filePath(QStringLiteral("bad.attnscope"));
    {
        QFile f(badSession);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"format\": ");
    }
    w.openPath(badSession);
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 3, 5000);
    QVERIFY(errors.last().at(0).toString().contains(QStringLiteral("JSON")));
    // A .txt opens as the prompt.
    const QString txt = m_tmp->filePath(QStringLiteral("p.txt"));
    {
        QFile f(txt);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("prompt from a file \xff (with an invalid byte)");
    }
    w.openPath(txt);
    QTRY_VERIFY_WITH_TIMEOUT(w.promptText().startsWith(QStringLiteral("prompt from a file")), 5000);
    QCOMPARE(w.context()->model(), before);
    // Named pipes where a model, a session and a prompt are expected: refused at once, nothing left waiting.
    int expected = errors.count();
    for (const char* name : {"pipe.gguf", "pipe.attnscope", "pipe.txt"}) {
        const QString pipe = m_tmp->filePath(QString::fromLatin1(name));
        QCOMPARE(::mkfifo(QFile::encodeName(pipe).constData(), 0600), 0);
        w.openPath(pipe);
        ++expected;
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), expected, 5000);
        QVERIFY2(errors.last().at(0).toString().contains(QStringLiteral("named pipe")), qPrintable(errors.last().at(0).toString()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(w.isSettled(), 5000);
    QCOMPARE(w.promptText().left(18), QStringLiteral("prompt from a file"));
    if (auto* b = w.findChild<QMessageBox*>(QStringLiteral("errorDialog")))
        b->close();
}

void TestUiMainWindow::emptyPromptDoesNotRun()
{
    MainWindow& w = *m_window;
    QSignalSpy started(w.bridge(), &SessionBridge::runStarted);
    w.setPromptText(QStringLiteral("   "));
    w.runPrompt();
    QTest::qWait(200);
    QCOMPARE(started.count(), 0);
    QVERIFY(w.statusText().contains(QStringLiteral("Type some text")));
}

QTEST_MAIN(TestUiMainWindow)
#include "test_ui_main_window.moc"
