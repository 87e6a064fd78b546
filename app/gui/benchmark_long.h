// The long-prompt UI benchmark (benchmark_long.cpp): `attnscope --benchmark-ui MODEL --tokens N --run-mode long`.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>

namespace attnscope {
class MainWindow;
}

namespace attnscope::gui {

/// Runs the long-prompt benchmark on an already shown window (the model is opened here). Returns the exit code.
int runLongUiBenchmark(MainWindow& window, const QString& modelPath, int tokens, int repeats);

} // namespace attnscope::gui
