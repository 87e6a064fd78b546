// The compare workspace on the tiny HF checkpoints (tests/fixtures/tiny, no download): the variant editor
// validates as you type with core's parser (a bad key is named, a good spec becomes canonical, the model's layer
// count is enforced); a comparison runs through the bridge and the panes follow the selected layer and head, one
// zoom and one hovered cell; the difference pane holds variant − baseline cell by cell, under symmetric limits;
// the per-position KL curve has one point per token and hovering it selects that token's row; encoders get the
// cosine curve; sessions keep the variants (and older sessions without them still load); bad specs and prompts
// over the context are reported without losing the prompt.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "kernels/backends/register_backends.h"
#include "ui/compare/compare_metrics_model.h"
#include "ui/compare/compare_pane.h"
#include "ui/compare/compare_plot.h"
#include "ui/compare/compare_workspace.h"
#include "ui/render/difference_map.h"
#include "ui/compare/kl_curve_view.h"
#include "ui/compare/mass_outside_model.h"
#include "ui/compare/variant_editor.h"
#include "core/metrics/streaming_head_stats.h"
#include "ui/main_window.h"
#include "ui/session_bridge.h"
#include "ui/session_file.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProcess>
#include <QListWidget>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace attnscope;

namespace {

QString tinyModel(const char* name)
{
    return QStringLiteral(ATTNSCOPE_TEST_FIXTURES "/tiny/") + QString::fromLatin1(name);
}

const QString kText = QStringLiteral("The first token is an attention sink, and a sliding window of four keys hides it "
                                     "from later rows.");

QCPColorScale* colorScaleOf(QCustomPlot* plot)
{
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i)
        if (auto* s = qobject_cast<QCPColorScale*>(plot->plotLayout()->elementAt(i)))
            return s;
    return nullptr;
}

} // namespace

class TestUiCompare : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void editorValidatesAsYouType();
    void editorChecksTheModel();
    void differenceMapIsCellwise();
    void compareFillsPanesTablesAndCurve();
    void panesFollowLayerHeadZoomAndHover();
    void differencePaneIsVariantMinusBaseline();
    void curveHoverSelectsTheQueryRow();
    void encoderGetsTheCosineCurve();
    void sessionKeepsTheVariants();
    void badSpecAndLongPromptAreReported();
    void longPromptComparesWithoutMaps();
    void longComparePanesArePooledGrids();
    void commandLineRefusesABadVariant();
    void scriptedCompareScreenshot();

private:
    void openModel(const QString& path);
    void compareAndWait(const QStringList& variants);
    std::unique_ptr<MainWindow> m_window;
    CompareWorkspace* ws() const { return m_window->compareWorkspace(); }
};

void TestUiCompare::initTestCase()
{
    m_window = std::make_unique<MainWindow>(std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2)),
                                            /*persistent=*/false);
    m_window->setErrorDialogsEnabled(false);
    m_window->resize(1500, 950);
    m_window->show();
    m_window->setView(ViewKind::Compare);
}

void TestUiCompare::cleanupTestCase()
{
    m_window.reset();
}

