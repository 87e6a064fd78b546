// `attnscope --benchmark-ui MODEL --tokens N`: measures, through the real window, the time from Run to the
// first layer's map on screen in the head view (and to the overview's first thumbnails), head-switch times in
// the head view, and the longest UI-thread stall while the model runs. Prints JSON medians. A benchmark, not a
// test (PERFORMANCE §9): numbers are reported, never asserted.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>

namespace attnscope {
class MainWindow;
}

namespace attnscope::gui {

/// Runs the benchmark on an already shown window (the model is opened here). Returns the exit code.
int runUiBenchmark(MainWindow& window, const QString& modelPath, int tokens, int repeats);

} // namespace attnscope::gui
