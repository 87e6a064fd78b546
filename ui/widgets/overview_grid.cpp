// OverviewGrid: paints thumbnails from the SessionContext; hatched cells for layers not computed yet.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/overview_grid.h"

#include "ui/render/colormap.h"
#include "ui/session_context.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <cmath>

namespace attnscope {

OverviewGrid::OverviewGrid(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
{
    setObjectName(QStringLiteral("overviewGrid"));
    setMouseTracking(true);
    setFocusPolicy(Qt::ClickFocus);
    m_repaintTimer.setSingleShot(true);
    m_repaintTimer.setInterval(30);
    connect(&m_repaintTimer, &QTimer::timeout, this, qOverload<>(&QWidget::update));
    connect(context, &SessionContext::thumbnailsChanged, this, &OverviewGrid::scheduleRepaint);
    connect(context, &SessionContext::selectionChanged, this, &OverviewGrid::scheduleRepaint);
    connect(context, &SessionContext::runStarted, this, [this] { updateGeometry(); scheduleRepaint(); });
    connect(context, &SessionContext::modelChanged, this, [this] { updateGeometry(); scheduleRepaint(); });
}

void OverviewGrid::scheduleRepaint()
{
    if (!m_repaintTimer.isActive())
        m_repaintTimer.start();
}

void OverviewGrid::setCellSize(int px)
{
    m_cell = std::clamp(px, 16, 128);
    updateGeometry();
    update();
}

int OverviewGrid::columnX(int head) const
{
    const int group = std::max(1, m_context->groupSize());
    return m_left + head * (m_cell + m_gap) + (head / group) * m_groupGap;
}

QSize OverviewGrid::sizeHint() const
{
    const int heads = m_context->heads(), layers = m_context->layers();
    if (heads <= 0 || layers <= 0)
        return {400, 200};
    return {columnX(heads - 1) + m_cell + 8, m_top + layers * (m_cell + m_gap) + 8};
}

QRect OverviewGrid::cellRect(int layer, int head) const
{
    return {columnX(head), m_top + layer * (m_cell + m_gap), m_cell, m_cell};
}

QPoint OverviewGrid::cellAt(const QPoint& pos) const
{
    for (int l = 0; l < m_context->layers(); ++l) {
        const QRect row(0, m_top + l * (m_cell + m_gap), width(), m_cell);
        if (!row.contains(pos))
            continue;
        for (int h = 0; h < m_context->heads(); ++h)
            if (cellRect(l, h).contains(pos))
                return {l, h};
    }
    return {-1, -1};
}

void OverviewGrid::paintEvent(QPaintEvent* event)
{
    QPainter p(this);
    p.fillRect(event->rect(), palette().color(QPalette::Base));
    const int layers = m_context->layers(), heads = m_context->heads();
    if (layers <= 0 || heads <= 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Open a model and run it to see every head"));
        return;
    }
    const int group = std::max(1, m_context->groupSize());
    p.setPen(palette().color(QPalette::Text));
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1.5));
    p.setFont(small);
    // Column headers: KV group on the first line, head index on the second.
    for (int g = 0; g * group < heads; ++g) {
        const QRect span(columnX(g * group), 2, columnX(std::min(heads, (g + 1) * group) - 1) + m_cell - columnX(g * group), 14);
        p.drawText(span, Qt::AlignCenter, tr("KV %1").arg(g));
        p.drawLine(span.left(), span.bottom() + 1, span.right(), span.bottom() + 1);
    }
    for (int h = 0; h < heads; ++h)
        p.drawText(QRect(columnX(h), 17, m_cell, 14), Qt::AlignCenter, QStringLiteral("H%1").arg(h));
    const QBrush hatch(maskedHatch(), Qt::BDiagPattern);
    for (int l = 0; l < layers; ++l) {
        const QRect rowRect(0, m_top + l * (m_cell + m_gap), width(), m_cell);
        if (!event->rect().intersects(rowRect))
            continue;
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(0, rowRect.top(), m_left - 4, m_cell), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("L%1").arg(l));
        for (int h = 0; h < heads; ++h) {
            const QRect c = cellRect(l, h);
            p.fillRect(c, maskedBackground());
            p.fillRect(c, hatch);
            const QImage img = m_context->thumbnail(l, h);
            if (!img.isNull())
                p.drawImage(c, img);   // nearest-neighbour upscale of ≤ 64² pooled cells
        }
    }
    if (m_context->layer() < layers && m_context->head() < heads) {
        p.setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 2.5));
        p.setBrush(Qt::NoBrush);
        p.drawRect(cellRect(m_context->layer(), m_context->head()).adjusted(-2, -2, 1, 1));
    }
}

void OverviewGrid::mousePressEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position().toPoint());
    if (c.x() >= 0)
        m_context->select(c.x(), c.y());
    QWidget::mousePressEvent(event);
}

void OverviewGrid::mouseDoubleClickEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position().toPoint());
    if (c.x() >= 0)
        emit headActivated(c.x(), c.y());
}

bool OverviewGrid::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint c = cellAt(help->pos());
        if (c.x() < 0) {
            QToolTip::hideText();
            return true;
        }
        const int l = c.x(), h = c.y();
        QString tip = tr("layer %1, head %2 (KV head %3)").arg(l).arg(h).arg(h / std::max(1, m_context->groupSize()));
        HeadMetricsModel* mm = m_context->metricsModel();
        const QModelIndex idx = mm->index(l, h);
        if (idx.isValid() && idx.data(HeadMetricsModel::ValueRole).isValid())
            tip += QStringLiteral("\n") + idx.data(Qt::ToolTipRole).toString().section(QLatin1Char('\n'), 1);
        tip += tr("\nclick: select · double-click: open in the head view");
        QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace attnscope