void TestUiCompare::openModel(const QString& path)
{
    QSignalSpy opened(m_window->bridge(), &SessionBridge::modelOpened);
    m_window->openModel(path);
    QVERIFY(opened.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
}

void TestUiCompare::compareAndWait(const QStringList& variants)
{
    ws()->editor()->setVariantTexts(variants);
    QSignalSpy ended(ws(), &CompareWorkspace::compareEnded);
    QVERIFY(ws()->startCompare());
    QVERIFY(ended.wait(60000));
    QCOMPARE(ended.first().first().toBool(), true);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
}

void TestUiCompare::editorValidatesAsYouType()
{
    VariantEditor ed;
    ed.show();
    ed.addVariant(QStringLiteral("sliding:window=64"));
    QCOMPARE(ed.variantTexts(), QStringList{QStringLiteral("sliding:window=64")});

    // A misspelt key in the raw field: the error names it, the list keeps the text as typed.
    ed.rawEdit()->clear();
    QTest::keyClicks(ed.rawEdit(), QStringLiteral("sliding:windw=64"));
    QVERIFY(ed.errorLabel()->isVisibleTo(&ed));
    QVERIFY2(ed.errorLabel()->text().contains(QStringLiteral("windw")), qPrintable(ed.errorLabel()->text()));
    QVERIFY(ed.errorLabel()->text().contains(QStringLiteral("window")));   // and says which keys exist
    QCOMPARE(ed.variantTexts().first(), QStringLiteral("sliding:windw=64"));
    std::vector<AttentionSpec> specs;
    QString why;
    QVERIFY(!ed.specs(specs, &why));
    QVERIFY(why.contains(QStringLiteral("windw")));

    // A good spec in another order: the form follows, and finishing the edit makes it canonical.
    ed.rawEdit()->clear();
    QTest::keyClicks(ed.rawEdit(), QStringLiteral("sliding: sinks=4, window=64"));
    QVERIFY(!ed.errorLabel()->isVisibleTo(&ed));
    QCOMPARE(ed.kindCombo()->currentData().toString(), QStringLiteral("sliding"));
    QVERIFY(ed.paramEdit(QStringLiteral("window")));
    QCOMPARE(ed.paramEdit(QStringLiteral("window"))->text(), QStringLiteral("64"));
    QCOMPARE(ed.paramEdit(QStringLiteral("sinks"))->text(), QStringLiteral("4"));
    QTest::keyClick(ed.rawEdit(), Qt::Key_Return);
    QCOMPARE(ed.rawEdit()->text(), QStringLiteral("sliding:window=64,sinks=4"));
    QCOMPARE(ed.variantTexts().first(), QStringLiteral("sliding:window=64,sinks=4"));
    QVERIFY(ed.infoLabel()->text().contains(QStringLiteral("64 + 4 sinks")));

    // The form: another kind with a required key shows the missing key; filling it gives the canonical string.
    ed.kindCombo()->setCurrentIndex(ed.kindCombo()->findData(QStringLiteral("topk")));
    QVERIFY(ed.errorLabel()->isVisibleTo(&ed));
    QVERIFY2(ed.errorLabel()->text().contains(QStringLiteral("'k'")), qPrintable(ed.errorLabel()->text()));
    QVERIFY(ed.paramEdit(QStringLiteral("k")));
    QVERIFY(!ed.paramEdit(QStringLiteral("window")));   // the fields are the kind's own
    QTest::keyClicks(ed.paramEdit(QStringLiteral("k")), QStringLiteral("8"));
    QCOMPARE(ed.rawEdit()->text(), QStringLiteral("topk:k=8"));
    QTest::keyClicks(ed.layersEdit(), QStringLiteral("1, 0"));
    QCOMPARE(ed.rawEdit()->text(), QStringLiteral("topk:k=8@layers=0-1"));
    QVERIFY(!ed.errorLabel()->isVisibleTo(&ed));
    // A value out of range is named too.
    ed.paramEdit(QStringLiteral("k"))->clear();
    QTest::keyClicks(ed.paramEdit(QStringLiteral("k")), QStringLiteral("-3"));
    QVERIFY(ed.errorLabel()->text().contains(QStringLiteral("k must be")));
    QVERIFY(ed.specs(specs, &why) == false);

    // At most three variants.
    ed.addVariant(QStringLiteral("offbyone"));
    ed.addVariant(QStringLiteral("mqa"));
    ed.addVariant(QStringLiteral("linear"));
    QCOMPARE(ed.variantTexts().size(), VariantEditor::kMaxVariants);
}

void TestUiCompare::editorChecksTheModel()
{
    VariantEditor ed;
    ed.setModel(LoadedModel::open(tinyModel("tiny-llama").toStdString()));   // 2 layers, 2 K/V heads
    ed.addVariant(QStringLiteral("sliding:window=4@layers=5"));
    QVERIFY(ed.errorLabel()->text().contains(QStringLiteral("@layers")));
    QVERIFY(ed.errorLabel()->text().contains(QStringLiteral("2 layers")));
    ed.rawEdit()->setText(QString());
    QTest::keyClicks(ed.rawEdit(), QStringLiteral("gqa:groups=3"));
    QVERIFY(ed.errorLabel()->text().contains(QStringLiteral("must divide")));
    ed.rawEdit()->clear();
    QTest::keyClicks(ed.rawEdit(), QStringLiteral("gqa:groups=1"));
    QVERIFY(ed.errorLabel()->text().isEmpty());
    std::vector<AttentionSpec> specs;
    QString why;
    QVERIFY2(ed.specs(specs, &why), qPrintable(why));
    QCOMPARE(specs.size(), size_t(1));
    QCOMPARE(specs[0].kind, VariantKind::Gqa);
}

void TestUiCompare::differenceMapIsCellwise()
{
    // Hand-made 3×3 causal maps: b keeps every key, a drops key 0 from row 2 (a window of 2).
    auto make = [](std::vector<float> p, AttentionMask mask) {
        auto m = std::make_shared<AttentionMap>();
        m->tokens = 3;
        m->mask = mask;
        m->probs.assign(p.begin(), p.end());
        m->maskedRows.assign(3, 0);
        return AttentionMapPtr(m);
    };
    const AttentionMapPtr b = make({1, 0, 0, 0.6f, 0.4f, 0, 0.5f, 0.3f, 0.2f}, AttentionMask::causal());
    const AttentionMapPtr a = make({1, 0, 0, 0.6f, 0.4f, 0, 0, 0.7f, 0.3f}, AttentionMask::sliding(2));
    const AttentionMapPtr d = differenceMap(a, b);
    QVERIFY(d);
    QCOMPARE(d->quantity, Quantity::AttentionCombined);   // signed: the diverging scale
    QCOMPARE(d->at(2, 0), -0.5f);                          // what the window removed
    QCOMPARE(d->at(2, 1), 0.7f - 0.3f);
    QCOMPARE(d->at(1, 1), 0.0f);
    QVERIFY(!d->isMasked(2, 0));   // valid in the baseline, so shown
    QVERIFY(d->isMasked(0, 2));    // the future stays masked
    QVERIFY(!differenceMap(a, nullptr));
}

void TestUiCompare::compareFillsPanesTablesAndCurve()
{
    openModel(tinyModel("tiny-llama"));
    m_window->setPromptText(kText);
    QAbstractItemModelTester t1(ws()->metricsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(ws()->massModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    compareAndWait({QStringLiteral("sliding:window=4"), QStringLiteral("sliding:window=4,sinks=2")});
    CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o && o->result);
    QVERIFY(o->allLayers);   // a tiny model: every layer's maps fit
    QCOMPARE(ws()->paneCount(), 3);
    QCOMPARE(m_window->promptText(), kText);   // the prompt is untouched
    // The metrics table shows the engine's numbers.
    CompareMetricsModel* mm = ws()->metricsModel();
    QCOMPARE(mm->rowCount(), 3);
    const int ppl = mm->columnOf(CompareMetricsModel::Perplexity);
    QCOMPARE(mm->index(0, ppl).data(Qt::UserRole).toDouble(), o->result->baselinePerplexity);
    QCOMPARE(mm->index(2, ppl).data(Qt::UserRole).toDouble(), o->result->variants[1].perplexity);
    QCOMPARE(mm->index(1, mm->columnOf(CompareMetricsModel::KlMean)).data(Qt::UserRole).toDouble(), o->result->variants[0].klMean);
    QVERIFY(o->result->variants[0].klMean > 0);
    // The mass-outside grid is the current layer's.
    m_window->context()->select(1, 0);
    MassOutsideModel* mass = ws()->massModel();
    QCOMPARE(mass->layer(), 1);
    QCOMPARE(mass->rowCount(), 4 + 1);
    const int H = o->result->shape.heads;
    QCOMPARE(mass->index(3, 1).data(Qt::UserRole).toDouble(), o->result->variants[1].massOutside[size_t(1 * H + 3)]);
    QVERIFY(mass->index(3, 1).data(Qt::UserRole).toDouble() > 0);
}

void TestUiCompare::panesFollowLayerHeadZoomAndHover()
{
    CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o);
    SessionContext* ctx = m_window->context();
    for (auto [l, h] : {std::pair{1, 2}, std::pair{0, 3}}) {
        ctx->select(l, h);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
        for (int i = 0; i < ws()->paneCount(); ++i) {
            const AttentionMapPtr want = i == 0 ? o->result->baselineCaptures.map(l, h) : o->result->variants[size_t(i - 1)].captures.map(l, h);
            QVERIFY(want);
            QCOMPARE(ws()->pane(i)->source().map, want);
            QVERIFY(ws()->pane(i)->isShown());
            QVERIFY(ws()->pane(i)->plot()->title().contains(QStringLiteral("Layer %1 · Head %2").arg(l).arg(h)));
        }
        QCOMPARE(ws()->differencePane()->source().map->layer, l);
        QCOMPARE(ws()->differencePane()->source().map->head, h);
    }
    // Arrow keys in a pane move the shared selection.
    QTest::keyClick(ws()->pane(1)->plot(), Qt::Key_Right);
    QCOMPARE(ctx->head(), 0);
    QCOMPARE(ctx->layer(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);

    // Zoom one pane: every pane shows the same range.
    ComparePlot* first = ws()->pane(0)->plot();
    first->setViewRanges(QCPRange(9.5, 29.5), QCPRange(19.5, 39.5));
    for (int i = 1; i < ws()->paneCount(); ++i) {
        QCOMPARE(ws()->pane(i)->plot()->xAxis->range(), first->xAxis->range());
        QCOMPARE(ws()->pane(i)->plot()->yAxis->range(), first->yAxis->range());
    }
    QCOMPARE(ws()->differencePane()->plot()->yAxis->range(), first->yAxis->range());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);

    // Hover a cell in one pane (a real mouse move over it): the crosshair and the value appear in every pane.
    ComparePlot* second = ws()->pane(2)->plot();
    second->replot(QCustomPlot::rpImmediateRefresh);   // the layout (tick-label margins) is final
    const QPoint at(static_cast<int>(second->xAxis->coordToPixel(12)), static_cast<int>(second->yAxis->coordToPixel(30)));
    QTest::mouseMove(second, at);
    QTRY_COMPARE(second->crosshair(), QPoint(30, 12));
    for (int i = 0; i < ws()->paneCount(); ++i) {
        QCOMPARE(ws()->pane(i)->plot()->crosshair(), QPoint(30, 12));
        QVERIFY(ws()->pane(i)->valueLabel()->text().contains(ws()->pane(i)->valueText(30, 12)));
    }
    QCOMPARE(ws()->differencePane()->plot()->crosshair(), QPoint(30, 12));
    // Row 30 under a window of 4 cannot see key 12: the variants' values say so, the baseline's is a weight.
    QVERIFY(ws()->pane(1)->valueText(30, 12).startsWith(QStringLiteral("masked")));
    QCOMPARE(ws()->pane(0)->valueText(30, 12), QString::number(o->result->baselineCaptures.map(1, 0)->at(30, 12), 'g', 4));
    QVERIFY(ws()->hoverLabel()->text().contains(QStringLiteral("query #30")));
    ws()->setHoveredCell(-1, -1);
    QCOMPARE(ws()->pane(0)->plot()->crosshair(), QPoint(-1, -1));
    first->resetView();
}

void TestUiCompare::differencePaneIsVariantMinusBaseline()
{
    CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o);
    m_window->context()->select(1, 1);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
    // Default: variant 1 − the baseline.
    const AttentionMapPtr base = o->result->baselineCaptures.map(1, 1);
    const AttentionMapPtr v1 = o->result->variants[0].captures.map(1, 1);
    const AttentionMapPtr v2 = o->result->variants[1].captures.map(1, 1);
    AttentionMapPtr d = ws()->differencePane()->source().map;
    QVERIFY(d);
    QVERIFY(ws()->differencePane()->source().isSigned());
    const int T = static_cast<int>(base->tokens);
    for (auto [i, j] : {std::pair{T - 1, 0}, std::pair{T - 1, 1}, std::pair{T - 1, T - 2}, std::pair{20, 10}, std::pair{5, 5}})
        QCOMPARE(d->at(i, j), v1->at(i, j) - base->at(i, j));
    QVERIFY(d->at(20, 10) < 0);   // outside the window: the baseline's weight, taken away
    QCOMPARE(d->at(T - 1, 0), -base->at(T - 1, 0));
    // Symmetric colour limits around 0, labelled.
    QCPColorScale* scale = colorScaleOf(ws()->differencePane()->plot());
    QVERIFY(scale);
    QCOMPARE(scale->dataRange().lower, -scale->dataRange().upper);
    QVERIFY(scale->dataRange().upper > 0);
    QVERIFY(ws()->differencePane()->plot()->colorbarLabel().contains(QStringLiteral("v1 − base")));
    // Any two panes: variant 2 − variant 1 (the sinks the first variant dropped).
    ws()->setDifference(2, 1);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
    d = ws()->differencePane()->source().map;
    QCOMPARE(d->at(T - 1, 0), v2->at(T - 1, 0) - v1->at(T - 1, 0));
    QVERIFY(d->at(T - 1, 0) > 0);
    QVERIFY(ws()->differencePane()->plot()->colorbarLabel().contains(QStringLiteral("v2 − v1")));
    ws()->setDifference(1, 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
}

void TestUiCompare::curveHoverSelectsTheQueryRow()
{
    CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o);
    const int T = static_cast<int>(o->result->shape.tokens);
    KlCurveView* curve = ws()->curve();
    QCOMPARE(curve->curveCount(), 2);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(curve->series(i)->count(), T);
        QCOMPARE(curve->series(i)->at(7).y(), o->result->variants[size_t(i)].klPerPosition[7]);
    }
    QVERIFY(curve->chart()->axes(Qt::Vertical).first()->property("titleText").toString().startsWith(QStringLiteral("KL")));
    // A real mouse move over position 17 of the chart.
    QTRY_VERIFY(curve->chart()->plotArea().width() > 50);
    const QPointF inChart = curve->chart()->mapToPosition(QPointF(17, o->result->variants[0].klPerPosition[17]), curve->series(0));
    const QPoint inView = curve->mapFromScene(curve->chart()->mapToScene(inChart));
    QTest::mouseMove(curve->viewport(), inView);
    QTRY_COMPARE(curve->hoveredPosition(), 17);
    QCOMPARE(ws()->queryRow(), 17);
    for (int i = 0; i < ws()->paneCount(); ++i)
        QCOMPARE(ws()->pane(i)->plot()->queryRow(), 17);
    // Programmatic hover does the same, and the token view follows when the main run has these tokens.
    m_window->runPrompt();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 30000);
    curve->hoverPosition(23);
    QCOMPARE(ws()->queryRow(), 23);
    QCOMPARE(m_window->context()->query(), 23);
}

