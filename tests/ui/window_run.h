// Test helpers shared by the Qt Tests that drive a whole MainWindow: open a model, run a prompt, and wait until
// every view has caught up (conditions with generous limits, not timings).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/main_window.h"
#include "ui/session_bridge.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QString>
#include <QTest>

namespace attnscope::test {

/// Waits up to `timeoutMs` for the window to settle (no run, no pending view work); true if it did.
inline bool waitSettled(MainWindow& w, int timeoutMs = 30000)
{
    QElapsedTimer t;
    t.start();
    while (!w.isSettled() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return w.isSettled();
}

/// Opens `model`, runs `text` and waits for the views; false if a step did not finish in time.
inline bool openAndRun(MainWindow& w, const QString& model, const QString& text)
{
    QSignalSpy opened(w.bridge(), &SessionBridge::modelOpened);
    w.openModel(model);
    if (!opened.wait(30000))
        return false;
    w.setPromptText(text);
    QSignalSpy finished(w.bridge(), &SessionBridge::runFinished);
    w.runPrompt();
    if (!finished.wait(60000))
        return false;
    return waitSettled(w);
}

} // namespace attnscope::test
