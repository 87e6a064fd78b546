// Head view: the selected head's map rendered large. The map is pooled to the pixels it is drawn on (max or
// mean per the view settings; re-pooled when the zoom or the size changes) and colourised on a worker (one job
// at a time, the latest request wins); the plot is replotted when the image comes back. The Δ-vs-layer-mean
// view reuses the layer's mean map, cached by the context, so switching heads within a layer reads two maps,
// not all of them. Clicking a cell or a row label picks the query token. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_spec.h"
#include "ui/render/heatmap_image.h"

#include <QTimer>
#include <QWidget>

namespace attnscope {

class AttentionPlot;
class LongHeadRenderer;
class SessionContext;

class HeadViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit HeadViewPanel(SessionContext* context, QWidget* parent = nullptr);
    AttentionPlot* plot() const { return m_plot; }
    /// True while a render job is out or queued (for a long prompt: also tiles still to compute).
    bool isBusy() const;
    /// The long-prompt path (no stored map: a pooled grid, then exact tiles; docs/LONG-CONTEXT.md).
    LongHeadRenderer* longRenderer() const { return m_long; }
    /// True while a layer mean is computed ahead of time (nothing on screen waits for it).
    bool isPrefetching() const { return m_prefetching; }
    /// Layer and head currently on screen (-1 when none).
    int shownLayer() const { return m_shownLayer; }
    int shownHead() const { return m_shownHead; }

    void requestRender();
    /// The head on screen as a figure panel (docs/FIGURES.md): layer, head and, when zoomed, the token ranges
    /// shown — what File ▸ Export Figure, Ctrl+C and the composer's "use this view" draw.
    PanelSpec panelSpec() const;

signals:
    /// After the plot was replotted with (layer, head) on screen.
    void rendered(int layer, int head);

protected:
    void showEvent(QShowEvent* event) override;

private:
    /// Re-pools when the visible window or the pixels behind it no longer match the image on screen.
    void checkWindow();
    PoolWindow wantedWindow(int64_t tokens) const;
    /// In the Δ view, computes the next layer's mean ahead of time (stepping through heads reaches it next).
    void prefetchLayerMean(int layer);

    /// A long run's head: hands it to the long renderer; false when the head is not there yet.
    bool renderLong(int layer, int head);

    SessionContext* m_context;
    AttentionPlot* m_plot;
    LongHeadRenderer* m_long;
    QTimer m_windowTimer;
    bool m_jobRunning = false;
    bool m_prefetching = false;
    bool m_dirty = false;
    int m_shownLayer = -1, m_shownHead = -1;
    // The colour range of the map on screen, so a re-pool after a zoom does not read the whole map again.
    const void* m_rangeKey = nullptr;
    const void* m_rangeMeanKey = nullptr;
    double m_rangeMax = -1;
};

} // namespace attnscope
