// The UI benchmark harness. It waits with nested event loops, which is fine for a harness but never done in
// the application itself.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/benchmark_ui.h"
#include "gui/benchmark_util.h"

#include "core/metrics/head_ranking.h"
#include "core/tokenizer/tokenizer.h"
#include "ui/main_window.h"
#include "ui/panels/figure_composer_panel.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/capture_subset_dialog.h"
#include "ui/widgets/figure_preview.h"

#include <QCoreApplication>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <vector>

namespace attnscope::gui {


int runUiBenchmark(MainWindow& w, const QString& modelPath, int tokens, int repeats, const QString& captureLayers)
{
    SessionContext* ctx = w.context();
    HeadViewPanel* hv = w.headViewPanel();
    w.setErrorDialogsEnabled(false);
    w.setRunMode(RunMode::Maps);   // this benchmark measures stored maps; benchmark_long.cpp measures long runs
    QString error;
    QObject::connect(&w, &MainWindow::errorReported, [&](const QString& m) { error = m; });
    w.openModel(modelPath, false);
    if (!waitUntil([&] { return ctx->model() != nullptr || !error.isEmpty(); }, 120000) || !error.isEmpty()) {
        std::fprintf(stderr, "attnscope: cannot open %s: %s\n", qPrintable(modelPath), qPrintable(error));
        return 1;
    }
    const QString text = promptOfLength(ctx->model()->model->tokenizer(), tokens, MainWindow::samplePrompt());
    CaptureMaskPtr capture;
    if (!captureLayers.isEmpty()) {
        QString why;
        const auto layers = parseIndexRanges(captureLayers, ctx->model()->info.nLayers, &why);
        if (!layers) {
            std::fprintf(stderr, "attnscope: --capture-layers: %s\n", qPrintable(why));
            return 2;
        }
        std::vector<int> heads(static_cast<size_t>(ctx->model()->info.nHeads));
        std::iota(heads.begin(), heads.end(), 0);
        capture = makeCaptureMask(ctx->model()->info.nLayers, ctx->model()->info.nHeads, *layers, heads);
    }
    w.setPromptText(text);
    w.setView(ViewKind::Head);
    waitUntil([&] { return w.isSettled(); }, 10000);

    // The event-loop stall probe: a 5 ms timer; a gap between ticks is time the UI thread was unavailable.
    QElapsedTimer probeClock;
    probeClock.start();
    qint64 lastTick = 0;
    std::vector<double> gaps;
    bool probing = false;
    QTimer probe;
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = probeClock.elapsed();
        if (probing)
            gaps.push_back(static_cast<double>(now - lastTick));
        lastTick = now;
    });
    probe.start();

    std::vector<double> firstMaps, firstThumbs, total;
    for (int r = 0; r < repeats; ++r) {
        ctx->select(0, 0);
        waitUntil([&] { return w.isSettled(); }, 10000);
        bool mapsShown = false, thumbsShown = false, ended = false;
        QElapsedTimer t;
        double tMaps = -1, tThumbs = -1;
        auto c1 = QObject::connect(hv, &HeadViewPanel::rendered, [&](int l, int h) {
            if (!mapsShown && l == 0 && h == 0 && ctx->isRunning()) {
                mapsShown = true;
                tMaps = static_cast<double>(t.nsecsElapsed()) / 1e6;
            }
        });
        auto c2 = QObject::connect(ctx, &SessionContext::thumbnailsChanged, [&](int layer) {
            if (!thumbsShown && layer == 0) {
                thumbsShown = true;
                tThumbs = static_cast<double>(t.nsecsElapsed()) / 1e6;
            }
        });
        auto c3 = QObject::connect(&w, &MainWindow::runEnded, [&](bool) { ended = true; });
        lastTick = probeClock.elapsed();
        probing = true;
        t.start();
        w.runPromptCapturing(capture);
        if (!waitUntil([&] { return ended; }, 600000) || !error.isEmpty()) {
            std::fprintf(stderr, "attnscope: the benchmark run failed: %s\n", qPrintable(error));
            return 1;
        }
        const double tEnd = static_cast<double>(t.nsecsElapsed()) / 1e6;
        probing = false;
        waitUntil([&] { return w.isSettled(); }, 60000);
        QObject::disconnect(c1);
        QObject::disconnect(c2);
        QObject::disconnect(c3);
        firstMaps.push_back(tMaps);
        firstThumbs.push_back(tThumbs);
        total.push_back(tEnd);
    }
    probe.stop();

    // Head switches at full prompt length: every head of layers 0..2 in order (Right arrow equivalent), first
    // showing weights, then Δ vs layer mean (each new layer computes its mean once; the rest reuse it).
    const int n = std::min(27, ctx->layers() * ctx->heads() - 1);
    auto switchHeads = [&]() {
        std::vector<double> out;
        ctx->select(0, 0);
        waitUntil([&] { return w.isSettled(); }, 60000);
        for (int k = 0; k < n; ++k) {
            bool shown = false;
            QElapsedTimer t;
            t.start();
            auto c = QObject::connect(hv, &HeadViewPanel::rendered, [&](int, int) { shown = true; });
            ctx->step(0, 1);
            waitUntil([&] { return shown && !hv->isBusy(); }, 10000);
            out.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
            QObject::disconnect(c);
        }
        return out;
    };
    const std::vector<double> switches = switchHeads();
    ViewSettings diff = ctx->viewSettings();
    const ViewSettings weights = diff;
    diff.data = DisplayData::DiffFromLayerMean;
    ctx->setViewSettings(diff);
    const std::vector<double> diffSwitches = switchHeads();
    ctx->setViewSettings(weights);
    waitUntil([&] { return w.isSettled(); }, 60000);

    // The head finder's ranking of every head once the run's scores are in, on screen: the table re-read and
    // re-ranked through core (what happens after each layer and at the end of a run) and repainted; and core's
    // rankHeads alone.
    w.setView(ViewKind::Finder);
    waitUntil([&] { return w.isSettled(); }, 10000);
    std::vector<double> finderMs, rankMs;
    for (int k = 0; k < 11; ++k) {
        w.headFinderPanel()->rankBy(k % 2 ? HeadMetric::Induction : HeadMetric::PrevToken);
        QElapsedTimer shown;
        shown.start();
        w.headFinderPanel()->refresh();
        w.headFinderPanel()->repaint();   // synchronous: the ranked table is on screen when this returns
        finderMs.push_back(static_cast<double>(shown.nsecsElapsed()) / 1e6);
        QElapsedTimer t;
        t.start();
        const auto ranked = rankHeads(ctx->metricsTable(), HeadMetric::Induction);
        rankMs.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        if (ranked.empty())
            return 1;
    }

    // Figure composer: a 2 × 3 grid of the same head at spread layers; each change (another head) is timed
    // from the change to its preview on screen (docs/PERFORMANCE.md, issue 12 target: 200 ms).
    std::vector<double> composerMs;
    if (auto* dock = w.findChild<QDockWidget*>(QStringLiteral("composerDock"))) {
        dock->show();
        FigureComposerPanel* composer = w.composer();
        composer->setGrid(2, 3);
        composer->refreshSource();
        composer->fillSameHeadAcrossLayers();
        waitUntil([&] { return !composer->preview()->isBusy(); }, 30000);
        for (int k = 0; k < std::max(5, repeats * 2); ++k) {
            ctx->select(ctx->layer(), (ctx->head() + 1) % std::max(1, ctx->heads()));
            composer->fillSameHeadAcrossLayers();
            if (!waitUntil([&] { return !composer->preview()->isBusy(); }, 30000))
                break;
            composerMs.push_back(composer->preview()->lastLatencyMs());
        }
        dock->hide();
    }

    std::vector<double> sortedGaps = gaps;
    std::sort(sortedGaps.begin(), sortedGaps.end());
    const double maxGap = sortedGaps.empty() ? 0 : sortedGaps.back();
    const double p99 = sortedGaps.empty() ? 0 : sortedGaps[std::min(sortedGaps.size() - 1, static_cast<size_t>(0.99 * sortedGaps.size()))];
    QJsonObject o;
    o[QStringLiteral("model")] = modelPath;
    o[QStringLiteral("tokens")] = static_cast<int>(ctx->tokens() ? ctx->tokens()->size() : 0);
    o[QStringLiteral("backend")] = w.bridge()->backendDescription();
    o[QStringLiteral("cpu")] = QSysInfo::currentCpuArchitecture();
    o[QStringLiteral("ideal_threads")] = QThread::idealThreadCount();
    o[QStringLiteral("runs")] = repeats;
    o[QStringLiteral("run_to_first_layer_maps_on_screen_ms_median")] = median(firstMaps);
    o[QStringLiteral("run_to_first_layer_maps_on_screen_ms")] = toArray(firstMaps);
    o[QStringLiteral("run_to_first_overview_thumbnails_ms_median")] = median(firstThumbs);
    o[QStringLiteral("run_to_all_layers_ms_median")] = median(total);
    o[QStringLiteral("head_switch_ms_median")] = median(switches);
    o[QStringLiteral("head_switch_ms_max")] = switches.empty() ? 0 : *std::max_element(switches.begin(), switches.end());
    o[QStringLiteral("head_switches")] = static_cast<int>(switches.size());
    o[QStringLiteral("head_switch_diff_from_layer_mean_ms_median")] = median(diffSwitches);
    o[QStringLiteral("head_switch_diff_from_layer_mean_ms_max")] = diffSwitches.empty() ? 0 : *std::max_element(diffSwitches.begin(), diffSwitches.end());
    o[QStringLiteral("head_switch_diff_from_layer_mean_ms")] = toArray(diffSwitches);
    o[QStringLiteral("head_finder_rank_all_heads_ms_median")] = median(finderMs);
    o[QStringLiteral("core_rank_heads_ms_median")] = median(rankMs);
    o[QStringLiteral("heads_ranked")] = ctx->metricsTable().layers * ctx->metricsTable().heads;
    o[QStringLiteral("captured_heads")] = ctx->capturedHeadCount();
    o[QStringLiteral("head_view_pixels")] = QStringLiteral("%1x%2").arg(hv->plot()->dataAreaPixels().width()).arg(hv->plot()->dataAreaPixels().height());
    o[QStringLiteral("composer_2x3_preview_update_ms_median")] = median(composerMs);
    o[QStringLiteral("composer_2x3_preview_update_ms")] = toArray(composerMs);
    o[QStringLiteral("ui_stall_ms_max_during_runs")] = maxGap;
    o[QStringLiteral("ui_stall_ms_p99_during_runs")] = p99;
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    return 0;
}

} // namespace attnscope::gui
