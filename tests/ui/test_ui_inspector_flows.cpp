// The inspector's flows on the real window with SmolLM2 (offscreen): the last of 30 layers reached and scrolled
// into view at 1280×800, a head-view click picking the query, stale marking on a prompt edit, the Save
// confirmation, a missing-model session clearing the maps, a refused long prompt offering a subset capture, the
// induction probe button ranking induction heads, and head-view labels drawn on the very first display.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/util/memory_budget.h"
#include "kernels/backends/register_backends.h"
#include "model_paths.h"
#include "ui/main_window.h"
#include "ui/models/head_ranking_model.h"
#include "ui/models/token_list_model.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/overview_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/token_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/capture_subset_dialog.h"
#include "ui/widgets/overview_grid.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

using namespace attnscope;

namespace {

std::unique_ptr<BackendSet> cpuBackends()
{
    return std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2));
}

} // namespace

class TestUiInspectorFlows : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void lastLayerReachableAt1280x800();
    void headViewCellClickSetsQuery();
    void promptEditMarksMapsStale();
    void saveConfirmsInTitleAndStatus();
    void missingModelSessionClearsMaps();
    void refusedPromptOffersASubset();
    void inductionProbeRanksInductionHeads();
    void headViewLabelsOnFirstDisplay();

private:
    bool waitRunEnd(MainWindow& w, int timeoutMs = 60000);
    bool runText(MainWindow& w, const QString& text);
    QString m_model;
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
};

void TestUiInspectorFlows::initTestCase()
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
    m_window->resize(1280, 800);
    m_window->show();
    QSignalSpy opened(m_window->bridge(), &SessionBridge::modelOpened);
    m_window->openModel(m_model);
    QVERIFY(opened.wait(30000));
}

void TestUiInspectorFlows::cleanupTestCase()
{
    m_window.reset();
}

bool TestUiInspectorFlows::waitRunEnd(MainWindow& w, int timeoutMs)
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

bool TestUiInspectorFlows::runText(MainWindow& w, const QString& text)
{
    w.setPromptText(text);
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.runPrompt();
    return finished.wait(60000) && waitRunEnd(w);
}

void TestUiInspectorFlows::lastLayerReachableAt1280x800()
{
    MainWindow& w = *m_window;
    w.resize(1280, 800);
    QVERIFY(runText(w, QStringLiteral("Every layer of the model must be reachable from the overview.")));
    w.setView(ViewKind::Overview);
    OverviewGrid* grid = w.overviewPanel()->grid();
    QTRY_VERIFY(grid->isVisible());
    w.context()->select(0, 0);
    QVERIFY(!grid->isCellVisible(29, 8));   // 30 layers do not fit at 1280×800: the grid scrolls
    w.context()->select(29, 8);
    QVERIFY(grid->isCellVisible(29, 8));
    QVERIFY(!grid->isCellVisible(0, 0));
    // The same through the summary table: a click on L27 scrolls the grid.
    w.context()->select(0, 0);
    QTableView* table = w.overviewPanel()->metricsView();
    const QModelIndex idx = table->model()->index(27, 3);
    table->scrollTo(idx);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(idx).center());
    QCOMPARE(w.context()->layer(), 27);
    QVERIFY(grid->isCellVisible(27, 3));
    // The summary heatmap offers every score.
    QCOMPARE(w.overviewPanel()->metricCombo()->count(), kHeadMetricCount);
    w.overviewPanel()->metricCombo()->setCurrentIndex(static_cast<int>(HeadMetric::PrevToken));
    QCOMPARE(w.context()->metric(), HeadMetric::PrevToken);
    QVERIFY(w.context()->metricsModel()->value(16, 0) > 0.5);   // SmolLM2's previous-token head
}

void TestUiInspectorFlows::headViewCellClickSetsQuery()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Head);
    w.context()->select(16, 0);
    HeadViewPanel* hv = w.headViewPanel();
    QTRY_VERIFY_WITH_TIMEOUT(hv->shownLayer() == 16 && hv->shownHead() == 0 && !hv->isBusy(), 30000);
    AttentionPlot* plot = hv->plot();
    plot->replot();
    const QPoint cell(int(plot->xAxis->coordToPixel(2)), int(plot->yAxis->coordToPixel(5)));
    QTest::mouseClick(plot, Qt::LeftButton, {}, cell);
    QCOMPARE(w.context()->query(), 5);
    QCOMPARE(w.context()->key(), 2);
    QCOMPARE(plot->queryRow(), 5);
    QCOMPARE(w.tokenViewPanel()->headModel()->selectedPosition(), 5);   // the token view follows
}

