// The attnscope GUI command line: MODEL (or SESSION), --text/--text-file or --induction-probe, --layer, --head,
// --query, --key, --view, --score, --signal-span, --sink-threshold, --pin, --variant, --screenshot OUT.png,
// --size WxH, --threads, --backend, and the UI benchmark (--benchmark-ui --tokens N, --differential).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_context.h"

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
    QString screenshot;            // OUT.png: render, save and exit
    QSize size{1400, 900};
    int threads = 0;               // 0 = the backend's default
    QString backend = QStringLiteral("auto");
    bool benchmark = false;
    int benchmarkTokens = 1024;
    int benchmarkRepeats = 5;
    bool benchmarkDifferential = false;   // --differential: time the differential view instead of the head view
    QString benchmarkLayers;       // --capture-layers: capture only these layers ("0-3"); empty = every head
    int timeoutSeconds = 300;
    // Differential and sink views (scripted figures)
    std::optional<std::pair<int, int>> signalSpan;   // --signal-span B-E: keys B..E inclusive
    std::optional<double> sinkThreshold;             // --sink-threshold E
    QStringList pinRuns;                             // --pin "PATH[|VARIANT]": runs pinned before the main run
    QString variant;                                 // --variant SPEC: the main run under a what-if variant
};

/// Parses the application's arguments. On a usage error returns nullopt with the message in `error`.
std::optional<GuiOptions> parseGuiOptions(const QStringList& arguments, QString* error);

} // namespace attnscope::gui
