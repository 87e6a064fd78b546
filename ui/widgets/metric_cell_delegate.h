// Paints a HeadMetricsModel cell as a heatmap square: the colormap colour of the cell's position between the
// table's minimum and maximum, with the value printed in a contrasting colour. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/colormap.h"

#include <QStyledItemDelegate>

namespace attnscope {

class MetricCellDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit MetricCellDelegate(QObject* parent = nullptr);
    void setColormap(Colormap c) { m_colormap = c; }
    void setSelectedCell(int layer, int head) { m_layer = layer; m_head = head; }
    /// Draws the cells faded (their values belong to a previous prompt).
    void setDimmed(bool dimmed) { m_dimmed = dimmed; }
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    Colormap m_colormap = Colormap::Viridis;
    int m_layer = -1, m_head = -1;
    bool m_dimmed = false;
};

} // namespace attnscope
