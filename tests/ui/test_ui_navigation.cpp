// Reaching every head and following the question, on the real window at 1280×800 fed with synthetic runs of
// 30, 64 and 128 layers (no model needed): the overview grid scrolls to the last layer and keeps the selection in
// view; selecting in the summary table or the head finder scrolls the grid; keyboard navigation in the overview,
// the token view and the key view; Ctrl+F moves the query (or the key); clicking a head-view cell or row label
// picks the query; undo/redo round-trips head, layer, query, colormap, scale, range and zoom.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "kernels/backends/register_backends.h"
#include "ui/main_window.h"
#include "ui/models/head_ranking_model.h"
#include "ui/models/received_attention_model.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/key_view_panel.h"
#include "ui/panels/overview_panel.h"
#include "ui/panels/token_view_panel.h"
#include "ui/view_history.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/overview_grid.h"
#include "ui/widgets/token_find_bar.h"

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QUndoStack>

using namespace attnscope;

namespace {

constexpr int kTokens = 10;

/// Ten tokens " w0" … " w9" (w3 appears twice, at 3 and 8, so the token scores have rows to use).
TokenRowsPtr syntheticTokens()
{
    auto rows = std::make_shared<TokenRows>();
    for (int i = 0; i < kTokens; ++i) {
        const int w = i == 8 ? 3 : i;
        const QByteArray b = " w" + QByteArray::number(w);
        rows->push_back({100 + w, QStringLiteral("␣w%1").arg(w), b, 0, 0});
    }
    return rows;
}

/// A causal map whose rows put weight on the previous token (varied per head so scores differ).
AttentionMapPtr syntheticMap(int layer, int head)
{
    auto m = std::make_shared<AttentionMap>();
    m->layer = layer;
    m->head = head;
    m->tokens = kTokens;
    m->probs.assign(kTokens * kTokens, 0.f);
    const float p = 0.1f + 0.8f * static_cast<float>((layer * 7 + head * 3) % 10) / 10.f;
    m->probs[0] = 1.f;
    for (int i = 1; i < kTokens; ++i) {
        m->probs[static_cast<size_t>(i * kTokens + i - 1)] = p;
        m->probs[static_cast<size_t>(i * kTokens)] += 1.f - p;
    }
    return m;
}

} // namespace

class TestUiNavigation : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void gridReachesEveryLayer_data();
    void gridReachesEveryLayer();
    void summaryAndFinderSelectionScrollTheGrid();
    void keyboardNavigation();
    void findMovesQueryOrKey();
    void headViewClicksPickTheQuery();
    void undoRedoRoundTrips();

private:
    void feed(int layers, int heads, int kvHeads);
    std::unique_ptr<MainWindow> m_window;
    quint64 m_gen = 1000;
};

void TestUiNavigation::initTestCase()
{
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 1)),
                                            /*persistent=*/false);
    m_window->resize(1280, 800);
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
}

void TestUiNavigation::cleanupTestCase()
{
    m_window.reset();
}

void TestUiNavigation::feed(int layers, int heads, int kvHeads)
{
    SessionContext* ctx = m_window->context();
    const quint64 gen = ++m_gen;
    ctx->beginRun(gen, syntheticTokens(), layers, heads, kvHeads);
    for (int l = 0; l < layers; ++l) {
        auto maps = std::make_shared<LayerMaps>();
        maps->layer = l;
        for (int h = 0; h < heads; ++h)
            maps->heads.push_back(syntheticMap(l, h));
        ctx->addLayer(gen, maps);
    }
    ctx->endRun(gen, true);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
}

void TestUiNavigation::gridReachesEveryLayer_data()
{
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::newRow("30 layers × 9 heads (SmolLM2's shape)") << 30 << 9 << 3;
    QTest::newRow("64 layers × 32 heads") << 64 << 32 << 8;
    QTest::newRow("128 layers × 16 heads") << 128 << 16 << 16;
}