void TestUiCompare::encoderGetsTheCosineCurve()
{
    openModel(tinyModel("tiny-bert"));
    QVERIFY(!ws()->outcome());   // the previous model's comparison is gone
    compareAndWait({QStringLiteral("sliding:window=3")});
    CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o && !o->result->hasLmHead);
    const int T = static_cast<int>(o->result->shape.tokens);
    QCOMPARE(ws()->curve()->curveCount(), 1);
    QCOMPARE(ws()->curve()->series(0)->count(), T);
    QCOMPARE(ws()->curve()->series(0)->at(3).y(), o->result->variants[0].cosinePerPosition[3]);
    QVERIFY(ws()->curve()->chart()->axes(Qt::Vertical).first()->property("titleText").toString().startsWith(QStringLiteral("cosine")));
    CompareMetricsModel* mm = ws()->metricsModel();
    QVERIFY(mm->columnOf(CompareMetricsModel::Perplexity) < 0);
    QCOMPARE(mm->index(1, mm->columnOf(CompareMetricsModel::CosineMean)).data(Qt::UserRole).toDouble(), o->result->variants[0].cosineMean);
    // BERT stays bidirectional under the window: a query sees a key after it.
    const AttentionMapPtr v = o->result->variants[0].captures.map(0, 0);
    QVERIFY(!v->isMasked(2, 3));
    QVERIFY(v->isMasked(2, 6));
}

