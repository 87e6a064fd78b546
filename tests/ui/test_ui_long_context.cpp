// Long prompts in the GUI (docs/LONG-CONTEXT.md "In the GUI"), on SmolLM2 (offscreen): the same ~300-token prompt
// run once storing every map and once as a long run (queries, keys, row normalisers and streamed statistics, no
// map) gives the same thumbnails, scores, hover values, token-view rows and key-view columns, and the tile pyramid
// equals a brute-force pooling of the stored maps at every level tried, and so do a long figure's cells (max and
// mean, global and per-row, from recomputed rows or the streamed grids) and its .npy / HDF5 data; the head view refines from the streamed
// grid to exact tiles; a run over 4,096 tokens first shows its estimate and one over the model's context offers
// to run beyond it. Without a model: the tile cache evicts least recently used tiles under its cap, and the token
// strip lays out and scrolls 32,768 chips.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/metrics/streaming_head_stats.h"
#include "kernels/backends/register_backends.h"
#include "model_paths.h"
#include "ui/figure_context.h"
#include "ui/main_window.h"
#include "ui/models/received_attention_model.h"
#include "ui/models/token_list_model.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/key_view_panel.h"
#include "ui/panels/long_head_renderer.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/panels/token_view_panel.h"
#include "core/io/hdf5_writer.h"
#include "ui/render/figure_data.h"
#include "ui/render/figure_export.h"
#include "ui/render/figure_panel.h"
#include "ui/render/figure_renderer.h"
#include "ui/render/long_map_pool.h"
#include "ui/render/tile_cache.h"
#include "ui/render/tile_pyramid.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/figure_export_dialog.h"
#include "ui/widgets/figure_preview.h"
#include "ui/widgets/long_run_dialog.h"
#include "ui/widgets/token_strip.h"

#include <QCheckBox>
#include <QComboBox>
#include <QStandardItemModel>
#include <QLabel>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <map>

using namespace attnscope;

namespace {

std::unique_ptr<BackendSet> cpuBackends()
{
    return std::make_unique<BackendSet>(selectBackends(builtinBackends(), "cpu", 2));
}

/// The sample of heads compared: first, middle and last layers, several heads each.
const std::vector<std::pair<int, int>> kHeads = {{0, 0}, {0, 5}, {7, 3}, {16, 0}, {16, 8}, {29, 4}};

bool sameOrBothNaN(double a, double b, double tol)
{
    return (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= tol;
}

struct HoverCell {
    QString weight;
    int rank = 0, of = 0;
};

HoverCell parseHover(const QString& text)
{
    static const QRegularExpression re(QStringLiteral("weight (\\S+)  \\(rank (\\d+) of (\\d+)"));
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return {};
    return {m.captured(1), m.captured(2).toInt(), m.captured(3).toInt()};
}

} // namespace

class TestUiLongContext : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void tileCacheEvictsLeastRecentlyUsedUnderTheCap();
    void tokenStripWith32kTokens();
    void longRunEqualsStoredMaps();
    void pyramidLevelsEqualBruteForcePooling();
    void headViewRefinesFromTheStreamedGridToExactTiles();
    void headViewFinishesTilesInterruptedByAViewChange();
    void longFigureCellsEqualBruteForcePooling();
    void longMapDataOverTheLimitIsRefusedAsCsvOrNpz();
    void longPromptAsksFirstWithTheEstimate();
    void promptOverTheContextOffersToRunBeyond();
    void openingALargeTextFileStaysUsable();

private:
    bool runText(const QString& text, RunMode mode);
    bool waitSettled(int timeoutMs = 60000);
    QString textOfTokens(int tokens);
    QString m_model;
    std::unique_ptr<MainWindow> m_window;
    // What the stored-map run showed, kept for the comparisons.
    std::map<std::pair<int, int>, AttentionMapPtr> m_maps;
    std::map<std::pair<int, int>, HeadMetrics> m_metrics;
    std::map<std::pair<int, int>, std::vector<HoverCell>> m_hover;
    QVector<double> m_tokenRow;
    std::map<std::pair<int, int>, std::pair<double, double>> m_received;   // key view: (from later queries, from q)
    // The long run's tiles for the same heads.
    std::map<std::pair<int, int>, std::pair<std::shared_ptr<const HeadTileSource>, CapturedSeriesPtr>> m_tiles;
};

void TestUiLongContext::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_model = QString::fromStdString(test::modelCacheDir() + "/" + test::kSmolLM2);
}

void TestUiLongContext::cleanupTestCase()
{
    m_window.reset();
}

bool TestUiLongContext::waitSettled(int timeoutMs)
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

bool TestUiLongContext::runText(const QString& text, RunMode mode)
{
    m_window->setRunMode(mode);
    m_window->setPromptText(text);
    QSignalSpy finished(m_window->bridge(), &SessionBridge::runFinished);
    m_window->runPrompt();
    return finished.wait(120000) && waitSettled();
}

QString TestUiLongContext::textOfTokens(int tokens)
{
    // About 5.4 characters per SmolLM2 token in this English text (callers leave a margin).
    const QString sentence = QStringLiteral("Attention heads look back at earlier tokens; some copy what followed an earlier occurrence. ");
    QString t;
    while (t.size() < tokens * 54 / 10)
        t += sentence;
    return t;
}

