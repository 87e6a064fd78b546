// The differential and sink views on the tiny fixtures (tests/fixtures/make_diff_sink_models.py), offscreen:
// A1, λ·A2 and A1 − λ·A2 of a DiffLlama head on one shared scale and a zero-centred one, λ per layer and head,
// the noise-cancellation numbers after a drag over the token strip equal core's measure, a model without
// differential heads says so; the sink view's heatmap, table and sink rate equal the layer reports (learned-sink
// mass for gpt-oss, first-token share otherwise), the threshold re-reads the rate, runs are pinned and overlaid,
// and a variant typed in the view reruns the prompt under it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "window_run.h"
#include "core/backend/backend_set.h"
#include "core/metrics/noise_cancellation.h"
#include "kernels/backends/register_backends.h"
#include "ui/main_window.h"
#include "ui/models/token_list_model.h"
#include "ui/panels/differential_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/layer_head_heatmap.h"
#include "ui/widgets/token_strip.h"

#include <QChart>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

#include <cmath>

using namespace attnscope;

namespace {

const QString kText = QStringLiteral("The first token is an attention sink, and a sliding window of four keys hides it.");

QString fixture(const char* name)
{
    return QStringLiteral(ATTNSCOPE_TEST_FIXTURES "/tiny/") + QString::fromLatin1(name);
}

} // namespace

class TestUiDiffSinkViews : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void differentialViewShowsTheThreeMaps();
    void draggedSpanGivesCoresNoiseMeasure();
    void modelWithoutDifferentialHeadsSaysSo();
    void sinkViewShowsLearnedSinkMassAndTheRate();
    void pinnedRunsAndAVariantOverlay();

private:
    bool openAndRun(const QString& model, const QString& text = kText);
    std::unique_ptr<MainWindow> m_window;
};

void TestUiDiffSinkViews::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2)),
                                            /*persistent=*/false);
    m_window->setErrorDialogsEnabled(false);
    m_window->resize(1600, 1000);
    m_window->show();
}

bool TestUiDiffSinkViews::openAndRun(const QString& model, const QString& text)
{
    return test::openAndRun(*m_window, model, text);
}

void TestUiDiffSinkViews::differentialViewShowsTheThreeMaps()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-diffllama")));
    w.setView(ViewKind::Differential);
    DifferentialPanel* p = w.differentialPanel();
    QSignalSpy rendered(p, &DifferentialPanel::rendered);
    w.context()->select(2, 1);
    QTRY_VERIFY(p->shownLayer() == 2 && p->shownHead() == 1 && !p->isBusy());
    for (auto k : {DifferentialPanel::A1, DifferentialPanel::LambdaA2, DifferentialPanel::Difference})
        QVERIFY(p->plot(k)->hasHeatmap());

    const AttentionMapPtr a1 = w.context()->map(2, 1);
    const AttentionMapPtr a2 = w.context()->map(Quantity::AttentionProbs2, 2, 1);
    const AttentionMapPtr d = w.context()->map(Quantity::AttentionCombined, 2, 1);
    const CapturedSeriesPtr lam = w.context()->series(Quantity::Lambda, 2, 1);
    QVERIFY(a1 && a2 && d && lam);
    QCOMPARE(lam->values.size(), size_t(1));   // V1: one λ per layer
    // One shared scale: the larger of max A1 and max λ·A2; the difference symmetric around 0 at max |D|.
    double maxA1 = 0, maxLA2 = 0, maxD = 0;
    for (int64_t i = 0; i < a1->tokens; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            maxA1 = std::max(maxA1, double(a1->at(i, j)));
            maxLA2 = std::max(maxLA2, double(lam->values[0] * a2->at(i, j)));
            maxD = std::max(maxD, std::fabs(double(d->at(i, j))));
        }
    QVERIFY(std::fabs(p->sharedRange() - std::max(maxA1, maxLA2)) < 1e-6);
    QVERIFY(std::fabs(p->differenceRange() - maxD) < 1e-6);
    // λ·A2 on screen is A1 − D (what the subtraction removes); the hover says "value" on the signed map.
    const QString hover = p->plot(DifferentialPanel::Difference)->hoverText(10, 3);
    QVERIFY2(hover.contains(QStringLiteral("value")), qPrintable(hover));
    QVERIFY(p->plot(DifferentialPanel::A1)->hoverText(10, 3).contains(QStringLiteral("weight")));
    // λ per layer and head: the captured λ of every head, the selected one outlined.
    LayerHeadHeatmap* lm = p->lambdaMap();
    QCOMPARE(lm->layers(), 3);
    QCOMPARE(lm->heads(), 4);
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 4; ++h)
            QCOMPARE(lm->value(l, h), double(w.context()->series(Quantity::Lambda, l, h)->values[0]));
    // Clicking a λ cell selects that head for the maps.
    QTest::mouseClick(lm, Qt::LeftButton, {}, QPoint(static_cast<int>(lm->xAxis->coordToPixel(3)),
                                                     static_cast<int>(lm->yAxis->coordToPixel(0))));
    QCOMPARE(w.context()->layer(), 0);
    QCOMPARE(w.context()->head(), 3);
    QTRY_VERIFY(p->shownLayer() == 0 && p->shownHead() == 3 && !p->isBusy());
}

