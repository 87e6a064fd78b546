// The Gates view on the real window with the tiny gated checkpoints (tests/fixtures/make_gated_models.py):
// the heads × tokens grid holds each head's gate (the mean over its dims for an elementwise gate) as captured,
// the drill-down shows the selected head's dims, the histogram and its numbers cover the layer and the whole
// model, the norms before/after the gate per head, and the query-linked charts read the map row and each head's
// attention to token 0 beside its gate; a click on the grid picks the head and the query. Qwen3-Next's Gated
// DeltaNet layers show β, decay and SiLU(z) per value head and say "no softmax map" in the head view; a model
// without gates says why the view is empty. Screenshots of every case at 1600×1000 and 1280×800 go to
// ATTNSCOPE_TEST_TMP for a look.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "window_run.h"
#include "core/backend/backend_set.h"
#include "kernels/backends/register_backends.h"
#include "ui/main_window.h"
#include "ui/models/head_metrics_model.h"
#include "ui/panels/gate_view_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/gate_grid_plot.h"
#include "ui/widgets/gate_histogram_chart.h"
#include "ui/widgets/small_bar_chart.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <cmath>

using namespace attnscope;

namespace {

const QString kText = QStringLiteral("Gates close where heads attend to the first token.");

QString fixture(const char* name)
{
    return QStringLiteral(ATTNSCOPE_TEST_FIXTURES "/tiny/") + QString::fromLatin1(name);
}

QString shotDir()
{
    const QString d = qEnvironmentVariable("ATTNSCOPE_TEST_TMP");
    return d.isEmpty() ? QDir::tempPath() : d;
}

} // namespace

class TestUiGates : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void elementwiseGridHistogramNormsAndQueryLink();
    void headwiseGateHasNoDimsPlot();
    void deltaNetLayersShowBetaDecayAndZGate();
    void modelWithoutGatesSaysWhy();

private:
    bool openAndRun(const QString& path);
    void shoot(const QString& name);
    std::unique_ptr<MainWindow> m_window;
};

void TestUiGates::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2)),
                                            /*persistent=*/false);
    m_window->resize(1600, 1000);
    m_window->show();
}

void TestUiGates::cleanupTestCase()
{
    m_window.reset();
}

bool TestUiGates::openAndRun(const QString& path)
{
    return test::openAndRun(*m_window, path, kText);
}

void TestUiGates::shoot(const QString& name)
{
    for (const QSize size : {QSize(1600, 1000), QSize(1280, 800)}) {
        m_window->resize(size);
        QTest::qWait(150);
        QVERIFY(m_window->grab().save(shotDir() + QStringLiteral("/gates-%1-%2x%3.png").arg(name).arg(size.width()).arg(size.height())));
    }
    m_window->resize(1600, 1000);
}

void TestUiGates::elementwiseGridHistogramNormsAndQueryLink()
{
    QVERIFY(openAndRun(fixture("tiny-qwen3-gate-elementwise")));
    MainWindow& w = *m_window;
    SessionContext* ctx = w.context();
    GateViewPanel* g = w.gateViewPanel();
    w.setView(ViewKind::Gates);
    ctx->select(1, 2);
    ctx->setQuery(14);
    QVERIFY(g->emptyReason().isEmpty());
    QCOMPARE(g->shownQuantity(), Quantity::Gate);
    QVERIFY(g->headsPlot()->hasGrid());
    QVERIFY(g->dimsPlot()->isVisible());
    QVERIFY(g->dimsPlot()->hasGrid());

    // The grid cell is the mean over the head's 16 dims of the captured gate.
    CapturedSeriesPtr gate = ctx->series(Quantity::Gate, 1, 2);
    QVERIFY(gate);
    QCOMPARE(gate->shape, (std::vector<int64_t>{ctx->tokenCount(), 16}));
    double sum = 0;
    for (int j = 0; j < 16; ++j)
        sum += gate->values[static_cast<size_t>(14 * 16 + j)];
    QVERIFY(std::fabs(g->headsPlot()->valueAt(2, 14) - sum / 16) < 1e-6);
    QVERIFY(std::fabs(g->dimsPlot()->valueAt(5, 14) - gate->values[static_cast<size_t>(14 * 16 + 5)]) < 1e-7);

    // Histogram of the layer and the whole model, with the sparsity numbers.
    QVERIFY(g->histogram()->seriesCount() >= 2);
    QVERIFY2(g->statsLabel()->text().contains(QStringLiteral("below 0.5")), qPrintable(g->statsLabel()->text()));
    QVERIFY(g->statsLabel()->text().contains(QStringLiteral("Whole model")));
    // Norms before and after, per head.
    QCOMPARE(g->normsChart()->barSetCount(), 2);
    QVERIFY(g->normsLabel()->text().contains(QStringLiteral("removes")));
    // Linked to the map: the query's row and every head's attention to token 0 beside its gate.
    AttentionMapPtr map = ctx->map(1, 2);
    QVERIFY(map);
    QVERIFY2(g->rowChart()->title().contains(QStringLiteral("Query #14")), qPrintable(g->rowChart()->title()));
    QVERIFY(g->rowChart()->title().contains(QString::number(map->at(14, 0), 'f', 3)));
    QCOMPARE(g->headsAtQueryChart()->barSetCount(), 2);

    // A click on the grid picks the head and the query.
    GateGridPlot* plot = g->headsPlot();
    const QPoint at(static_cast<int>(plot->xAxis->coordToPixel(20)), static_cast<int>(plot->yAxis->coordToPixel(3)));
    QCOMPARE(plot->cellAt(at), QPoint(3, 20));
    QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, at);
    QCOMPARE(ctx->head(), 3);
    QCOMPARE(ctx->query(), 20);
    QVERIFY(g->rowChart()->title().contains(QStringLiteral("Query #20")));
    shoot(QStringLiteral("elementwise"));
}

