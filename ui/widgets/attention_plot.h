// The head view's plot: one head's map as a heatmap (query rows top to bottom, key columns), token text as
// tick labels where they fit (recomputed whenever the plot's layout changes, so they are right on the very first
// display), a colourbar, hover tooltips (query, key, weight, rank in its row) with the hovered cell outlined, the
// query row marked, clicks on a cell or a row label that pick the query (and a column label the key), zoom and
// pan with mouse and keyboard, and arrow / PgUp / PgDn navigation requests. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/token_list_model.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"

#include <qcustomplot.h>

namespace attnscope {

class HeatmapPlottable;

class AttentionPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit AttentionPlot(QWidget* parent = nullptr);

    void setTokens(TokenRowsPtr tokens);
    /// Shows a colourised window of a map. `source` keeps the exact values for hover; the zoom is kept when the
    /// token count is unchanged (flipping heads over a zoomed region) and reset otherwise.
    void setHeatmap(const HeatmapSource& source, const ColourisedGrid& image, const PoolWindow& window,
                    const ViewSettings& settings, const QString& title);
    qint64 cells() const { return m_cells; }
    const PoolWindow& window() const;
    /// Outlines the query row (-1: none).
    void setQueryRow(int query);
    int queryRow() const { return m_queryRow; }
    /// The cell outlined under the mouse, (-1, -1) when none.
    QPoint hoveredCell() const { return m_hovered; }
    void setDimmed(bool dimmed);
    /// Sets the zoom (undo/redo); clamped to the map.
    void setViewRanges(const QCPRange& x, const QCPRange& y);
    /// Size of the data area in device pixels (what a pooled image should not exceed).
    QSize dataAreaPixels() const;
    /// Replaces the colourbar's label (empty: the label the view settings imply).
    void setColorbarTitle(const QString& title) { m_colorbarTitle = title; }
    /// Clears the plot and shows a message in the title ("layer 7 not computed yet").
    void clearHeatmap(const QString& message);
    bool hasHeatmap() const;
    QString title() const;

    /// Cell under a widget position: (query row, key column), or (-1, -1) outside the map.
    QPoint cellAt(const QPointF& pos) const;
    /// The hover text for a cell ("query #3 'fox' → key #1 'quick' …"); empty outside the map.
    QString hoverText(int query, int key) const;

    void resetView();
    void zoomBy(double factor);
    void panBy(double dxCells, double dyCells);

signals:
    void navigate(int dLayer, int dHead);
    void cellHovered(int query, int key);
    /// A click (not a drag) on a cell.
    void cellClicked(int query, int key);
    void rowLabelClicked(int query);
    void columnLabelClicked(int key);
    /// The user zoomed or panned (wheel, drag, keys); emitted once per gesture.
    void userZoomed();
    /// The visible range or the data area changed, for whatever reason.
    void viewChanged();

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void clampRanges();
    void updateTickLabels();
    void afterLayoutChanged();
    void setHovered(QPoint cell);
    void placeMarkers();
    QString tokenLabel(int position, int maxChars) const;
    QString tileHoverText(int query, int key) const;

    HeatmapPlottable* m_heatmap = nullptr;
    QCPColorScale* m_colorScale = nullptr;
    QCPTextElement* m_title = nullptr;
    QSharedPointer<QCPAxisTickerText> m_xTicker, m_yTicker;
    HeatmapSource m_source;
    mutable std::vector<float> m_hoverRow;   // long prompts: the hovered query's recomputed row
    mutable int m_hoverRowQuery = -1;
    TokenRowsPtr m_tokens;
    qint64 m_cells = 0;
    bool m_clamping = false;
    QCPItemRect* m_queryMark = nullptr;
    QCPItemRect* m_hoverMark = nullptr;
    int m_queryRow = -1;
    QPoint m_hovered{-1, -1};
    QPoint m_pressPos;
    bool m_pressed = false;
    QSize m_tickAreaSize;            // data-area size the tick labels were computed for
    int m_tickRelayouts = 0;         // consecutive layout-driven recomputations (stops a label/margin loop)
    QString m_colorbarTitle;
};

} // namespace attnscope
