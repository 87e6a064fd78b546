// Head view: the selected head's map rendered large. Colourising runs on a worker over the immutable map
// (one job at a time, the latest request wins) and the plot is replotted when the image comes back.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QElapsedTimer>
#include <QWidget>

namespace attnscope {

class AttentionPlot;
class SessionContext;

class HeadViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit HeadViewPanel(SessionContext* context, QWidget* parent = nullptr);
    AttentionPlot* plot() const { return m_plot; }
    /// True while a render job is out or queued.
    bool isBusy() const { return m_jobRunning || m_dirty; }
    /// Layer and head currently on screen (-1 when none).
    int shownLayer() const { return m_shownLayer; }
    int shownHead() const { return m_shownHead; }

    void requestRender();

signals:
    /// After the plot was replotted with (layer, head) on screen.
    void rendered(int layer, int head);

private:
    SessionContext* m_context;
    AttentionPlot* m_plot;
    bool m_jobRunning = false;
    bool m_dirty = false;
    int m_shownLayer = -1, m_shownHead = -1;
};

} // namespace attnscope
