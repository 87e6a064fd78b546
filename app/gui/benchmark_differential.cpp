// `attnscope --benchmark-ui --differential MODEL --tokens N --repeat S`: the differential view's latency target
// (docs/PERFORMANCE.md): once a run of an N-token prompt is done, the time from selecting a head to A1, λ·A2 and
// A1 − λ·A2 replotted on screen, over S head switches (each a new head: its λ·A2 is built, the three maps pooled
// and colourised). A benchmark, not a test: numbers are reported, never asserted.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/benchmark_ui.h"
#include "gui/benchmark_util.h"

#include "core/tokenizer/tokenizer.h"
#include "ui/main_window.h"
#include "ui/panels/differential_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/attention_plot.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <algorithm>
#include <cstdio>

namespace attnscope::gui {

int runDifferentialBenchmark(MainWindow& w, const QString& modelPath, int tokens, int switches)
{
    SessionContext* ctx = w.context();
    DifferentialPanel* dp = w.differentialPanel();
    w.setErrorDialogsEnabled(false);
    QString error;
    QObject::connect(&w, &MainWindow::errorReported, [&](const QString& m) { error = m; });
    w.openModel(modelPath, false);
    if (!waitUntil([&] { return ctx->model() != nullptr || !error.isEmpty(); }, 120000) || !error.isEmpty()) {
        std::fprintf(stderr, "attnscope: cannot open %s: %s\n", qPrintable(modelPath), qPrintable(error));
        return 1;
    }
    if (ctx->model()->model->config().diff == DiffVersion::None) {
        std::fprintf(stderr, "attnscope: --differential needs a differential model\n");
        return 2;
    }
    w.setPromptText(promptOfLength(ctx->model()->model->tokenizer(), tokens, MainWindow::samplePrompt()));
    w.setView(ViewKind::Differential);
    bool ended = false;
    auto c = QObject::connect(&w, &MainWindow::runEnded, [&](bool) { ended = true; });
    QElapsedTimer run;
    run.start();
    w.runPrompt();
    if (!waitUntil([&] { return ended; }, 600000) || !error.isEmpty()) {
        std::fprintf(stderr, "attnscope: the benchmark run failed: %s\n", qPrintable(error));
        return 1;
    }
    const double runMs = static_cast<double>(run.nsecsElapsed()) / 1e6;
    QObject::disconnect(c);
    ctx->select(0, 0);
    waitUntil([&] { return w.isSettled(); }, 120000);

    std::vector<double> ms;
    const int n = std::min(switches, ctx->layers() * ctx->heads() - 1);
    for (int k = 0; k < n; ++k) {
        bool shown = false;
        const int next = (ctx->layer() * ctx->heads() + ctx->head() + 1);
        const int wl = next / ctx->heads(), wh = next % ctx->heads();
        auto r = QObject::connect(dp, &DifferentialPanel::rendered, [&](int l, int h) { shown = shown || (l == wl && h == wh); });
        QElapsedTimer t;
        t.start();
        ctx->step(0, 1);
        waitUntil([&] { return shown && !dp->isBusy(); }, 30000);
        ms.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        QObject::disconnect(r);
    }
    QJsonObject o;
    o[QStringLiteral("model")] = modelPath;
    o[QStringLiteral("tokens")] = ctx->tokenCount();
    o[QStringLiteral("layers")] = ctx->layers();
    o[QStringLiteral("heads")] = ctx->heads();
    o[QStringLiteral("backend")] = w.bridge()->backendDescription();
    o[QStringLiteral("ideal_threads")] = QThread::idealThreadCount();
    o[QStringLiteral("run_with_all_maps_ms")] = runMs;
    o[QStringLiteral("differential_head_switch_ms_median")] = median(ms);
    o[QStringLiteral("differential_head_switch_ms_max")] = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
    o[QStringLiteral("differential_head_switch_ms")] = toArray(ms);
    o[QStringLiteral("plot_pixels")] = QStringLiteral("3 × %1x%2").arg(dp->plot(DifferentialPanel::A1)->dataAreaPixels().width())
                                           .arg(dp->plot(DifferentialPanel::A1)->dataAreaPixels().height());
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    return 0;
}

} // namespace attnscope::gui
