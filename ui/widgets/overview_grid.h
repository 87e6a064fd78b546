// Small multiples: a layers × heads grid of thumbnail heatmaps (max-pooled to ≤ 64²), query heads grouped by
// the KV head they share (GQA) with a gap between groups. The cells grow to fill the width (between 24 and
// 160 px) and the grid scrolls vertically (and horizontally when even the smallest cells do not fit), so every
// layer and head of a 30-, 64- or 128-layer model is reachable; the selected head is always scrolled into view.
// The layer labels and head headers stay put while the cells scroll. Click selects a head, double-click or
// Enter opens it in the head view; arrows move the selection, PgUp/PgDn by a screenful of layers, Home/End to
// the first/last layer. Hover lists every score of the head. Thumbnails of a stale run are dimmed. Repaints are
// coalesced (30 ms) while layers stream in. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QAbstractScrollArea>
#include <QTimer>

namespace attnscope {

class SessionContext;

class OverviewGrid : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit OverviewGrid(SessionContext* context, QWidget* parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    /// Viewport rectangle of a cell at the current scroll position (for tests and hit testing).
    QRect cellRect(int layer, int head) const;
    /// (layer, head) at a viewport position, or (-1, -1).
    QPoint cellAt(const QPoint& viewportPos) const;
    /// Side of a thumbnail cell in pixels (follows the width).
    int cellSize() const { return m_cell; }
    /// Whether the whole cell is inside the viewport, below the headers and right of the labels.
    bool isCellVisible(int layer, int head) const;
    /// Scrolls the least needed to show the cell.
    void ensureCellVisible(int layer, int head);
    /// Schedules a coalesced repaint.
    void scheduleRepaint();

signals:
    void headActivated(int layer, int head);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    bool viewportEvent(QEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    void relayout();
    int contentColumnX(int head) const;   // in content coordinates (no scroll)
    int contentWidth() const;
    int contentHeight() const;
    int visibleLayerRows() const;
    QString tooltipFor(int layer, int head) const;

    SessionContext* m_context;
    QTimer m_repaintTimer;
    int m_cell = 44;
    int m_gap = 2;
    int m_groupGap = 10;
    int m_left = 38;
    int m_top = 34;
};

} // namespace attnscope
