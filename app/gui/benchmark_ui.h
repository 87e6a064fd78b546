// `attnscope --benchmark-ui MODEL --tokens N [--capture-layers RANGE]`: measures, through the real window, the
// time from Run to the first layer's map on screen in the head view (and to the overview's first thumbnails),
// head-switch times in the head view with weights and with Δ vs layer mean, the head finder's ranking of every
// head after a run, and the longest UI-thread stall while the model runs. Prints JSON medians. A benchmark, not a
// test (docs/PERFORMANCE.md): numbers are reported, never asserted.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>

namespace attnscope {
class MainWindow;
}

namespace attnscope::gui {

/// Runs the benchmark on an already shown window (the model is opened here). Returns the exit code.
/// `captureLayers` ("0-3", empty = every head) limits the capture for prompts whose maps would not all fit.
int runUiBenchmark(MainWindow& window, const QString& modelPath, int tokens, int repeats, const QString& captureLayers = {});

/// `--benchmark-ui --differential`: one run of an N-token prompt with every head's three maps, then the time from
/// selecting a head to the differential view's three maps on screen (benchmark_differential.cpp).
int runDifferentialBenchmark(MainWindow& window, const QString& modelPath, int tokens, int switches);

} // namespace attnscope::gui
