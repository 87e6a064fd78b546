// One map of the compare workspace (docs/GUI.md "Compare"): the head view's AttentionPlot (token tick labels,
// hatched masked cells, colourbar, zoom and pan) plus a crosshair that the workspace moves in every pane at once,
// a colourbar label of the pane's own ("variant − baseline"), and a tooltip that the workspace fills with the
// hovered cell's value in every pane. Hover reports every move, including leaving the map ((-1, -1)).
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/widgets/attention_plot.h"

#include <functional>

namespace attnscope {

class ComparePlot : public AttentionPlot {
    Q_OBJECT
public:
    explicit ComparePlot(QWidget* parent = nullptr);

    /// Crosshair through cell (query row, key column); (-1, -1) hides it.
    void setCrosshair(int query, int key);
    QPoint crosshair() const { return m_cross; }
    /// Replaces the colourbar's axis label (set after every setHeatmap, which writes its own).
    void setColorbarLabel(const QString& label);
    QString colorbarLabel() const;
    /// Row (query) tick labels and axis title on or off: panes to the right of the first share its rows, so they
    /// leave them out and give the map the room.
    void setRowLabelsVisible(bool visible);
    /// Tooltip text for a hovered cell (query, key).
    void setHoverTextProvider(std::function<QString(int, int)> provider) { m_hoverText = std::move(provider); }

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    QCPColorScale* findColorScale() const;

    QCPItemStraightLine* m_hLine = nullptr;
    QCPItemStraightLine* m_vLine = nullptr;
    QPoint m_cross{-1, -1};
    std::function<QString(int, int)> m_hoverText;
};

} // namespace attnscope