void TestUiLongContext::tileCacheEvictsLeastRecentlyUsedUnderTheCap()
{
    auto tile = [](int64_t col) {
        auto t = std::make_shared<PyramidTile>();
        t->key.col = col;
        t->rows = t->cols = kTileCells;
        t->values.assign(size_t(kTileCells) * kTileCells, 0.5f);
        return PyramidTilePtr(t);
    };
    const size_t one = tile(0)->bytes();
    TileCache cache(3 * one);
    for (int64_t c = 0; c < 3; ++c)
        cache.insert(tile(c));
    QCOMPARE(cache.size(), size_t(3));
    TileKey k0;
    QVERIFY(cache.get(k0));   // tile 0 becomes the most recently used: tile 1 is now the oldest
    cache.insert(tile(3));
    QCOMPARE(cache.size(), size_t(3));
    QVERIFY(cache.bytes() <= cache.capBytes());
    QCOMPARE(cache.evictions(), size_t(1));
    TileKey k1;
    k1.col = 1;
    QVERIFY(!cache.contains(k1));
    QVERIFY(cache.contains(k0));
    cache.insert(tile(4));
    TileKey k2;
    k2.col = 2;
    QVERIFY(!cache.contains(k2));
    QCOMPARE(cache.evictions(), size_t(2));
    cache.setCapBytes(one);   // shrinking evicts down to the cap
    QCOMPARE(cache.size(), size_t(1));
    TileKey k4;
    k4.col = 4;
    QVERIFY(cache.contains(k4));
}

void TestUiLongContext::tokenStripWith32kTokens()
{
    auto rows = std::make_shared<TokenRows>();
    const int n = 32768;
    for (int i = 0; i < n; ++i) {
        TokenRow r;
        r.id = i % 5000;
        r.display = QStringLiteral("tok%1").arg(i);
        rows->push_back(r);
    }
    TokenListModel model;
    TokenStrip strip;
    strip.setModel(&model);
    strip.resize(420, 300);
    strip.show();
    QVERIFY(QTest::qWaitForWindowExposed(&strip));
    QVERIFY(!strip.usesUniformChips());
    model.setTokens(rows);
    QCOMPARE(model.rowCount(), n);
    QVERIFY(strip.usesUniformChips());   // thousands of chips: one width, laid out by arithmetic
    QVERIFY(strip.chipDelegate()->fixedChipWidth() > 0);
    model.setSelectedPosition(30000);
    QVector<double> weights(n, 0.0);
    weights[30000] = 1.0;
    model.setWeights(weights);
    for (int target : {30000, 123, n - 1}) {
        const QModelIndex idx = model.index(target);
        strip.scrollTo(idx);
        QTest::qWait(10);
        const QRect r = strip.visualRect(idx);
        QVERIFY2(strip.viewport()->rect().intersects(r), qPrintable(QStringLiteral("chip %1 not in view").arg(target)));
        QCOMPARE(strip.indexAt(r.center()).row(), target);
    }
    QCOMPARE(model.data(model.index(30000), TokenListModel::SelectedRole).toBool(), true);
    // Back to a short prompt: chips fit their text again.
    auto few = std::make_shared<TokenRows>(rows->mid(0, 20));
    model.setTokens(few);
    QVERIFY(!strip.usesUniformChips());
}

