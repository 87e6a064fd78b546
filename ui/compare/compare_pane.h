// A pane of the compare workspace (docs/GUI.md "Compare"): a header naming what it shows (the baseline, a
// variant's spec, or "A − B"), the map in a ComparePlot, and a footer with the hovered cell's value. The map is
// pooled to the pixels it is drawn on and colourised on a worker (one job at a time, the latest request wins),
// with a colour range the workspace chooses (one range shared by the baseline and the variants; symmetric for
// the difference), and re-pooled when the zoom or the size changes. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/token_list_model.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"

#include <QTimer>
#include <QWidget>

class QLabel;

namespace attnscope {

class ComparePlot;

class ComparePane : public QWidget {
    Q_OBJECT
public:
    explicit ComparePane(QWidget* parent = nullptr);

    ComparePlot* plot() const { return m_plot; }
    QLabel* headerLabel() const { return m_header; }
    QLabel* valueLabel() const { return m_value; }
    void setHeader(const QString& text, const QString& tooltip = {});
    void setTokens(TokenRowsPtr tokens);

    /// Shows a map. Colours span [0, rangeMax] ([−rangeMax, rangeMax] for signed sources); `colorbar` labels the
    /// bar. The zoom is kept while the token count stays the same.
    void setSource(const HeatmapSource& source, const ViewSettings& settings, double rangeMax, const QString& title,
                   const QString& colorbar);
    /// A long prompt: shows a grid pooled while the run streamed (cells of grid->pool tokens a side, NaN where
    /// masked) over a map of `tokens`, whole; zooming enlarges its cells. The footer gives the pooled cell's token
    /// ranges and value, `what` naming the pooling ("max-pooled").
    void setPooledGrid(std::shared_ptr<const ValueGrid> grid, int64_t tokens, bool isSigned, const ViewSettings& settings,
                       double rangeMax, const QString& title, const QString& colorbar, const QString& what);
    const std::shared_ptr<const ValueGrid>& pooledGrid() const { return m_pooled; }
    /// Clears the map and says why in the title.
    void clear(const QString& message);
    const HeatmapSource& source() const { return m_source; }
    double rangeMax() const { return m_rangeMax; }

    /// The value at a cell as the footer shows it: "0.0421", "−0.0123", "masked (outside the window of 64)".
    QString valueText(int query, int key) const;
    /// Footer and crosshair for the hovered cell ((-1, -1): none).
    void showHover(int query, int key);

    /// True while a render job is out or queued.
    bool isBusy() const { return m_jobRunning || m_dirty; }
    /// The source on screen is the latest one set.
    bool isShown() const { return m_shownGeneration == m_generation && !m_source.empty(); }

signals:
    void rendered();

private:
    void requestRender();
    void checkWindow();
    PoolWindow wantedWindow(int64_t tokens) const;

    ComparePlot* m_plot;
    QLabel* m_header;
    QLabel* m_value;
    QTimer m_windowTimer;
    HeatmapSource m_source;
    std::shared_ptr<const ValueGrid> m_pooled;   // setPooledGrid's grid (then m_source has no map)
    QString m_pooledWhat;
    ViewSettings m_settings;
    double m_rangeMax = -1;
    QString m_title, m_colorbar;
    quint64 m_generation = 0, m_shownGeneration = 0;
    bool m_jobRunning = false;
    bool m_dirty = false;
};

} // namespace attnscope