void TestUiCompare::sessionKeepsTheVariants()
{
    // The file format: round trip, and a session from before the workspace (no "compare") loads with none.
    SessionState s;
    s.modelPath = QStringLiteral("/m.gguf");
    s.prompt = QStringLiteral("hi");
    s.variants = {QStringLiteral("sliding:window=64,sinks=4@layers=5,11,17"), QStringLiteral("topk:k=8")};
    QString error;
    auto r = sessionFromJson(sessionToJson(s), &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(r->variants, s.variants);
    QJsonObject old = sessionToJson(s);
    old.remove(QStringLiteral("compare"));
    r = sessionFromJson(old, &error);
    QVERIFY(r && r->variants.isEmpty());
    QJsonObject bad = sessionToJson(s);
    bad[QStringLiteral("compare")] = QJsonObject{{QStringLiteral("variants"), QJsonArray{1, 2}}};
    QVERIFY(!sessionFromJson(bad, &error));
    QVERIFY(error.contains(QStringLiteral("compare.variants")));

    // Through the window: save, clear, open.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.attnscope"));
    ws()->editor()->setVariantTexts({QStringLiteral("sliding:window=3"), QStringLiteral("offbyone")});
    QSignalSpy saved(m_window.get(), &MainWindow::sessionSaved);
    m_window->saveSession(path);
    QVERIFY(saved.wait(20000));
    auto onDisk = readSessionFile(path, &error);
    QVERIFY2(onDisk, qPrintable(error));
    QCOMPARE(onDisk->variants, (QStringList{QStringLiteral("sliding:window=3"), QStringLiteral("offbyone")}));
    ws()->editor()->setVariantTexts({});
    QSignalSpy restored(m_window.get(), &MainWindow::sessionRestored);
    m_window->openSession(path);
    QVERIFY(restored.wait(20000));
    QCOMPARE(ws()->editor()->variantTexts(), onDisk->variants);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 30000);
}