void TestUiGates::headwiseGateHasNoDimsPlot()
{
    QVERIFY(openAndRun(fixture("tiny-qwen3-gate-headwise")));
    GateViewPanel* g = m_window->gateViewPanel();
    m_window->setView(ViewKind::Gates);
    m_window->context()->select(0, 1);
    QVERIFY(g->headsPlot()->hasGrid());
    QVERIFY(!g->dimsPlot()->isVisible());
    CapturedSeriesPtr gate = m_window->context()->series(Quantity::Gate, 0, 1);
    QVERIFY(gate);
    QCOMPARE(gate->shape, (std::vector<int64_t>{m_window->context()->tokenCount()}));
    QVERIFY(std::fabs(g->headsPlot()->valueAt(1, 4) - gate->values[4]) < 1e-7);
    shoot(QStringLiteral("headwise"));
}

void TestUiGates::deltaNetLayersShowBetaDecayAndZGate()
{
    QVERIFY(openAndRun(fixture("tiny-qwen3-next")));
    MainWindow& w = *m_window;
    SessionContext* ctx = w.context();
    GateViewPanel* g = w.gateViewPanel();
    QVERIFY(!ctx->hasSoftmaxMap(0));
    QVERIFY(ctx->hasSoftmaxMap(1));
    QVERIFY(ctx->metricsModel()->index(0, 0).data(HeadMetricsModel::NoMapRole).toBool());
    // The head view says why layer 0 has no map.
    w.setView(ViewKind::Head);
    ctx->select(0, 0);
    QTRY_VERIFY(w.headViewPanel()->plot()->title().contains(QStringLiteral("no softmax map")));

    w.setView(ViewKind::Gates);
    ctx->setQuery(10);
    QVERIFY(g->sourceCombo()->isVisible());
    QCOMPARE(g->shownQuantity(), Quantity::DeltaBeta);
    QVERIFY(g->headsPlot()->hasGrid());
    QVERIFY(!g->rowChart()->isVisible());
    CapturedSeriesPtr beta = ctx->series(Quantity::DeltaBeta, 0, 3);
    QVERIFY(beta);
    QVERIFY(std::fabs(g->headsPlot()->valueAt(3, 10) - beta->values[10]) < 1e-7);
    shoot(QStringLiteral("deltanet-beta"));
    g->sourceCombo()->setCurrentIndex(2);
    QCOMPARE(g->shownQuantity(), Quantity::DeltaOutputGate);
    QVERIFY(g->dimsPlot()->isVisible());
    QVERIFY(g->headsPlot()->title().contains(QStringLiteral("SiLU(z)")));
    shoot(QStringLiteral("deltanet-zgate"));
    g->sourceCombo()->setCurrentIndex(0);
    // The gated softmax layer next to it shows the output gate.
    ctx->select(1, 0);
    QCOMPARE(g->shownQuantity(), Quantity::Gate);
    QVERIFY(!g->sourceCombo()->isVisible());
    QVERIFY(g->headsPlot()->hasGrid());
    shoot(QStringLiteral("qwen3-next"));
}

void TestUiGates::modelWithoutGatesSaysWhy()
{
    QVERIFY(openAndRun(fixture("tiny-qwen3")));
    m_window->setView(ViewKind::Gates);
    const QString why = m_window->gateViewPanel()->emptyReason();
    QVERIFY2(why.contains(QStringLiteral("has no gates")), qPrintable(why));
    shoot(QStringLiteral("no-gates"));
}

QTEST_MAIN(TestUiGates)
#include "test_ui_gates.moc"