void TestUiLongContext::longRunEqualsStoredMaps()
{
    if (!std::filesystem::exists(m_model.toStdString())) {
        if (test::offlineOptOut())
            QSKIP("ATTNSCOPE_OFFLINE=1 and the SmolLM2 model is not cached");
        QFAIL(qPrintable(QStringLiteral("model %1 is missing: run scripts/fetch-models.sh").arg(m_model)));
    }
    m_window = std::make_unique<MainWindow>(cpuBackends(), /*persistent=*/false);
    m_window->resize(1280, 800);
    m_window->show();
    m_window->setLongRunConfirmation(false);
    QSignalSpy opened(m_window->bridge(), &SessionBridge::modelOpened);
    m_window->openModel(m_model);
    QVERIFY(opened.wait(30000));
    SessionContext* ctx = m_window->context();
    const QString text = textOfTokens(300);
    const int q = 200;

    // 1. Every map stored.
    QVERIFY(runText(text, RunMode::Maps));
    QVERIFY(!ctx->isLongRun());
    const int n = ctx->tokenCount();
    QVERIFY2(n > 256 && n < 400, qPrintable(QString::number(n)));
    // The sink view's numbers: every layer's per-head first-token share and α, the rate at several thresholds.
    const ModelReport denseReport = ctx->modelReport();
    QCOMPARE(static_cast<int>(denseReport.layers.size()), ctx->layers());
    std::map<double, double> denseRate;
    for (double eps : {0.1, 0.3, 0.5, 0.8}) {
        m_window->sinkPanel()->setThreshold(eps);
        denseRate[eps] = m_window->sinkPanel()->sinkRate();
    }
    m_window->setView(ViewKind::Head);
    for (const auto& lh : kHeads) {
        m_maps[lh] = ctx->map(lh.first, lh.second);
        QVERIFY(m_maps[lh]);
        m_metrics[lh] = *ctx->metricsTable().cell(lh.first, lh.second);
        ctx->select(lh.first, lh.second);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->headViewPanel()->shownLayer() == lh.first && m_window->headViewPanel()->shownHead() == lh.second, 10000);
        for (const QPoint c : {QPoint(q, 0), QPoint(q, q - 1), QPoint(q, 17), QPoint(n - 1, n / 2)})
            m_hover[lh].push_back(parseHover(m_window->headViewPanel()->plot()->hoverText(c.x(), c.y())));
    }
    ctx->select(16, 8);
    ctx->setQuery(q);
    m_window->setView(ViewKind::Token);
    QVERIFY(waitSettled());
    TokenListModel* row = m_window->tokenViewPanel()->headModel();
    for (int j = 0; j < n; ++j)
        m_tokenRow.push_back(row->data(row->index(j), TokenListModel::WeightRole).toDouble());
    ctx->setKey(17);
    m_window->setView(ViewKind::Key);
    QVERIFY(waitSettled());
    for (const auto& lh : kHeads)
        m_received[lh] = {m_window->keyViewPanel()->receivedModel()->value(lh.first, lh.second),
                          m_window->keyViewPanel()->fromQueryModel()->value(lh.first, lh.second)};

    // 2. The same prompt as a long run: no map, everything from streamed statistics and recomputed tiles.
    QVERIFY(runText(text, RunMode::Long));
    QVERIFY(ctx->isLongRun());
    QCOMPARE(ctx->tokenCount(), n);
    QVERIFY(!ctx->map(0, 0));
    const int64_t p = StreamingHeadStats::poolFor(n);
    for (const auto& lh : kHeads) {
        const auto [l, h] = lh;
        const AttentionMapPtr& m = m_maps[lh];
        // Thumbnails: the streamed max-pooled grid pooled further equals the stored map pooled by the same blocks.
        const ValueGrid streamed = ctx->thumbnailValues(l, h);
        const int64_t side = (n + p - 1) / p;
        HeatmapSource stored{m, nullptr};
        const ValueGrid brute = poolGridTo(poolWindow(stored, PoolWindow{0, 0, int(side), int(side), int(p), int(p)}, Pooling::Max, false), 64);
        QCOMPARE(streamed.rows, brute.rows);
        QCOMPARE(streamed.cols, brute.cols);
        QVERIFY(streamed.rows <= 64);
        for (size_t k = 0; k < brute.values.size(); ++k)
            QVERIFY2(sameOrBothNaN(streamed.values[k], brute.values[k], 1e-6), qPrintable(QStringLiteral("L%1H%2 cell %3").arg(l).arg(h).arg(k)));
        // Scores: streamed row by row, equal to the stored map's (as floats).
        const HeadMetrics* got = ctx->metricsTable().cell(l, h);
        QVERIFY(got);
        for (int k = 0; k < kHeadMetricCount; ++k) {
            const auto metric = static_cast<HeadMetric>(k);
            const double want = m_metrics[lh].value(metric), have = got->value(metric);
            QVERIFY2(sameOrBothNaN(have, want, 1e-6 * std::max(1.0, std::fabs(want))),
                     qPrintable(QStringLiteral("L%1H%2 %3: %4 vs %5").arg(l).arg(h).arg(headMetricId(metric)).arg(have).arg(want)));
        }
        // Exact cells: recomputed equal stored within 1e-6.
        const std::shared_ptr<const HeadTileSource> tiles = ctx->tiles(l, h);
        QVERIFY(tiles);
        for (int i : {0, 1, q, n - 1})
            for (int j : {0, i / 2, i})
                QVERIFY(std::fabs(tiles->cell(i, j) - m->at(i, j)) <= 1e-6f);
        m_tiles[lh] = {tiles, ctx->series(Quantity::RowLogSumExp, l, h)};
    }
    // The sink view: per-head first-token share and α from column 0 recomputed equal the stored maps'; so do the
    // layer means and the sink rate at every threshold tried.
    const ModelReport longReport = ctx->modelReport();
    QCOMPARE(longReport.layers.size(), denseReport.layers.size());
    double worstShare = 0;
    for (size_t l = 0; l < denseReport.layers.size(); ++l) {
        const LayerReport &a = denseReport.layers[l], &b = longReport.layers[l];
        QCOMPARE(b.firstTokenSharePerHead.size(), a.firstTokenSharePerHead.size());
        for (size_t h = 0; h < a.firstTokenSharePerHead.size(); ++h) {
            QVERIFY(!std::isnan(b.firstTokenSharePerHead[h]) && !std::isnan(b.firstTokenAlphaPerHead[h]));
            worstShare = std::max({worstShare, std::fabs(a.firstTokenSharePerHead[h] - b.firstTokenSharePerHead[h]),
                                   std::fabs(a.firstTokenAlphaPerHead[h] - b.firstTokenAlphaPerHead[h])});
        }
        QVERIFY(a.firstTokenShare && b.firstTokenShare && b.sinkRate);
        QVERIFY(std::fabs(*a.firstTokenShare - *b.firstTokenShare) <= 1e-6);
        QCOMPARE(b.maxAbsHidden, a.maxAbsHidden);
    }
    qInfo("sink view, long vs stored: max |diff| of per-head share and alpha %.2e", worstShare);
    QVERIFY(worstShare <= 1e-6);
    for (const auto& [eps, rate] : denseRate) {
        m_window->sinkPanel()->setThreshold(eps);
        QCOMPARE(m_window->sinkPanel()->sinkRate(), rate);
    }
    m_window->sinkPanel()->setThreshold(0.3);
    m_window->setView(ViewKind::Sink);
    QVERIFY(waitSettled());
    QVERIFY2(m_window->sinkPanel()->rateLabel()->text().contains(QStringLiteral("of %1 heads").arg(ctx->layers() * ctx->heads())),
             qPrintable(m_window->sinkPanel()->rateLabel()->text()));
    // Hover in the head view: the exact value and its rank, as the stored map's hover said.
    m_window->setView(ViewKind::Head);
    for (const auto& lh : kHeads) {
        ctx->select(lh.first, lh.second);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->headViewPanel()->shownLayer() == lh.first && m_window->headViewPanel()->shownHead() == lh.second, 10000);
        int k = 0;
        for (const QPoint c : {QPoint(q, 0), QPoint(q, q - 1), QPoint(q, 17), QPoint(n - 1, n / 2)}) {
            const QString hover = m_window->headViewPanel()->plot()->hoverText(c.x(), c.y());
            QVERIFY2(hover.contains(QStringLiteral("recomputed")), qPrintable(hover));
            const HoverCell got = parseHover(hover), want = m_hover[lh][static_cast<size_t>(k++)];
            QVERIFY(want.of > 0);
            QCOMPARE(got.weight, want.weight);
            QCOMPARE(got.rank, want.rank);
            QCOMPARE(got.of, want.of);
        }
    }
    // The token view's row, recomputed on a worker, equals the stored row.
    ctx->select(16, 8);
    ctx->setQuery(q);
    m_window->setView(ViewKind::Token);
    QVERIFY(waitSettled());
    TokenListModel* longRow = m_window->tokenViewPanel()->headModel();
    double worst = 0;
    for (int j = 0; j < n; ++j) {
        const QVariant v = longRow->data(longRow->index(j), TokenListModel::WeightRole);
        QVERIFY(v.isValid());
        worst = std::max(worst, std::fabs(v.toDouble() - m_tokenRow[j]));
    }
    qInfo("token view row, long vs stored: max |diff| %.2e", worst);
    QVERIFY(worst <= 1e-6);
    // Δ vs. the layer mean is not offered on a long run: the choice is disabled with its reason, and a Δ setting
    // already in place shows the reason in the head view instead of an image.
    {
        auto* combo = m_window->findChild<QComboBox*>(QStringLiteral("dataCombo"));
        QVERIFY(combo);
        auto* items = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(items);
        QStandardItem* delta = items->item(combo->findData(displayDataId(DisplayData::DiffFromLayerMean)));
        QVERIFY(delta && !delta->isEnabled());
        QVERIFY(delta->toolTip().contains(QStringLiteral("long prompt")));
        ViewSettings s = ctx->viewSettings();
        s.data = DisplayData::DiffFromLayerMean;
        ctx->setViewSettings(s);
        m_window->setView(ViewKind::Head);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->headViewPanel()->plot()->title().contains(QStringLiteral("a long prompt keeps none")), 5000);
        s.data = DisplayData::Weights;
        ctx->setViewSettings(s);
        m_window->setView(ViewKind::Token);
    }
    // The key view's columns, recomputed per head on a worker, equal the stored maps' columns.
    ctx->setKey(17);
    m_window->setView(ViewKind::Key);
    QVERIFY(waitSettled());
    for (const auto& lh : kHeads) {
        const double received = m_window->keyViewPanel()->receivedModel()->value(lh.first, lh.second);
        const double from = m_window->keyViewPanel()->fromQueryModel()->value(lh.first, lh.second);
        QVERIFY(!std::isnan(m_received[lh].first) && !std::isnan(m_received[lh].second));
        QVERIFY(std::fabs(received - m_received[lh].first) <= 1e-6);
        QVERIFY(std::fabs(from - m_received[lh].second) <= 1e-6);
    }
}

