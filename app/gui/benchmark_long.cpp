// `attnscope --benchmark-ui MODEL --tokens N --run-mode long`: the long-prompt figures of docs/PERFORMANCE.md
// measured through the real window — the whole long run (and the process's peak RSS while it ran), Run → the
// overview's first thumbnails, selecting a head → its first (coarse) image and → every visible tile exact, the
// frame time of pans and zooms once the visible level is cached, and the exact hover text. Prints JSON with the
// load average, as the machine is shared. A benchmark, not a test: numbers are reported, never asserted.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/benchmark_long.h"

#include "gui/benchmark_util.h"
#include "ui/main_window.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/long_head_renderer.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <cstdio>
#include <random>
#include <sys/resource.h>

namespace attnscope::gui {

namespace {

double msSince(const QElapsedTimer& t)
{
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

/// CPU seconds this process has used (every thread): on a shared machine the wall time depends on the load,
/// the CPU time much less.
double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace

int runLongUiBenchmark(MainWindow& w, const QString& modelPath, int tokens, int repeats)
{
    SessionContext* ctx = w.context();
    HeadViewPanel* hv = w.headViewPanel();
    AttentionPlot* plot = hv->plot();
    w.setErrorDialogsEnabled(false);
    w.setLongRunConfirmation(false);
    w.setRunMode(RunMode::Long);
    QString error;
    QObject::connect(&w, &MainWindow::errorReported, [&](const QString& m) { error = m; });
    const double loadBefore = loadAverage();
    w.openModel(modelPath, false);
    if (!waitUntil([&] { return ctx->model() != nullptr || !error.isEmpty(); }, 120000) || !error.isEmpty()) {
        std::fprintf(stderr, "attnscope: cannot open %s: %s\n", qPrintable(modelPath), qPrintable(error));
        return 1;
    }
    const ModelConfig& cfg = ctx->model()->model->config();
    w.setPromptText(promptOfLength(ctx->model()->model->tokenizer(), tokens, MainWindow::samplePrompt()));
    w.setView(ViewKind::Overview);
    waitUntil([&] { return w.isSettled(); }, 60000);

    // 1. Whole runs: time, the estimate made before it, Run → first thumbnails, peak RSS.
    std::vector<double> runMs, runCpuS, thumbMs, estimateS, rssMb, loads;
    double keptMb = 0;
    for (int r = 0; r < repeats; ++r) {
        estimateS.push_back(w.bridge()->costModel().expectedSeconds(cfg, tokens, true));
        resetPeakRss();
        bool thumbs = false, ended = false;
        double tThumb = -1;
        QElapsedTimer t;
        auto c1 = QObject::connect(ctx, &SessionContext::thumbnailsChanged, [&](int layer) {
            if (!thumbs && layer == 0) {
                thumbs = true;
                tThumb = msSince(t);
            }
        });
        auto c2 = QObject::connect(&w, &MainWindow::runEnded, [&](bool) { ended = true; });
        auto c3 = QObject::connect(w.bridge(), &SessionBridge::runFinished, [&](quint64, const RunSummary& s) {
            keptMb = static_cast<double>(s.keptBytes) / 1e6;
        });
        const double cpu0 = cpuSeconds();
        t.start();
        w.runPrompt();
        if (!waitUntil([&] { return ended; }, 4 * 3600 * 1000) || !error.isEmpty() || !ctx->isLongRun()) {
            std::fprintf(stderr, "attnscope: the long run failed: %s\n", qPrintable(error));
            return 1;
        }
        runMs.push_back(msSince(t));
        runCpuS.push_back(cpuSeconds() - cpu0);
        loads.push_back(loadAverage());
        thumbMs.push_back(tThumb);
        waitUntil([&] { return w.isSettled(); }, 600000);
        rssMb.push_back(peakRssMb());
        QObject::disconnect(c1);
        QObject::disconnect(c2);
        QObject::disconnect(c3);
    }

    // 2. The head view: selecting a head → its first image (the streamed grid) and → every visible tile exact.
    w.setView(ViewKind::Head);
    waitUntil([&] { return w.isSettled(); }, 600000);
    std::vector<double> firstImageMs, exactMs;
    const int heads = ctx->heads(), layers = ctx->layers();
    for (int k = 0; k < 5; ++k) {
        const int l = (3 + 5 * k) % layers, h = (2 * k + 1) % heads;
        bool shown = false;
        QElapsedTimer t;
        auto c = QObject::connect(hv, &HeadViewPanel::rendered, [&](int rl, int rh) {
            if (!shown && rl == l && rh == h) {
                shown = true;
                firstImageMs.push_back(msSince(t));
            }
        });
        t.start();
        ctx->select(l, h);
        waitUntil([&] { return shown; }, 60000);
        waitUntil([&] { return w.isSettled(); }, 1800000);
        exactMs.push_back(msSince(t));
        QObject::disconnect(c);
    }
    const bool exactWhole = hv->longRenderer()->shownExact();

    // 3. Pans and zooms over a zoomed-in region once its level is cached: each frame is the replot that follows
    // the input (the recomposition from cached tiles happens on a worker afterwards).
    const double span = std::max(64.0, tokens / 8.0), centre = tokens * 0.6;
    plot->setViewRanges(QCPRange(centre - span / 2, centre + span / 2), QCPRange(centre - span / 2, centre + span / 2));
    waitUntil([&] { return w.isSettled(); }, 1800000);
    std::vector<double> frameMs;
    for (int i = 0; i < 60; ++i) {
        QElapsedTimer t;
        t.start();
        if (i % 3 == 2)
            plot->zoomBy(i % 2 ? 0.9 : 1.0 / 0.9);
        else
            plot->panBy((i % 4 < 2 ? 1 : -1) * span * 0.02, (i % 4 < 2 ? -1 : 1) * span * 0.02);
        plot->replot();
        frameMs.push_back(msSince(t));
        waitUntil([] { return false; }, 16);   // ~60 Hz input; worker results land in between
    }
    waitUntil([&] { return w.isSettled(); }, 600000);
    const bool exactZoomed = hv->longRenderer()->shownExact();
    const int shownLevel = hv->longRenderer()->shownLevel();

    // 4. Exact hover: the recomputed cell and its rank in the recomputed row (a new query each time).
    std::vector<double> hoverMs;
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(tokens / 4, tokens - 1);
    for (int i = 0; i < 40; ++i) {
        const int q = pick(rng), key = std::uniform_int_distribution<int>(0, q)(rng);
        QElapsedTimer t;
        t.start();
        const QString text = plot->hoverText(q, key);
        hoverMs.push_back(msSince(t));
        if (!text.contains(QStringLiteral("recomputed")))
            std::fprintf(stderr, "attnscope: unexpected hover text: %s\n", qPrintable(text));
    }

    QJsonObject o;
    o[QStringLiteral("model")] = modelPath;
    o[QStringLiteral("tokens")] = ctx->tokenCount();
    o[QStringLiteral("backend")] = w.bridge()->backendDescription();
    o[QStringLiteral("ideal_threads")] = QThread::idealThreadCount();
    o[QStringLiteral("load_average_1min_before")] = loadBefore;
    o[QStringLiteral("load_average_1min_after")] = loadAverage();
    o[QStringLiteral("runs")] = repeats;
    o[QStringLiteral("run_ms_median")] = median(runMs);
    o[QStringLiteral("run_ms")] = toArray(runMs);
    o[QStringLiteral("run_cpu_s")] = toArray(runCpuS);
    o[QStringLiteral("load_average_1min_at_run_end")] = toArray(loads);
    o[QStringLiteral("estimate_before_run_s")] = toArray(estimateS);
    o[QStringLiteral("run_to_first_thumbnails_ms_median")] = median(thumbMs);
    o[QStringLiteral("peak_rss_mb_median")] = median(rssMb);
    o[QStringLiteral("peak_rss_mb")] = toArray(rssMb);
    o[QStringLiteral("kept_mb")] = keptMb;
    o[QStringLiteral("head_first_image_ms_median")] = median(firstImageMs);
    o[QStringLiteral("head_first_image_ms")] = toArray(firstImageMs);
    o[QStringLiteral("head_all_visible_tiles_exact_ms_median")] = median(exactMs);
    o[QStringLiteral("head_all_visible_tiles_exact_ms")] = toArray(exactMs);
    o[QStringLiteral("head_whole_map_exact")] = exactWhole;
    o[QStringLiteral("pan_zoom_frame_ms_median")] = median(frameMs);
    o[QStringLiteral("pan_zoom_frame_ms_p95")] = percentile(frameMs, 0.95);
    o[QStringLiteral("zoomed_view_exact")] = exactZoomed;
    o[QStringLiteral("zoomed_view_level")] = shownLevel;
    o[QStringLiteral("hover_ms_median")] = median(hoverMs);
    o[QStringLiteral("hover_ms_p95")] = percentile(hoverMs, 0.95);
    o[QStringLiteral("tile_cache_mb")] = static_cast<double>(hv->longRenderer()->cache().bytes()) / 1e6;
    o[QStringLiteral("tiles_computed")] = hv->longRenderer()->tilesComputed();
    o[QStringLiteral("head_view_pixels")] = QStringLiteral("%1x%2").arg(plot->dataAreaPixels().width()).arg(plot->dataAreaPixels().height());
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    return 0;
}

} // namespace attnscope::gui