void TestUiDiffSinkViews::draggedSpanGivesCoresNoiseMeasure()
{
    MainWindow& w = *m_window;
    DifferentialPanel* p = w.differentialPanel();
    w.setView(ViewKind::Differential);
    w.context()->select(2, 1);
    TokenStrip* strip = p->spanStrip();
    QTRY_VERIFY(strip->isVisible() && strip->model()->rowCount() > 10);
    // Drag from token 4 to token 7: the span is keys [4, 8).
    const QRect r4 = strip->visualRect(strip->model()->index(4, 0)), r7 = strip->visualRect(strip->model()->index(7, 0));
    QVERIFY(r4.isValid() && r7.isValid());
    QSignalSpy measured(p, &DifferentialPanel::measured);
    QTest::mousePress(strip->viewport(), Qt::LeftButton, {}, r4.center());
    QMouseEvent move(QEvent::MouseMove, r7.center(), strip->viewport()->mapToGlobal(r7.center()), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(strip->viewport(), &move);
    QTest::mouseRelease(strip->viewport(), Qt::LeftButton, {}, r7.center());
    QCOMPARE(p->signalSpan().begin, 4);
    QCOMPARE(p->signalSpan().end, 8);
    QTRY_VERIFY(!p->isBusy() && p->headMeasure().rows > 0);

    const NoiseCancellation ref = measureNoiseCancellation(*w.context()->map(2, 1),
                                                          *w.context()->map(Quantity::AttentionCombined, 2, 1), {4, 8});
    QCOMPARE(p->headMeasure().rows, ref.rows);
    QCOMPARE(p->headMeasure().before.signal, ref.before.signal);
    QCOMPARE(p->headMeasure().after.noise, ref.after.noise);
    QCOMPARE(p->headMeasure().negativeShare(), ref.negativeShare());
    std::vector<NoiseCancellation> all;
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 4; ++h)
            all.push_back(measureNoiseCancellation(*w.context()->map(l, h),
                                                   *w.context()->map(Quantity::AttentionCombined, l, h), {4, 8}));
    const NoiseCancellation avg = averageNoiseCancellation(all);
    QCOMPARE(p->averagedHeads(), 12);
    QVERIFY(std::fabs(p->averageMeasure().after.snr() - avg.after.snr()) < 1e-12);
    // The table shows them: row A1 − λ·A2, column "SNR (head)".
    QCOMPARE(p->measureTable()->item(2, 2)->text(), QString::number(ref.after.snr(), 'g', 3));
    QVERIFY(p->summaryLabel()->text().contains(QStringLiteral("SNR gain")));
    // Set programmatically (the --signal-span option), then cleared.
    p->setSignalSpan({1, 3});
    QTRY_VERIFY(p->signalSpan().begin == 1 && p->signalSpan().end == 3 && !p->isBusy());
    QCOMPARE(p->headMeasure().rows, int64_t(w.context()->tokenCount() - 3));
    p->setSignalSpan({});
    QTRY_VERIFY(p->headMeasure().rows == 0);
}

void TestUiDiffSinkViews::modelWithoutDifferentialHeadsSaysSo()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-llama")));
    w.setView(ViewKind::Differential);
    DifferentialPanel* p = w.differentialPanel();
    QTRY_VERIFY(!p->isBusy());
    QVERIFY(!p->plot(DifferentialPanel::A1)->hasHeatmap());
    QVERIFY2(p->plot(DifferentialPanel::A1)->title().contains(QStringLiteral("no differential heads")),
             qPrintable(p->plot(DifferentialPanel::A1)->title()));
    QCOMPARE(p->lambdaMap()->layers(), 0);
}