void TestUiLongContext::pyramidLevelsEqualBruteForcePooling()
{
    if (m_tiles.empty())
        QSKIP("needs the long run of longRunEqualsStoredMaps");
    int compared = 0;
    for (const auto& [lh, source] : m_tiles) {
        const AttentionMapPtr& m = m_maps[lh];
        const int64_t n = m->tokens;
        HeatmapSource stored{m, nullptr};
        for (int level : {0, 1, 2})
            for (Pooling pooling : {Pooling::Max, Pooling::Mean})
                for (bool perRow : {false, true}) {
                    TileKey key;
                    key.layer = lh.first;
                    key.head = lh.second;
                    key.level = level;
                    key.pooling = pooling;
                    key.perRow = perRow;
                    for (int64_t r = 0; r < tilesPerSide(n, level); ++r)
                        for (int64_t c = 0; c <= r; ++c) {
                            key.row = r;
                            key.col = c;
                            const PyramidTilePtr tile = computePyramidTile(*source.first, *source.second, key);
                            QVERIFY(tile);
                            const int64_t P = poolOfLevel(level), span = tileSpan(level);
                            PoolWindow w{r * span, c * span, tile->rows, tile->cols, int(P), int(P)};
                            const ValueGrid brute = poolWindow(stored, w, pooling, perRow);
                            QCOMPARE(brute.rows, tile->rows);
                            QCOMPARE(brute.cols, tile->cols);
                            for (size_t k = 0; k < brute.values.size(); ++k)
                                QVERIFY2(sameOrBothNaN(tile->values[k], brute.values[k], 1e-6),
                                         qPrintable(QStringLiteral("L%1H%2 level %3 %4%5 tile (%6,%7) cell %8: %9 vs %10")
                                                        .arg(lh.first).arg(lh.second).arg(level).arg(poolingId(pooling))
                                                        .arg(perRow ? " per-row" : "").arg(r).arg(c).arg(k)
                                                        .arg(tile->values[k]).arg(brute.values[k])));
                            ++compared;
                        }
                }
    }
    QVERIFY(compared >= 6 * 12);
}