void TestUiInspectorFlows::promptEditMarksMapsStale()
{
    MainWindow& w = *m_window;
    const QString text = QStringLiteral("Maps belong to the tokens they were computed for.");
    QVERIFY(runText(w, text));
    QVERIFY(!w.context()->isStale());
    QVERIFY(!w.staleBanner()->isVisible());
    QSignalSpy stale(w.context(), &SessionContext::staleChanged);
    w.promptPanel()->editor()->moveCursor(QTextCursor::End);
    QTest::keyClicks(w.promptPanel()->editor(), QStringLiteral(" More"));
    QVERIFY(w.context()->isStale());
    QCOMPARE(stale.count(), 1);
    QVERIFY(w.staleBanner()->isVisible());
    const QString banner = w.staleBanner()->text();
    QVERIFY2(banner.contains(text) && banner.contains(QStringLiteral("previous prompt")), qPrintable(banner));
    // The head view says so in its title; the maps stay (dimmed) until the next run.
    w.setView(ViewKind::Head);
    QTRY_VERIFY_WITH_TIMEOUT(w.headViewPanel()->plot()->title().contains(QStringLiteral("stale")), 30000);
    QVERIFY(w.context()->map(0, 0));
    // For the documentation: ATTNSCOPE_SHOTS_DIR=dir saves what the user sees now.
    if (const QString dir = qEnvironmentVariable("ATTNSCOPE_SHOTS_DIR"); !dir.isEmpty()) {
        for (ViewKind v : {ViewKind::Overview, ViewKind::Head}) {
            w.setView(v);
            QTRY_VERIFY_WITH_TIMEOUT(w.isSettled(), 30000);
            QTest::qWait(200);
            QVERIFY(w.grab().save(dir + QStringLiteral("/stale-%1.png").arg(viewKindId(v))));
        }
    }
    // Editing the text back makes the maps current again; a run clears the mark.
    w.setPromptText(text);
    QVERIFY(!w.context()->isStale());
    QVERIFY(!w.staleBanner()->isVisible());
    QVERIFY(runText(w, text + QStringLiteral(" Changed.")));
    QVERIFY(!w.context()->isStale());
    QVERIFY(!w.staleBanner()->isVisible());
}

void TestUiInspectorFlows::saveConfirmsInTitleAndStatus()
{
    MainWindow& w = *m_window;
    const QString path = m_tmp->filePath(QStringLiteral("confirm.attnscope"));
    QSignalSpy saved(&w, &MainWindow::sessionSaved);
    w.saveSession(path);
    QVERIFY(saved.wait(30000));
    QVERIFY2(w.windowTitle().contains(QStringLiteral("confirm.attnscope")), qPrintable(w.windowTitle()));
    QVERIFY(!w.isWindowModified());
    QVERIFY2(w.statusText().contains(QStringLiteral("Saved session confirm.attnscope")), qPrintable(w.statusText()));
    w.context()->select(3, 3);
    QTRY_VERIFY(w.isWindowModified());   // a view change after the save marks the title
}

void TestUiInspectorFlows::missingModelSessionClearsMaps()
{
    MainWindow& w = *m_window;
    QVERIFY(w.context()->tokens());
    w.setErrorDialogsEnabled(false);
    SessionState s;
    s.modelPath = m_tmp->filePath(QStringLiteral("vanished.gguf"));
    s.prompt = QStringLiteral("a prompt for a model that is gone");
    const QString path = m_tmp->filePath(QStringLiteral("vanished.attnscope"));
    QVERIFY(writeSessionFile(path, s, nullptr));
    QSignalSpy errors(&w, &MainWindow::errorReported);
    w.openSession(path);
    QVERIFY(errors.wait(10000));
    QCOMPARE(w.promptText(), s.prompt);
    QVERIFY(!w.context()->tokens());       // the old maps do not pass for the session's
    QVERIFY(!w.context()->map(0, 0));
    QCOMPARE(w.context()->layersReady(), 0);
    QVERIFY(!w.context()->isStale());
    QVERIFY(w.context()->model());         // the open model stays: the restored prompt can run on it
    w.setErrorDialogsEnabled(true);
}