void TestUiNavigation::gridReachesEveryLayer()
{
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    MainWindow& w = *m_window;
    w.setView(ViewKind::Overview);
    feed(layers, heads, kvHeads);
    SessionContext* ctx = w.context();
    OverviewGrid* grid = w.overviewPanel()->grid();
    QTRY_VERIFY(grid->viewport()->height() > 300);
    QVERIFY(grid->verticalScrollBar()->maximum() > 0);   // the grid is taller than the window: it scrolls
    ctx->select(0, 0);
    QVERIFY(grid->isCellVisible(0, 0));
    QVERIFY(!grid->isCellVisible(layers - 1, heads - 1));
    ctx->select(layers - 1, heads - 1);   // the last layer and head: scrolled into view
    QVERIFY2(grid->isCellVisible(layers - 1, heads - 1),
             qPrintable(QStringLiteral("cell %1 in a %2×%3 viewport").arg(QString::number(grid->cellRect(layers - 1, heads - 1).y()))
                            .arg(grid->viewport()->width()).arg(grid->viewport()->height())));
    QCOMPARE(grid->cellAt(grid->cellRect(layers - 1, heads - 1).center()), QPoint(layers - 1, heads - 1));
    // Every layer in turn is reachable and shown.
    for (int l = 0; l < layers; l += 7) {
        ctx->select(l, heads / 2);
        QVERIFY2(grid->isCellVisible(l, heads / 2), qPrintable(QStringLiteral("layer %1").arg(l)));
    }
    // The summary table scrolls with it.
    ctx->select(layers - 1, 0);
    QTableView* table = w.overviewPanel()->metricsView();
    const QRect cell = table->visualRect(table->model()->index(layers - 1, 0));
    QVERIFY(table->viewport()->rect().intersects(cell));
    // A thumbnail's tooltip lists every score.
    QCOMPARE(ctx->metricsTable().layers, layers);
    QVERIFY(ctx->metricsTable().has(layers - 1, heads - 1));
}

void TestUiNavigation::summaryAndFinderSelectionScrollTheGrid()
{
    MainWindow& w = *m_window;
    w.setView(ViewKind::Overview);
    feed(30, 9, 3);
    SessionContext* ctx = w.context();
    OverviewGrid* grid = w.overviewPanel()->grid();
    ctx->select(0, 0);
    QVERIFY(!grid->isCellVisible(27, 4));
    // A click on L27 H4 in the summary table (scrolled there first, as a user would).
    QTableView* table = w.overviewPanel()->metricsView();
    const QModelIndex idx = table->model()->index(27, 4);
    table->scrollTo(idx);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(idx).center());
    QCOMPARE(ctx->layer(), 27);
    QCOMPARE(ctx->head(), 4);
    QVERIFY(grid->isCellVisible(27, 4));

    // A click on L29 H8 in the head finder, then back to the overview: the grid shows it.
    ctx->select(0, 0);
    w.setView(ViewKind::Finder);
    HeadFinderPanel* finder = w.headFinderPanel();
    QAbstractItemModelTester tester(finder->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int row = finder->model()->rowOf(29, 8);
    QVERIFY(row >= 0);
    const QModelIndex fidx = finder->model()->index(row, HeadRankingModel::LayerColumn);
    finder->table()->scrollTo(fidx);
    QTest::mouseClick(finder->table()->viewport(), Qt::LeftButton, {}, finder->table()->visualRect(fidx).center());
    QCOMPARE(ctx->layer(), 29);
    QCOMPARE(ctx->head(), 8);
    w.setView(ViewKind::Overview);
    QVERIFY(grid->isCellVisible(29, 8));
    // Double-click opens the head in the head view.
    w.setView(ViewKind::Finder);
    const QModelIndex top = finder->model()->index(0, HeadRankingModel::LayerColumn);
    finder->table()->scrollTo(top);
    const QPoint at = finder->table()->visualRect(top).center();
    QTest::mouseClick(finder->table()->viewport(), Qt::LeftButton, {}, at);   // a real double-click starts with a click
    QTest::mouseDClick(finder->table()->viewport(), Qt::LeftButton, {}, at);
    QCOMPARE(ctx->view(), ViewKind::Head);
    QCOMPARE(ctx->layer(), top.data(HeadRankingModel::LayerRole).toInt());
    // The finder ranks by any score; the first row has the highest.
    finder->rankBy(HeadMetric::PrevToken);
    const MetricsTable& t = ctx->metricsTable();
    const RankedHead first = finder->model()->ranking().front();
    for (int l = 0; l < t.layers; ++l)
        for (int h = 0; h < t.heads; ++h)
            QVERIFY(t.value(l, h, HeadMetric::PrevToken) <= first.score);
}

