// Scripted screenshots: waits until the window has run the model (or, with `compare`, until the Compare tab's
// comparison has finished) and every render job has landed, then saves
// a PNG of the main window and quits with 0, or prints the reason and quits non-zero (error, timeout).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QElapsedTimer>
#include <QPointF>
#include <QObject>
#include <QTimer>

namespace attnscope {
class MainWindow;
}

namespace attnscope::gui {

class ScreenshotDriver : public QObject {
    Q_OBJECT
public:
    ScreenshotDriver(MainWindow* window, QString outPath, int timeoutSeconds, bool compare = false, QObject* parent = nullptr);
    /// Waits for this many finished runs (runs pinned in the sink view first, then the main one); default 1.
    void setRunsToWait(int runs) { m_runsToWait = runs; }

    /// Once everything has rendered, shows keys [k.x, k.y] and queries [q.x, q.y] (the Compare panes with
    /// `compare`, else the head view), waits for the re-render, then grabs.
    void setZoom(QPointF keys, QPointF queries);

private:
    void poll();
    void finish(int code, const QString& message);

    MainWindow* m_window;
    QString m_out;
    int m_timeoutMs;
    QTimer m_poll;
    QElapsedTimer m_clock;
    bool m_runFinished = false;
    int m_runsToWait = 1;
    int m_runsDone = 0;
    bool m_compare = false;
    bool m_zoomPending = false;
    QPointF m_zoomKeys, m_zoomQueries;
    int m_settledPolls = 0;
    bool m_done = false;
};

} // namespace attnscope::gui