void TestUiCompare::badSpecAndLongPromptAreReported()
{
    openModel(tinyModel("tiny-llama"));
    m_window->setPromptText(kText);
    compareAndWait({QStringLiteral("sliding:window=4")});
    const CompareOutcomePtr before = ws()->outcome();
    QSignalSpy errors(ws(), &CompareWorkspace::errorReported);
    // A bad key: refused before anything runs, with the key named.
    ws()->editor()->setVariantTexts({QStringLiteral("sliding:windw=4")});
    QVERIFY(!ws()->startCompare());
    QCOMPARE(errors.size(), 1);
    QVERIFY(errors.first().at(1).toString().contains(QStringLiteral("windw")));
    QVERIFY(ws()->statusLabel()->text().contains(QStringLiteral("windw")));
    QCOMPARE(ws()->outcome(), before);
    // A prompt over the tiny model's 256-token context: the engine's reason, and nothing is lost.
    QString longText;
    for (int i = 0; i < 80; ++i)
        longText += QStringLiteral("window sink token ");
    m_window->setPromptText(longText);
    ws()->editor()->setVariantTexts({QStringLiteral("sliding:window=4")});
    QSignalSpy ended(ws(), &CompareWorkspace::compareEnded);
    QVERIFY(ws()->startCompare());
    QVERIFY(ended.wait(30000));
    QCOMPARE(ended.first().first().toBool(), false);
    QCOMPARE(errors.size(), 2);
    QVERIFY2(errors.last().at(1).toString().contains(QStringLiteral("context")), qPrintable(errors.last().at(1).toString()));
    QCOMPARE(ws()->outcome(), before);            // the previous comparison stays on screen
    QCOMPARE(m_window->promptText(), longText);   // and the text is kept
    QVERIFY(m_window->lastError().contains(QStringLiteral("context")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isSettled(), 20000);
}

void TestUiCompare::longPromptComparesWithoutMaps()
{
    // A prompt over 4,096 tokens compares without any map (forced here at a tiny size, as --run-mode long does):
    // the numbers and the KL curve are the same as with maps, a window's mass outside is recomputed exactly from
    // the baseline's tiles, top-k (whole rows) shows "—" with the reason, and the panes say why they are empty.
    openModel(tinyModel("tiny-llama"));
    m_window->setPromptText(kText);
    const QStringList variants = {QStringLiteral("sliding:window=4"), QStringLiteral("topk:k=2")};
    m_window->setRunMode(RunMode::Maps);
    compareAndWait(variants);
    const CompareOutcomePtr dense = ws()->outcome();
    QVERIFY(dense && !dense->longPrompt);
    m_window->context()->select(0, 0);   // the layer whose pooled grids the long comparison keeps
    m_window->setRunMode(RunMode::Long);
    compareAndWait(variants);
    m_window->setRunMode(RunMode::Auto);
    const CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o && o->result && o->longPrompt);
    QVERIFY(o->result->baselineCaptures.maps().empty());
    QVERIFY(ws()->statusLabel()->text().contains(QStringLiteral("no T × T maps")));
    // The panes draw the streamed pooled grids of the selected layer; top-k builds whole rows and says so.
    QTRY_VERIFY(ws()->pane(0)->pooledGrid() && ws()->pane(1)->pooledGrid());
    QVERIFY(!ws()->pane(2)->pooledGrid());
    QVERIFY2(ws()->pane(2)->plot()->title().contains(QStringLiteral("builds whole maps")), qPrintable(ws()->pane(2)->plot()->title()));
    QVERIFY(ws()->differencePane()->pooledGrid());
    const CompareResult &a = *dense->result, &b = *o->result;
    QCOMPARE(b.baselinePerplexity, a.baselinePerplexity);
    CompareMetricsModel* mm = ws()->metricsModel();
    for (int v = 0; v < 2; ++v) {
        QCOMPARE(b.variants[size_t(v)].klPerPosition, a.variants[size_t(v)].klPerPosition);
        QCOMPARE(mm->index(v + 1, mm->columnOf(CompareMetricsModel::Perplexity)).data(Qt::UserRole).toDouble(),
                 a.variants[size_t(v)].perplexity);
    }
    QCOMPARE(ws()->curve()->curveCount(), 2);
    QCOMPARE(ws()->curve()->positions(), static_cast<int>(b.tokens.ids.size()));
    m_window->context()->select(1, 2);
    MassOutsideModel* mass = ws()->massModel();
    QCOMPARE(mass->layer(), 1);
    const int H = b.shape.heads;
    for (int h = 0; h < H; ++h) {
        const double want = a.variants[0].massOutside[size_t(1 * H + h)];
        QVERIFY(std::fabs(mass->index(h, 0).data(Qt::UserRole).toDouble() - want) <= 1e-6);
        QVERIFY(std::isnan(mass->index(h, 1).data(Qt::UserRole).toDouble()));
    }
    QVERIFY(a.variants[0].massOutside[size_t(1 * H + 2)] > 0);
    QCOMPARE(mass->index(0, 1).data().toString(), QStringLiteral("—"));
    QVERIFY(mass->index(0, 1).data(Qt::ToolTipRole).toString().contains(QStringLiteral("whole rows")));
    // Layer 1 was not the selected layer when the comparison ran: the panes say to compare again.
    for (int i = 0; i < ws()->paneCount(); ++i)
        QTRY_VERIFY(ws()->pane(i)->plot()->title().contains(QStringLiteral("Compare again")));
}

