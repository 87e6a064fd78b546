// ComparePlot: crosshair items on the plot's marker layer, colourbar label and hover reporting.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/compare_plot.h"

#include <QToolTip>

namespace attnscope {

ComparePlot::ComparePlot(QWidget* parent)
    : AttentionPlot(parent)
{
    setObjectName(QStringLiteral("comparePlot"));
    // Axis lines a few pixels off the map: at thousands of tokens the first key column (the sinks) is one pixel
    // wide and would otherwise sit under the left axis.
    xAxis->setOffset(3);
    yAxis->setOffset(3);
    QPen pen(QColor(255, 255, 255, 220), 1, Qt::DashLine);
    for (QCPItemStraightLine** line : {&m_hLine, &m_vLine}) {
        *line = new QCPItemStraightLine(this);
        (*line)->setLayer(QStringLiteral("markers"));
        (*line)->setPen(pen);
        (*line)->setClipToAxisRect(true);
        (*line)->setVisible(false);
    }
}

void ComparePlot::setCrosshair(int query, int key)
{
    const bool show = query >= 0 && key >= 0 && query < cells() && key < cells();
    const QPoint c = show ? QPoint(query, key) : QPoint(-1, -1);
    if (c == m_cross && m_hLine->visible() == show)
        return;
    m_cross = c;
    m_hLine->setVisible(show);
    m_vLine->setVisible(show);
    if (show) {
        m_hLine->point1->setCoords(0, query);
        m_hLine->point2->setCoords(1, query);
        m_vLine->point1->setCoords(key, 0);
        m_vLine->point2->setCoords(key, 1);
    }
    layer(QStringLiteral("markers"))->replot();
}

void ComparePlot::setRowLabelsVisible(bool visible)
{
    yAxis->setTickLabels(visible);
    yAxis->setLabel(visible ? QStringLiteral("query token") : QString());
}

QCPColorScale* ComparePlot::findColorScale() const
{
    for (int i = 0; i < plotLayout()->elementCount(); ++i)
        if (auto* scale = qobject_cast<QCPColorScale*>(plotLayout()->elementAt(i)))
            return scale;
    return nullptr;
}

void ComparePlot::setColorbarLabel(const QString& label)
{
    if (QCPColorScale* scale = findColorScale())
        scale->axis()->setLabel(label);
}

QString ComparePlot::colorbarLabel() const
{
    QCPColorScale* scale = findColorScale();
    return scale ? scale->axis()->label() : QString();
}

void ComparePlot::mouseMoveEvent(QMouseEvent* event)
{
    // QCustomPlot's own handling (drag-panning); the head view's single-map tooltip is replaced by ours.
    QCustomPlot::mouseMoveEvent(event);
    const QPoint cell = cellAt(event->position());
    emit cellHovered(cell.x(), cell.y());
    if (cell.x() < 0 || !m_hoverText) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), m_hoverText(cell.x(), cell.y()), this);
}

void ComparePlot::leaveEvent(QEvent* event)
{
    AttentionPlot::leaveEvent(event);
    emit cellHovered(-1, -1);
}

} // namespace attnscope