void TestUiLongContext::headViewRefinesFromTheStreamedGridToExactTiles()
{
    if (!m_window || !m_window->context()->isLongRun())
        QSKIP("needs the long run of longRunEqualsStoredMaps");
    SessionContext* ctx = m_window->context();
    HeadViewPanel* hv = m_window->headViewPanel();
    LongHeadRenderer* lr = hv->longRenderer();
    m_window->setView(ViewKind::Head);
    QSignalSpy rendered(lr, &LongHeadRenderer::rendered);
    ctx->select(3, 1);   // a head whose tiles nobody asked for yet
    QTRY_VERIFY_WITH_TIMEOUT(!rendered.isEmpty(), 5000);
    QCOMPARE(rendered.first().at(2).toBool(), false);   // the first image: streamed grid scaled up, not exact
    QVERIFY(waitSettled());
    QVERIFY(lr->shownExact());
    QCOMPARE(lr->shownLevel(), 0);   // ~300 tokens on ~800 px: one cell per pixel or more
    QVERIFY(hv->plot()->title().contains(QStringLiteral("exact tiles")));
    QVERIFY(lr->cache().size() > 0 && lr->cache().bytes() <= lr->cache().capBytes());
    // The image on screen is the exact tile colours: a window of level-0 cells with the stored values' mask.
    const PoolWindow w = hv->plot()->window();
    QCOMPARE(w.poolX, 1);
    // Zoomed in, the labels appear (one per token) and the level stays exact.
    AttentionPlot* plot = hv->plot();
    plot->setViewRanges(QCPRange(99.5, 139.5), QCPRange(99.5, 139.5));
    QVERIFY(waitSettled());
    plot->replot();
    QTRY_VERIFY_WITH_TIMEOUT(plot->yAxis->tickVectorLabels().size() == 40, 5000);
    QVERIFY(lr->shownExact());
    // Mean pooling: the colourbar says so, and the tiles are recomputed for it.
    ViewSettings s = ctx->viewSettings();
    s.pooling = Pooling::Mean;
    plot->resetView();
    ctx->setViewSettings(s);
    QVERIFY(waitSettled());
    QVERIFY(lr->shownExact());
    s.pooling = Pooling::Max;
    ctx->setViewSettings(s);
    QVERIFY(waitSettled());
}

void TestUiLongContext::headViewFinishesTilesInterruptedByAViewChange()
{
    if (!m_window || !m_window->context()->isLongRun())
        QSKIP("needs the long run of longRunEqualsStoredMaps");
    // A change that keeps the tiles' values (a colormap, a zoom and back) while tiles are being computed: the
    // interrupted tiles are computed again (or kept), so the view still ends exact instead of stopping half refined.
    SessionContext* ctx = m_window->context();
    HeadViewPanel* hv = m_window->headViewPanel();
    LongHeadRenderer* lr = hv->longRenderer();
    AttentionPlot* plot = hv->plot();
    m_window->setView(ViewKind::Head);
    QVERIFY(waitSettled());
    const std::vector<std::pair<int, int>> heads = {{5, 2}, {9, 4}, {12, 7}, {21, 1}};
    for (size_t k = 0; k < heads.size(); ++k) {
        ctx->select(heads[k].first, heads[k].second);   // no tile of these heads was asked for yet
        ViewSettings s = ctx->viewSettings();
        s.colormap = s.colormap == Colormap::Viridis ? Colormap::Magma : Colormap::Viridis;
        ctx->setViewSettings(s);   // same tiles, new generation, while the first ones are in flight
        if (k % 2) {
            plot->setViewRanges(QCPRange(99.5, 139.5), QCPRange(99.5, 139.5));
            plot->resetView();
        }
        QVERIFY(waitSettled());
        QVERIFY2(lr->shownExact(), qPrintable(QStringLiteral("L%1H%2: %3").arg(heads[k].first).arg(heads[k].second).arg(plot->title())));
        QVERIFY(plot->title().contains(QStringLiteral("exact tiles")));
    }
}