void TestUiCompare::longComparePanesArePooledGrids()
{
    // A long comparison (forced, as --run-mode long does) at a size where the dense maps still exist: each pane's
    // grid is the brute-force max/mean pooling of that run's dense map, and the difference pane is the
    // mean-pooled dense difference. tiny-gpt-oss takes prompts past 256 tokens, so cells pool several tokens.
    openModel(tinyModel("tiny-gpt-oss"));
    QString text;
    for (int i = 0; i < 24; ++i)
        text += kText + QLatin1Char(' ');
    m_window->setPromptText(text);
    const int L = 1, H = 1;
    m_window->context()->select(L, H);
    const QStringList variants = {QStringLiteral("sliding:window=16"), QStringLiteral("topk:k=2")};
    m_window->setRunMode(RunMode::Maps);
    compareAndWait(variants);
    const CompareOutcomePtr dense = ws()->outcome();
    QVERIFY(dense && !dense->longPrompt && dense->hasLayer(L));
    m_window->setRunMode(RunMode::Long);
    compareAndWait(variants);
    m_window->setRunMode(RunMode::Auto);
    const CompareOutcomePtr o = ws()->outcome();
    QVERIFY(o && o->longPrompt && o->hasLayer(L));
    const int64_t T = o->result->shape.tokens, p = StreamingHeadStats::poolFor(T), side = (T + p - 1) / p;
    QVERIFY2(p >= 2, qPrintable(QString::number(T)));
    std::vector<AttentionMapPtr> maps = {dense->result->baselineCaptures.map(L, H), dense->result->variants[0].captures.map(L, H)};
    QVERIFY(maps[0] && maps[1]);
    auto valid = [](const AttentionMap& m, int64_t i, int64_t j) { return !m.isMasked(i, j); };
    for (Pooling mode : {Pooling::Max, Pooling::Mean}) {
        ViewSettings vs = m_window->context()->viewSettings();
        vs.pooling = mode;
        m_window->context()->setViewSettings(vs);
        QTRY_VERIFY(ws()->pane(0)->pooledGrid() && ws()->pane(1)->pooledGrid());
        for (int pane = 0; pane < 2; ++pane) {
            const ValueGrid& g = *ws()->pane(pane)->pooledGrid();
            QCOMPARE(int64_t(g.rows), side);
            const AttentionMap& m = *maps[size_t(pane)];
            double worst = 0;
            for (int64_t r = 0; r < side; ++r)
                for (int64_t c = 0; c < side; ++c) {
                    double best = -1, sum = 0;
                    int64_t n = 0;
                    for (int64_t i = r * p; i < std::min(T, (r + 1) * p); ++i)
                        for (int64_t j = c * p; j < std::min(T, (c + 1) * p); ++j)
                            if (valid(m, i, j)) {
                                best = std::max(best, double(m.at(i, j)));
                                sum += m.at(i, j);
                                ++n;
                            }
                    const float got = g.at(int(r), int(c));
                    if (n == 0) {
                        QVERIFY(std::isnan(got));
                        continue;
                    }
                    worst = std::max(worst, std::fabs(double(got) - (mode == Pooling::Max ? best : sum / double(n))));
                }
            QVERIFY2(worst <= 1e-6, qPrintable(QStringLiteral("pane %1: %2").arg(pane).arg(worst)));
            QVERIFY(ws()->pane(pane)->plot()->title().contains(mode == Pooling::Max ? QStringLiteral("max-pooled")
                                                                                    : QStringLiteral("mean-pooled")));
        }
        // Hover names the pooled cell and its value.
        const QString hover = ws()->pane(0)->valueText(int(p) + 1, 1);
        QVERIFY2(hover.contains(QStringLiteral("cell q %1–%2").arg(p).arg(2 * p - 1)), qPrintable(hover));
    }
    // Variant 1 − baseline from the mean-pooled grids equals the mean-pooled dense difference.
    QTRY_VERIFY(ws()->differencePane()->pooledGrid());
    const ValueGrid& d = *ws()->differencePane()->pooledGrid();
    QVERIFY(ws()->differencePane()->plot()->title().contains(QStringLiteral("mean-pooled")));
    QVERIFY(ws()->differencePane()->headerLabel()->toolTip().contains(QStringLiteral("mean pooling is linear")));
    double worst = 0, largest = 0;
    for (int64_t r = 0; r < side; ++r)
        for (int64_t c = 0; c < side; ++c) {
            double sum = 0;
            int64_t n = 0;
            for (int64_t i = r * p; i < std::min(T, (r + 1) * p); ++i)
                for (int64_t j = c * p; j < std::min(T, (c + 1) * p); ++j) {
                    const bool va = valid(*maps[1], i, j), vb = valid(*maps[0], i, j);
                    if (!va && !vb)
                        continue;
                    sum += (va ? maps[1]->at(i, j) : 0.0) - (vb ? maps[0]->at(i, j) : 0.0);
                    ++n;
                }
            const float got = d.at(int(r), int(c));
            if (n == 0) {
                QVERIFY(std::isnan(got));
                continue;
            }
            largest = std::max(largest, std::fabs(sum / double(n)));
            worst = std::max(worst, std::fabs(double(got) - sum / double(n)));
        }
    QVERIFY2(worst <= 1e-6, qPrintable(QString::number(worst)));
    QVERIFY(largest > 1e-3);   // the window changed the head
    // Top-k cannot stream: its pane gives the reason.
    QVERIFY2(ws()->pane(2)->plot()->title().contains(QStringLiteral("builds whole maps")), qPrintable(ws()->pane(2)->plot()->title()));
}

