// Scripted overlays for the sink view (--pin MODEL[|SPEC], repeatable): opens each model in turn, runs the prompt
// (under the variant when given), waits until the window has settled, pins the run's curve, and then hands over to
// the main model's run. Used for reproducible figures (docs/SINKS.md). Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>

namespace attnscope {
class MainWindow;
}

namespace attnscope::gui {

class PinRuns : public QObject {
    Q_OBJECT
public:
    /// `then` runs after the last pinned run (it opens and runs the main model). Errors are reported through the
    /// window (MainWindow::errorReported), which the screenshot driver turns into a non-zero exit.
    PinRuns(MainWindow* window, QStringList specs, std::function<void()> then, QObject* parent = nullptr);
    void start();

private:
    void step();

    MainWindow* m_window;
    QStringList m_specs;
    std::function<void()> m_then;
    int m_next = 0;
    QTimer m_settle;
};

} // namespace attnscope::gui