void TestUiLongContext::longFigureCellsEqualBruteForcePooling()
{
    if (!m_window || !m_window->context()->isLongRun() || m_maps.empty())
        QSKIP("needs the long run of longRunEqualsStoredMaps");
    const SessionContext& ctx = *m_window->context();
    int compared = 0;
    for (const auto& [lh, dense] : m_maps) {
        const auto& [tiles, lse] = m_tiles.at(lh);
        QVERIFY(tiles && lse);
        const int64_t T = dense->tokens;
        const HeatmapSource denseSrc{dense, nullptr};
        for (Pooling mode : {Pooling::Max, Pooling::Mean})
            for (bool perRow : {false, true})
                for (int pool : {1, 2, 4, 8, 16}) {
                    for (int64_t origin : {int64_t(0), int64_t(37)}) {
                        PoolWindow w;
                        w.row0 = origin;
                        w.col0 = origin / 2;
                        w.poolX = w.poolY = pool;
                        w.rows = static_cast<int>((T - w.row0 + pool - 1) / pool);
                        w.cols = static_cast<int>((T - w.col0 + pool - 1) / pool);
                        // The streamed grid is used where it can be (the whole map at a multiple of its pool).
                        const CapturedSeriesPtr coarse =
                            ctx.captures().series(mode == Pooling::Mean ? Quantity::CoarseMean : Quantity::CoarseMax, lh.first, lh.second);
                        const ValueGrid got = poolLongWindow(*tiles, *lse, w, mode, perRow, coarse.get(), 2);
                        const ValueGrid want = poolWindow(denseSrc, w, mode, perRow);
                        QCOMPARE(got.rows, want.rows);
                        QCOMPARE(got.cols, want.cols);
                        double worst = 0;
                        for (size_t k = 0; k < want.values.size(); ++k) {
                            const float g = got.values[k], e = want.values[k];
                            QVERIFY2(std::isnan(g) == std::isnan(e), qPrintable(QStringLiteral("cell %1 masked differently").arg(k)));
                            if (!std::isnan(e))
                                worst = std::max(worst, static_cast<double>(std::fabs(g - e)));
                        }
                        QVERIFY2(worst <= 1e-6, qPrintable(QStringLiteral("L%1 H%2 pool %3 %4 %5: max |Δ| %6")
                                                               .arg(lh.first).arg(lh.second).arg(pool)
                                                               .arg(mode == Pooling::Mean ? "mean" : "max")
                                                               .arg(perRow ? "per-row" : "global").arg(worst)));
                        ++compared;
                    }
                }
        QVERIFY(std::fabs(longMapMax(*lse, T) - maxMagnitude(denseSrc)) <= 1e-6);
    }
    QVERIFY(compared > 0);
    qInfo("long figure grids: %d windows compared with brute-force pooling of the stored maps", compared);

    // The head figure pools to its resolution: 120 pt at 72 dpi is 120 pixels, so blocks of 4 cells (~300 tokens).
    const FigureSourcePtr src = figureSourceFromContext(ctx);
    const auto [layer, head] = m_maps.begin()->first;
    const AttentionMapPtr dense = m_maps.begin()->second;
    PanelSpec spec;
    spec.kind = QStringLiteral("head");
    spec.layer = layer;
    spec.head = head;
    FigureStyle style;
    style.widthPt = 120;
    style.dpi = 72;
    const int pool = longFigurePool(dense->tokens, 120);
    QVERIFY(pool >= 2);
    for (Pooling mode : {Pooling::Max, Pooling::Mean}) {
        style.settings.pooling = mode;
        const PanelContentPtr content = panelKind(spec.kind)->prepare(spec, *src, style);
        QVERIFY(content);
        QVERIFY2(content->problem.isEmpty(), qPrintable(content->problem));
        const int side = static_cast<int>((dense->tokens + pool - 1) / pool);
        QCOMPARE(content->cells(), qint64(side) * side);
        QVERIFY(content->colourScale());
        const QString label = content->colourScale()->label;
        QVERIFY2(label.endsWith(mode == Pooling::Mean ? QStringLiteral(" · mean-pooled") : QStringLiteral(" · max-pooled")),
                 qPrintable(label));
        QVERIFY(std::fabs(content->colourScale()->high - maxMagnitude(HeatmapSource{dense, nullptr})) <= 1e-6);
    }

    // PDF and PNG of the long figure, and its data streamed to .npy and HDF5, against the stored map.
    style.settings.pooling = Pooling::Max;
    style.widthPt = 246;
    style.dpi = 300;
    const FigureSpec fig = FigureSpec::single(spec, style);
    const FigureRenderer renderer(fig, src);
    QTemporaryDir dir;
    QString error;
    const QString pdf = dir.filePath(QStringLiteral("long.pdf"));
    QVERIFY2(exportFigure(renderer, pdf, 300, &error), qPrintable(error));
    QVERIFY2(exportFigure(renderer, dir.filePath(QStringLiteral("long.png")), 150, &error), qPrintable(error));
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QVERIFY(!bytes.contains("DCTDecode"));
    // At most kLongFigureMaxCells² cells as one lossless image (4 bytes a cell before compression).
    QVERIFY2(bytes.size() < 4LL * kLongFigureMaxCells * kLongFigureMaxCells, qPrintable(QString::number(bytes.size())));
    if (const QString keep = qEnvironmentVariable("ATTNSCOPE_TEST_KEEP_FIGURES"); !keep.isEmpty()) {
        QFile::copy(pdf, keep + QStringLiteral("/long_head.pdf"));
        QFile::copy(dir.filePath(QStringLiteral("long.png")), keep + QStringLiteral("/long_head.png"));
    }

    const RunDataInfo info = runDataInfoFromContext(ctx, QStringLiteral("prompt"), QString());
    const QString npy = dir.filePath(QStringLiteral("head.npy"));
    QVERIFY2(exportFigureData(fig, *src, info, npy, &error), qPrintable(error));
    QFile nf(npy);
    QVERIFY(nf.open(QIODevice::ReadOnly));
    const QByteArray nb = nf.readAll();
    const int64_t T = dense->tokens;
    QCOMPARE(qint64(nb.size()) % 64, qint64(T * T * 4) % 64);
    const qint64 headerBytes = nb.size() - T * T * 4;
    QVERIFY(headerBytes > 0 && headerBytes % 64 == 0);
    QVERIFY(nb.mid(0, headerBytes).contains(QByteArray("(") + QByteArray::number(qint64(T)) + ", " + QByteArray::number(qint64(T)) + ")"));
    const auto* values = reinterpret_cast<const float*>(nb.constData() + headerBytes);
    double worst = 0;
    for (int64_t k = 0; k < T * T; ++k)
        worst = std::max(worst, static_cast<double>(std::fabs(values[k] - dense->probs[static_cast<size_t>(k)])));
    QVERIFY2(worst <= 1e-6, qPrintable(QString::number(worst)));
    qInfo("streamed .npy vs stored map: max |diff| %.3g (%lld tokens)", worst, static_cast<long long>(T));

    if (hdf5Available()) {
        const QString h5 = dir.filePath(QStringLiteral("head.h5"));
        QVERIFY2(exportFigureData(fig, *src, info, h5, &error), qPrintable(error));
        QFile raw(dir.filePath(QStringLiteral("dense.raw")));
        QVERIFY(raw.open(QIODevice::WriteOnly));
        raw.write(reinterpret_cast<const char*>(dense->probs.data()), static_cast<qint64>(dense->probs.size() * sizeof(float)));
        raw.close();
        // Read back with h5py (Debian's python3-h5py, as tests/core/test_data_export.cpp does): one head read
        // alone from its chunks, compared with the stored map.
        const QString script = QStringLiteral(
            "import sys, h5py, numpy as np\n"
            "f = h5py.File(sys.argv[1], 'r')\n"
            "d = f['attention.probs/layer_%1']\n"
            "assert d.chunks[0] == 1 and d.compression == 'gzip' and d.shuffle, (d.chunks, d.compression)\n"
            "a = d[%2]\n"
            "b = np.fromfile(sys.argv[2], dtype='<f4').reshape(a.shape)\n"
            "print('maxdiff', float(np.abs(a - b).max()))\n").arg(layer).arg(head);
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, h5, raw.fileName()});
        QVERIFY(py.waitForFinished(60000));
        const QString out = QString::fromUtf8(py.readAllStandardOutput() + py.readAllStandardError());
        QVERIFY2(py.exitCode() == 0 && out.startsWith(QStringLiteral("maxdiff")), qPrintable(out));
        QVERIFY2(out.section(QLatin1Char(' '), 1).trimmed().toDouble() <= 1e-6, qPrintable(out));
        qInfo("streamed HDF5 vs stored map: %s", qPrintable(out.trimmed()));
    }
    // CSV of a map this small is written (recomputed whole); longer ones are refused
    // (longMapDataOverTheLimitIsRefusedAsCsvOrNpz).
    QVERIFY2(exportFigureData(fig, *src, info, dir.filePath(QStringLiteral("head.csv")), &error), qPrintable(error));

    // The export dialog's preview draws the long head (on its worker) with no problem reported.
    FigureExportDialog dialog(fig, src, dir.filePath(QStringLiteral("dialog.pdf")), m_window.get());
    dialog.resize(900, 600);
    dialog.show();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.preview()->image().isNull() && !dialog.preview()->isBusy(), 30000);
    QVERIFY2(dialog.preview()->problems().isEmpty(), qPrintable(dialog.preview()->problems().join(QLatin1Char('\n'))));
    if (const QString keep = qEnvironmentVariable("ATTNSCOPE_TEST_KEEP_FIGURES"); !keep.isEmpty())
        dialog.grab().save(keep + QStringLiteral("/long_export_dialog.png"));
    dialog.close();
}

