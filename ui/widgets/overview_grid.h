// Small multiples: a layers × heads grid of thumbnail heatmaps (max-pooled to ≤ 64²), query heads grouped by
// the KV head they share (GQA) with a gap between groups. Click selects a head, double-click opens it in the
// head view. Repaints are coalesced (30 ms) while layers stream in. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QTimer>
#include <QWidget>

namespace attnscope {

class SessionContext;

class OverviewGrid : public QWidget {
    Q_OBJECT
public:
    explicit OverviewGrid(SessionContext* context, QWidget* parent = nullptr);

    QSize sizeHint() const override;
    /// Widget rectangle of a cell (for tests and hit testing).
    QRect cellRect(int layer, int head) const;
    /// (layer, head) at a widget position, or (-1, -1).
    QPoint cellAt(const QPoint& pos) const;
    void setCellSize(int px);
    /// Schedules a coalesced repaint.
    void scheduleRepaint();

signals:
    void headActivated(int layer, int head);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    int columnX(int head) const;

    SessionContext* m_context;
    QTimer m_repaintTimer;
    int m_cell = 44;
    int m_gap = 2;
    int m_groupGap = 10;
    int m_left = 34;
    int m_top = 34;
};

} // namespace attnscope