void TestUiDiffSinkViews::sinkViewShowsLearnedSinkMassAndTheRate()
{
    MainWindow& w = *m_window;
    QVERIFY(openAndRun(fixture("tiny-gpt-oss")));
    w.setView(ViewKind::Sink);
    SinkPanel* s = w.sinkPanel();
    QTRY_VERIFY(s->heatmap()->layers() == 3);
    QCOMPARE(s->metric(), SinkPanel::Metric::SinkMass);   // a model with learned sinks shows their mass
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 4; ++h) {
            const CapturedSeriesPtr sp = w.context()->series(Quantity::SinkProb, l, h);
            QVERIFY(sp);
            double mean = 0;
            for (float v : sp->values)
                mean += v;
            mean /= double(sp->values.size());
            QVERIFY(std::fabs(s->heatmap()->value(l, h) - mean) < 1e-9);
        }
    QTableWidget* t = s->table();
    QCOMPARE(t->rowCount(), 3);
    const LayerReport* r1 = w.context()->layerReport(1);
    QVERIFY(r1 && r1->sinkMass);
    QCOMPARE(t->item(1, 2)->text(), QString::number(*r1->sinkMass, 'f', 3));
    QCOMPARE(t->item(1, 4)->text(), QString::number(r1->maxAbsHidden, 'g', 4));
    QCOMPARE(t->item(1, 6)->text(), QString::number(r1->maxDim));
    // The threshold re-reads α: the rate equals the report's at every ε.
    for (double eps : {0.0, 0.05, 0.3}) {
        s->setThreshold(eps);
        QCOMPARE(s->sinkRate(), *w.context()->modelReport().sinkRate(eps));
        QVERIFY(s->rateLabel()->text().contains(QString::number(eps, 'f', 2)));
    }
    s->setThreshold(0.3);
    // The first-token share is still there to compare with models without sinks.
    s->setMetric(SinkPanel::Metric::FirstTokenShare);
    QCOMPARE(s->heatmap()->value(0, 0), r1 ? w.context()->layerReport(0)->firstTokenSharePerHead[0] : 0.0);
}

void TestUiDiffSinkViews::pinnedRunsAndAVariantOverlay()
{
    MainWindow& w = *m_window;
    SinkPanel* s = w.sinkPanel();
    s->clearPinned();
    QVERIFY(openAndRun(fixture("tiny-llama")));
    w.setView(ViewKind::Sink);
    QTRY_VERIFY(s->heatmap()->layers() == 2);
    QCOMPARE(s->metric(), SinkPanel::Metric::FirstTokenShare);   // no sinks: the first-token share
    s->pinCurrent();
    QCOMPARE(s->pinned().size(), 1);
    QCOMPARE(s->pinned()[0].firstTokenShare.size(), 2);
    // A malformed variant says why; a valid one reruns the prompt under it.
    s->variantEdit()->setText(QStringLiteral("sink:nonsense=3"));
    QTest::keyClick(s->variantEdit(), Qt::Key_Return);
    QVERIFY(s->variantError()->isVisibleTo(s));
    QVERIFY(!s->variantError()->text().isEmpty());
    s->variantEdit()->setText(QStringLiteral("sink:logit=0"));
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    QTest::keyClick(s->variantEdit(), Qt::Key_Return);
    QVERIFY(finished.wait(60000));
    QTRY_VERIFY(w.isSettled());
    QVERIFY(!s->variantError()->isVisibleTo(s));
    QVERIFY2(w.context()->runLabel().contains(QStringLiteral("sink")), qPrintable(w.context()->runLabel()));
    // The sink variant adds a sink column to every head: its mass is captured like gpt-oss's.
    QVERIFY(w.context()->captures().has(Quantity::SinkProb));
    QTRY_COMPARE(s->curveChart()->series().size(), 2);   // the pinned baseline and the variant on screen
    for (int k = 0; k < 3; ++k)
        s->pinCurrent();
    QCOMPARE(s->pinned().size(), SinkPanel::kMaxCurves - 1);   // the oldest made room
    QCOMPARE(s->curveChart()->series().size(), SinkPanel::kMaxCurves);
}

QTEST_MAIN(TestUiDiffSinkViews)
#include "test_ui_diff_sink_views.moc"