void TestUiLongContext::longMapDataOverTheLimitIsRefusedAsCsvOrNpz()
{
    // A synthetic causal head of 2,100 tokens whose logits are all 0 (P[i, j] = 1 / (i + 1)), no model needed.
    const int64_t T = 2100, d = 2;
    auto q = std::make_shared<CapturedSeries>(), k = std::make_shared<CapturedSeries>(), lse = std::make_shared<CapturedSeries>();
    q->shape = k->shape = {T, d};
    q->values.assign(size_t(T * d), 0.f);
    k->values.assign(size_t(T * d), 0.f);
    lse->shape = {2, T};
    lse->values.assign(size_t(2 * T), 0.f);
    for (int64_t i = 0; i < T; ++i)
        lse->values[size_t(T + i)] = std::log(float(i + 1));
    lse->mask = std::make_shared<const AttentionMask>(AttentionMask::causal());
    RunData run;
    run.info.layers = run.info.heads = run.info.kvHeads = 1;
    for (int64_t i = 0; i < T; ++i) {
        run.tokens.ids.push_back(int32_t(i));
        run.tokens.display.push_back("t");
    }
    run.streamedMaps.push_back({Quantity::AttentionProbs, 0, 0, std::make_shared<const HeadTileSource>(q, k, lse, 0, 1, 1, d, 1.f)});
    QTemporaryDir dir;
    QString error;
    for (const char* ext : {"csv", "npz"}) {
        const QString path = dir.filePath(QStringLiteral("m.") + QLatin1String(ext));
        QVERIFY(!exportRunData(run, path, &error));
        QVERIFY2(error.contains(QStringLiteral("2100-token map")) && error.contains(QStringLiteral(".h5")), qPrintable(error));
        QVERIFY(!QFile::exists(path));
    }
    const QString npy = dir.filePath(QStringLiteral("m.npy"));
    QVERIFY2(exportRunData(run, npy, &error), qPrintable(error));
    QFile f(npy);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray b = f.readAll();
    const qint64 header = b.size() - T * T * 4;
    QVERIFY(header > 0 && header % 64 == 0);
    const auto* v = reinterpret_cast<const float*>(b.constData() + header);
    for (int64_t i : {int64_t(0), int64_t(7), int64_t(1500), T - 1}) {
        QVERIFY(std::fabs(v[i * T] - 1.f / float(i + 1)) <= 1e-6);
        QVERIFY(std::fabs(v[i * T + i] - 1.f / float(i + 1)) <= 1e-6);
        if (i + 1 < T)
            QCOMPARE(v[i * T + i + 1], 0.f);
    }
}