void TestUiCompare::commandLineRefusesABadVariant()
{
    // Refused while parsing the command line, before any window system is touched.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        env.remove(QString::fromLatin1(v));
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(ATTNSCOPE_GUI_PATH), {QStringLiteral("--variant"), QStringLiteral("sliding:windw=4"), QStringLiteral("--compare")});
    QVERIFY(p.waitForFinished(30000));
    const QString out = QString::fromLocal8Bit(p.readAll());
    QCOMPARE(p.exitCode(), 2);
    QVERIFY2(out.contains(QStringLiteral("windw")) && out.contains(QStringLiteral("--variant")), qPrintable(out));
}

void TestUiCompare::scriptedCompareScreenshot()
{
    // The real executable: --compare runs the comparison, --zoom shows a region, the PNG is written after both.
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("compare.png"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(ATTNSCOPE_GUI_PATH),
            {tinyModel("tiny-llama"), QStringLiteral("--text"), kText, QStringLiteral("--variant"), QStringLiteral("sliding:window=4"),
             QStringLiteral("--variant"), QStringLiteral("sliding:window=4,sinks=2"), QStringLiteral("--compare"),
             QStringLiteral("--layer"), QStringLiteral("1"), QStringLiteral("--head"), QStringLiteral("1"), QStringLiteral("--zoom"),
             QStringLiteral("0:20,20:40"), QStringLiteral("--size"), QStringLiteral("1400x900"), QStringLiteral("--screenshot"), png});
    QVERIFY(p.waitForFinished(120000));
    const QString log = QString::fromLocal8Bit(p.readAll());
    QVERIFY2(p.exitCode() == 0, qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("wrote")), qPrintable(log));
    const QImage img(png);
    QVERIFY(!img.isNull());
    QCOMPARE(img.height(), 900);
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 2)
        for (int x = 0; x < img.width(); x += 2)
            colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 200, qPrintable(QStringLiteral("only %1 distinct colours: blank or flat").arg(colours.size())));
}

QTEST_MAIN(TestUiCompare)
#include "test_ui_compare.moc"
