// The attnscope GUI command line: MODEL (or SESSION), --text/--text-file or --induction-probe, --layer, --head,
// --query, --key, --view, --score, --variant SPEC (repeated with --compare), --compare, --signal-span,
// --sink-threshold, --pin, --screenshot OUT.png, --zoom, --size WxH, --threads, --backend, and the UI benchmark
// (--benchmark-ui --tokens N, --differential), --run-mode auto|maps|long, --beyond-context.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_context.h"

#include <QPointF>
#include <QSize>
#include <QString>
#include <QStringList>

#include <optional>

namespace attnscope::gui {

struct GuiOptions {
    QString path;                  // model file/folder, or a .attnscope session
    std::optional<QString> text;   // from --text or --text-file (read by the parser: it runs before the UI)
    std::optional<int> layer, head;
    std::optional<ViewKind> view;
    std::optional<int> query, key;
    std::optional<HeadMetric> score;   // summary heatmap and head-finder ranking
    bool inductionProbe = false;       // run the repeated-random-tokens probe instead of a text
    QStringList variants;              // --variant SPEC (repeated): with --compare, the compare workspace's variants
    bool compare = false;              // --compare: run the comparison (not the plain run) once the model is open
    QString screenshot;            // OUT.png: render, save and exit
    std::optional<std::pair<QPointF, QPointF>> zoom;   // --zoom K0:K1,Q0:Q1: key and query cell ranges shown
    QSize size{1400, 900};
    int threads = 0;               // 0 = the backend's default
    QString backend = QStringLiteral("auto");
    bool benchmark = false;
    int benchmarkTokens = 1024;
    int benchmarkRepeats = 5;
    bool benchmarkDifferential = false;   // --differential: time the differential view instead of the head view
    QString benchmarkLayers;       // --capture-layers: capture only these layers ("0-3"); empty = every head
    int timeoutSeconds = 300;
    RunMode runMode = RunMode::Auto;   // --run-mode: how runs keep the attention (long prompts: docs/LONG-CONTEXT.md)
    bool beyondContext = false;        // --beyond-context
    bool deltaView = false;            // --data delta: the head view shows Δ vs. the layer mean
    // Differential and sink views (scripted figures)
    std::optional<std::pair<int, int>> signalSpan;   // --signal-span B-E: keys B..E inclusive
    std::optional<double> sinkThreshold;             // --sink-threshold E
    QStringList pinRuns;                             // --pin "PATH[|VARIANT]": runs pinned before the main run
    QString variant;                                 // --variant SPEC without --compare: the main run under it
};

/// Parses the application's arguments. On a usage error returns nullopt with the message in `error`.
std::optional<GuiOptions> parseGuiOptions(const QStringList& arguments, QString* error);

} // namespace attnscope::gui