void TestUiNavigation::keyboardNavigation()
{
    MainWindow& w = *m_window;
    feed(30, 9, 3);
    SessionContext* ctx = w.context();
    w.setView(ViewKind::Overview);
    OverviewGrid* grid = w.overviewPanel()->grid();
    grid->setFocus();
    ctx->select(0, 4);
    QTest::keyClick(grid, Qt::Key_End);
    QCOMPARE(ctx->layer(), 29);
    QCOMPARE(ctx->head(), 4);
    QVERIFY(grid->isCellVisible(29, 4));
    QTest::keyClick(grid, Qt::Key_Home);
    QCOMPARE(ctx->layer(), 0);
    QTest::keyClick(grid, Qt::Key_Down);
    QTest::keyClick(grid, Qt::Key_Right);
    QCOMPARE(ctx->layer(), 1);
    QCOMPARE(ctx->head(), 5);
    QTest::keyClick(grid, Qt::Key_PageDown);
    QVERIFY(ctx->layer() > 2);
    QVERIFY(grid->isCellVisible(ctx->layer(), 5));
    QTest::keyClick(grid, Qt::Key_End, Qt::ControlModifier);
    QCOMPARE(ctx->layer(), 29);
    QCOMPARE(ctx->head(), 8);
    QTest::keyClick(grid, Qt::Key_Return);
    QCOMPARE(ctx->view(), ViewKind::Head);

    w.setView(ViewKind::Token);
    TokenViewPanel* tv = w.tokenViewPanel();
    QVERIFY(tv->hasFocus());
    ctx->setQuery(4);
    QTest::keyClick(tv, Qt::Key_Right);
    QCOMPARE(ctx->query(), 5);
    QTest::keyClick(tv, Qt::Key_Left);
    QTest::keyClick(tv, Qt::Key_Left);
    QCOMPARE(ctx->query(), 3);
    QTest::keyClick(tv, Qt::Key_End);
    QCOMPARE(ctx->query(), kTokens - 1);
    QTest::keyClick(tv, Qt::Key_Home);
    QCOMPARE(ctx->query(), 0);
    QTest::keyClick(tv, Qt::Key_PageDown);
    QCOMPARE(ctx->query(), 9);   // +10, clamped to the last token
    const int layer = ctx->layer();
    QTest::keyClick(tv, Qt::Key_Up);
    QCOMPARE(ctx->layer(), layer - 1);

    w.setView(ViewKind::Key);
    KeyViewPanel* kv = w.keyViewPanel();
    ctx->setKey(2);
    QTest::keyClick(kv, Qt::Key_Right);
    QCOMPARE(ctx->key(), 3);
    QTest::keyClick(kv, Qt::Key_Home);
    QCOMPARE(ctx->key(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!kv->isBusy(), 5000);
    // Key 0 receives what the synthetic maps give the first token: equal to the sink share of that head.
    QVERIFY(std::abs(kv->receivedModel()->value(3, 2) - ctx->metricsTable().value(3, 2, HeadMetric::SinkShare)) < 1e-6);
}

void TestUiNavigation::findMovesQueryOrKey()
{
    MainWindow& w = *m_window;
    feed(30, 9, 3);
    SessionContext* ctx = w.context();
    w.setView(ViewKind::Token);
    ctx->setQuery(0);
    QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
    TokenFindBar* bar = w.findBar();
    QVERIFY(bar->isVisible());
    QVERIFY(bar->edit()->hasFocus());
    QTest::keyClicks(bar->edit(), QStringLiteral("W3"));   // ASCII case does not matter
    QCOMPARE(bar->matchCount(), 2);                        // " w3" at 3 and 8
    QCOMPARE(ctx->query(), 3);
    QTest::keyClick(bar->edit(), Qt::Key_Return);
    QCOMPARE(ctx->query(), 8);
    QTest::keyClick(bar->edit(), Qt::Key_Return);
    QCOMPARE(ctx->query(), 3);   // wraps
    QTest::keyClick(bar->edit(), Qt::Key_Return, Qt::ShiftModifier);
    QCOMPARE(ctx->query(), 8);
    // In the key view the search moves the key instead.
    w.setView(ViewKind::Key);
    ctx->setKey(0);
    bar->edit()->clear();
    QTest::keyClicks(bar->edit(), QStringLiteral("w5"));
    QCOMPARE(ctx->key(), 5);
    QCOMPARE(ctx->query(), 8);
    QTest::keyClick(bar->edit(), Qt::Key_Escape);
    QVERIFY(!bar->isVisible());
}

void TestUiNavigation::headViewClicksPickTheQuery()
{
    MainWindow& w = *m_window;
    feed(30, 9, 3);
    SessionContext* ctx = w.context();
    w.setView(ViewKind::Head);
    ctx->select(2, 1);
    HeadViewPanel* hv = w.headViewPanel();
    QTRY_VERIFY_WITH_TIMEOUT(hv->shownLayer() == 2 && hv->shownHead() == 1 && !hv->isBusy(), 5000);
    AttentionPlot* plot = hv->plot();
    plot->replot();
    // Tick labels on the first display: every token labels its row.
    QCOMPARE(plot->yAxis->tickVectorLabels().size(), kTokens);
    const QPoint cell(int(plot->xAxis->coordToPixel(1)), int(plot->yAxis->coordToPixel(6)));
    QTest::mouseClick(plot, Qt::LeftButton, {}, cell);
    QCOMPARE(ctx->query(), 6);
    QCOMPARE(ctx->key(), 1);
    QCOMPARE(plot->queryRow(), 6);   // the query row is marked
    // A click on a row label (left of the data area).
    const QPoint label(plot->axisRect()->left() - 12, int(plot->yAxis->coordToPixel(4)));
    QTest::mouseClick(plot, Qt::LeftButton, {}, label);
    QCOMPARE(ctx->query(), 4);
    QCOMPARE(plot->queryRow(), 4);
    // Hovering outlines the cell.
    QTest::mouseMove(plot, QPoint(int(plot->xAxis->coordToPixel(2)), int(plot->yAxis->coordToPixel(7))));
    QTRY_COMPARE(plot->hoveredCell(), QPoint(7, 2));
}

void TestUiNavigation::undoRedoRoundTrips()
{
    MainWindow& w = *m_window;
    feed(30, 9, 3);
    SessionContext* ctx = w.context();
    w.setView(ViewKind::Head);
    AttentionPlot* plot = w.headViewPanel()->plot();
    QUndoStack* stack = w.undoStack();
    ctx->select(1, 1);
    ctx->setQuery(2);
    QTRY_VERIFY(w.isSettled());
    QTest::qWait(10);
    stack->clear();
    const ViewState s0 = w.history()->current();

    ctx->select(4, 5);                                     // head and layer
    QTest::qWait(5);
    ctx->setQuery(7);                                      // query
    QTest::qWait(5);
    ViewSettings vs = ctx->viewSettings();
    vs.colormap = Colormap::Magma;                         // colormap
    ctx->setViewSettings(vs);
    QTest::qWait(5);
    vs.scale = ScaleKind::Log;                             // scale
    vs.normalisation = Normalisation::PerRow;              // range (the same user step here)
    ctx->setViewSettings(vs);
    QTest::qWait(5);
    QTRY_VERIFY(w.isSettled());
    plot->setFocus();
    QTest::keyClick(plot, Qt::Key_Plus);                   // zoom
    const ViewState s5 = w.history()->current();
    QCOMPARE(stack->count(), 5);
    QVERIFY(s5.zoomX.size() < s0.zoomX.size());

    stack->undo();   // zoom
    QCOMPARE(plot->xAxis->range().size(), s0.zoomX.size());
    stack->undo();   // scale + range
    QCOMPARE(ctx->viewSettings().scale, ScaleKind::Power);
    QCOMPARE(ctx->viewSettings().normalisation, Normalisation::Global);
    QCOMPARE(ctx->viewSettings().colormap, Colormap::Magma);
    stack->undo();   // colormap
    QCOMPARE(ctx->viewSettings().colormap, Colormap::Viridis);
    stack->undo();   // query
    QCOMPARE(ctx->query(), 2);
    QCOMPARE(ctx->layer(), 4);
    stack->undo();   // head and layer
    QCOMPARE(ctx->layer(), 1);
    QCOMPARE(ctx->head(), 1);
    QCOMPARE(w.history()->current(), s0);
    QVERIFY(!stack->canUndo());
    for (int i = 0; i < 5; ++i)
        stack->redo();
    QCOMPARE(w.history()->current(), s5);
    QCOMPARE(ctx->layer(), 4);
    QCOMPARE(ctx->query(), 7);
    QCOMPARE(ctx->viewSettings().scale, ScaleKind::Log);
    // Ctrl+Z and Ctrl+Shift+Z reach the stack from the views.
    QTest::keyClick(plot, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(plot->xAxis->range().size(), s0.zoomX.size());
    QTest::keyClick(plot, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(plot->xAxis->range().size() < s0.zoomX.size());
}

QTEST_MAIN(TestUiNavigation)
#include "test_ui_navigation.moc"