void TestUiInspectorFlows::refusedPromptOffersASubset()
{
    MainWindow& w = *m_window;
    // A 3 MB budget: at ~40 tokens the maps of 270 heads need ≈ 1.8 MB… so use a longer text.
    QString text;
    while (text.size() < 600)
        text += QStringLiteral("Subset capture keeps long prompts usable. ");
    w.setPromptText(text);
    QTRY_VERIFY_WITH_TIMEOUT(w.isSettled(), 30000);
    w.bridge()->setMapMemoryBudget(8u << 20);
    QSignalSpy refused(&w, &MainWindow::captureRefused);
    QSignalSpy started(w.bridge(), &SessionBridge::runStarted);
    w.runPrompt();
    QVERIFY(refused.wait(20000));
    QCOMPARE(started.count(), 0);   // refused before the forward started
    const CaptureRefusal r = refused.at(0).at(0).value<CaptureRefusal>();
    QVERIFY(r.tokens > 100);
    QCOMPARE(r.capturedHeads, 270);
    QVERIFY(r.neededBytes > r.budgetBytes);
    QVERIFY(r.maxTokensAllHeads > 0 && r.maxTokensAllHeads < r.tokens);
    QVERIFY(captureBytes(r.maxTokensAllHeads, 270) <= r.budgetBytes);
    QVERIFY(r.message.contains(QString::number(r.maxTokensAllHeads)));
    QTRY_VERIFY_WITH_TIMEOUT(w.findChild<CaptureSubsetDialog*>() != nullptr, 30000);
    auto* dialog = w.findChild<CaptureSubsetDialog*>();
    QVERIFY(dialog->isVisible());
    dialog->layersEdit()->setText(QStringLiteral("0-29"));   // every layer …
    dialog->headsEdit()->setText(QStringLiteral("all"));
    QVERIFY(!dialog->mask());                                 // … does not fit
    dialog->layersEdit()->setText(QStringLiteral("16-17"));
    dialog->headsEdit()->setText(QStringLiteral("0, 3"));
    QVERIFY(dialog->mask());
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    dialog->accept();
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    SessionContext* ctx = w.context();
    QCOMPARE(ctx->capturedHeadCount(), 4);
    QVERIFY(ctx->map(16, 0) && ctx->map(17, 3));
    QVERIFY(!ctx->map(16, 1) && !ctx->map(0, 0));
    QVERIFY(!ctx->isCaptured(0, 0));
    QCOMPARE(ctx->layersReady(), 2);
    QVERIFY(ctx->metricsTable().has(16, 0));
    QVERIFY(!ctx->metricsTable().has(0, 0));
    w.setView(ViewKind::Head);
    ctx->select(5, 5);
    QTRY_VERIFY_WITH_TIMEOUT(w.headViewPanel()->plot()->title().contains(QStringLiteral("not captured")), 30000);
    w.bridge()->setMapMemoryBudget(0);
}

void TestUiInspectorFlows::inductionProbeRanksInductionHeads()
{
    MainWindow& w = *m_window;
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    auto* probe = w.promptPanel()->findChild<QPushButton*>(QStringLiteral("inductionProbeButton"));
    QVERIFY(probe);
    probe->click();
    QVERIFY(finished.wait(60000));
    QVERIFY(waitRunEnd(w));
    QCOMPARE(w.context()->tokenCount(), 100);
    QCOMPARE(w.context()->view(), ViewKind::Finder);
    HeadRankingModel* ranking = w.headFinderPanel()->model();
    QCOMPARE(ranking->rankMetric(), HeadMetric::Induction);
    const RankedHead top = ranking->ranking().front();
    qInfo("top induction head: L%dH%d %.3f", top.layer, top.head, top.score);
    QVERIFY(top.score >= 0.3);
    QCOMPARE(w.context()->metric(), HeadMetric::Induction);
}

void TestUiInspectorFlows::headViewLabelsOnFirstDisplay()
{
    // A fresh window shows the overview while it runs; the head view is hidden until the user switches to it.
    MainWindow w(cpuBackends(), false);
    w.resize(1280, 800);
    w.show();
    QSignalSpy opened(w.bridge(), &SessionBridge::modelOpened);
    w.openModel(m_model);
    QVERIFY(opened.wait(30000));
    QVERIFY(runText(w, QStringLiteral("Labels must be there the very first time the head view is shown.")));
    const int n = w.context()->tokenCount();
    w.setView(ViewKind::Head);
    AttentionPlot* plot = w.headViewPanel()->plot();
    QTRY_VERIFY_WITH_TIMEOUT(w.headViewPanel()->shownLayer() >= 0 && w.isSettled(), 30000);
    QTest::qWait(100);   // let queued replots run
    // What is drawn: the labels the axes set up at the last replot, one per token (they fit at this size).
    QCOMPARE(plot->yAxis->tickVectorLabels().size(), n);
    QCOMPARE(plot->xAxis->tickVectorLabels().size(), n);
}

QTEST_MAIN(TestUiInspectorFlows)
#include "test_ui_inspector_flows.moc"