void TestUiLongContext::longPromptAsksFirstWithTheEstimate()
{
    if (!m_window)
        QSKIP("needs the window of longRunEqualsStoredMaps");
    m_window->setRunMode(RunMode::Auto);
    m_window->setLongRunConfirmation(true);
    m_window->setPromptText(textOfTokens(5000));
    QSignalSpy confirm(m_window->bridge(), &SessionBridge::runNeedsConfirmation);
    QSignalSpy started(m_window->bridge(), &SessionBridge::runStarted);
    QElapsedTimer t;
    t.start();
    m_window->runPrompt();
    QVERIFY(confirm.wait(20000));
    qInfo("estimate for a long prompt ready after %lld ms", static_cast<long long>(t.elapsed()));
    const RunPlan plan = confirm.first().at(1).value<RunPlan>();
    QVERIFY(plan.tokens > kLongPromptTokens);
    QVERIFY(plan.longMode);   // over 4,096 tokens: no maps
    QVERIFY(plan.captureBytes > 0 && plan.totalBytes > plan.captureBytes);
    QVERIFY(plan.expectedSeconds > 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<LongRunDialog*>() != nullptr, 2000);
    auto* dialog = m_window->findChild<LongRunDialog*>();
    QVERIFY(dialog->text().contains(QString::number(plan.tokens)));
    QVERIFY(dialog->text().contains(QStringLiteral("Expected time")));
    // For the documentation: ATTNSCOPE_SHOTS_DIR=dir saves the dialog as the user sees it.
    if (const QString dir = qEnvironmentVariable("ATTNSCOPE_SHOTS_DIR"); !dir.isEmpty()) {
        QTest::qWait(100);
        QVERIFY(dialog->grab().save(dir + QStringLiteral("/long-run-estimate.png")));
    }
    dialog->reject();
    QTest::qWait(100);
    QCOMPARE(started.count(), 0);   // nothing ran
    QVERIFY(!m_window->bridge()->isRunning());
    // Again, "don't ask again", Run: the run starts (and is cancelled here: it would take a while).
    m_window->runPrompt();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<LongRunDialog*>() != nullptr, 20000);
    dialog = m_window->findChild<LongRunDialog*>();
    dialog->findChild<QCheckBox*>(QStringLiteral("dontAskAgain"))->setChecked(true);
    QSignalSpy ended(m_window.get(), &MainWindow::runEnded);
    dialog->accept();
    QVERIFY(started.wait(20000));
    QVERIFY(!m_window->longRunConfirmation());
    m_window->cancelRun();
    QVERIFY(ended.wait(60000));
    QVERIFY(waitSettled());
}

void TestUiLongContext::promptOverTheContextOffersToRunBeyond()
{
    if (!m_window)
        QSKIP("needs the window of longRunEqualsStoredMaps");
    m_window->setLongRunConfirmation(true);
    m_window->setPromptText(textOfTokens(9000));   // SmolLM2's context is 8,192 tokens
    QSignalSpy refused(m_window->bridge(), &SessionBridge::runContextRefused);
    QElapsedTimer t;
    t.start();
    m_window->runPrompt();
    QVERIFY(refused.wait(20000));
    qInfo("refused for its length after %lld ms", static_cast<long long>(t.elapsed()));
    const ContextRefusal r = refused.first().at(1).value<ContextRefusal>();
    QVERIFY(r.tokens > 8192);
    QCOMPARE(r.contextLength, qint64(8192));
    QVERIFY(r.canExtrapolate);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<QPushButton*>(QStringLiteral("runBeyondContextButton")) != nullptr, 2000);
    if (const QString dir = qEnvironmentVariable("ATTNSCOPE_SHOTS_DIR"); !dir.isEmpty()) {
        QTest::qWait(100);
        QVERIFY(m_window->findChild<QMessageBox*>(QStringLiteral("contextRefusedDialog"))->grab().save(dir + QStringLiteral("/long-run-beyond-context.png")));
    }
    QSignalSpy confirm(m_window->bridge(), &SessionBridge::runNeedsConfirmation);
    m_window->findChild<QPushButton*>(QStringLiteral("runBeyondContextButton"))->click();
    // Past the context check now: the long run's estimate comes next.
    QVERIFY(confirm.wait(20000));
    const RunPlan plan = confirm.first().at(1).value<RunPlan>();
    QVERIFY(plan.options.beyondContext);
    QCOMPARE(plan.tokens, r.tokens);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<LongRunDialog*>() != nullptr, 2000);
    m_window->findChild<LongRunDialog*>()->reject();
    QVERIFY(waitSettled());
}

void TestUiLongContext::openingALargeTextFileStaysUsable()
{
    if (!m_window)
        QSKIP("needs the window of longRunEqualsStoredMaps");
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("long.txt"));
    QString text;
    int line = 0;
    while (text.size() < 120000)
        text += QStringLiteral("Line %1: a long document the prompt must open and tokenise without freezing.\n").arg(line++);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text.toUtf8());
    f.close();
    m_window->openPath(path);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->promptText().size(), text.size(), 10000);
    QCOMPARE(m_window->promptText(), text);
    PromptPanel* prompt = m_window->promptPanel();
    QTRY_VERIFY_WITH_TIMEOUT(prompt->tokenModel()->rowCount() > 20000, 30000);
    QVERIFY(prompt->strip()->usesUniformChips());
    const QModelIndex last = prompt->tokenModel()->index(prompt->tokenModel()->rowCount() - 1);
    prompt->strip()->scrollTo(last);
    QTest::qWait(20);
    QVERIFY(prompt->strip()->viewport()->rect().intersects(prompt->strip()->visualRect(last)));
}

QTEST_MAIN(TestUiLongContext)
#include "test_ui_long_context.moc"
