// OverviewGrid: lays the cells out to the width, scrolls, paints thumbnails from the SessionContext (hatched
// for layers not computed yet, crossed for heads a subset run did not capture, flat and labelled for layers with
// no softmax map) and keeps the selection in view.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/overview_grid.h"

#include "ui/render/colormap.h"
#include "ui/session_context.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr int kMinCell = 24;
constexpr int kMaxCell = 160;

} // namespace

OverviewGrid::OverviewGrid(SessionContext* context, QWidget* parent)
    : QAbstractScrollArea(parent)
    , m_context(context)
{
    setObjectName(QStringLiteral("overviewGrid"));
    viewport()->setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_repaintTimer.setSingleShot(true);
    m_repaintTimer.setInterval(30);
    connect(&m_repaintTimer, &QTimer::timeout, viewport(), qOverload<>(&QWidget::update));
    connect(context, &SessionContext::thumbnailsChanged, this, &OverviewGrid::scheduleRepaint);
    connect(context, &SessionContext::staleChanged, this, &OverviewGrid::scheduleRepaint);
    connect(context, &SessionContext::selectionChanged, this, [this](int l, int h) {
        ensureCellVisible(l, h);
        scheduleRepaint();
    });
    auto reshape = [this] {
        relayout();
        ensureCellVisible(m_context->layer(), m_context->head());
        scheduleRepaint();
    };
    connect(context, &SessionContext::runStarted, this, reshape);
    connect(context, &SessionContext::modelChanged, this, reshape);
    connect(context, &SessionContext::resultsCleared, this, reshape);
}

QSize OverviewGrid::sizeHint() const
{
    return {480, 400};
}

QSize OverviewGrid::minimumSizeHint() const
{
    return {m_left + 3 * kMinCell, m_top + 2 * kMinCell};
}

void OverviewGrid::scheduleRepaint()
{
    if (!m_repaintTimer.isActive())
        m_repaintTimer.start();
}

int OverviewGrid::contentColumnX(int head) const
{
    const int group = std::max(1, m_context->groupSize());
    return m_left + head * (m_cell + m_gap) + (head / group) * m_groupGap;
}

int OverviewGrid::contentWidth() const
{
    const int heads = m_context->heads();
    return heads > 0 ? contentColumnX(heads - 1) + m_cell + 8 : 0;
}

int OverviewGrid::contentHeight() const
{
    const int layers = m_context->layers();
    return layers > 0 ? m_top + layers * (m_cell + m_gap) + 8 : 0;
}

void OverviewGrid::relayout()
{
    const int heads = m_context->heads(), layers = m_context->layers();
    const QSize avail = maximumViewportSize();
    if (heads > 0 && layers > 0) {
        const int group = std::max(1, m_context->groupSize());
        const int groups = (heads + group - 1) / group;
        auto fit = [&](int width) {
            const int free = width - m_left - 8 - (heads - 1) * m_gap - (groups - 1) * m_groupGap;
            return std::clamp(free / heads, kMinCell, kMaxCell);
        };
        m_cell = fit(avail.width());
        if (m_top + layers * (m_cell + m_gap) + 8 > avail.height())   // a vertical scroll bar will take room
            m_cell = fit(avail.width() - verticalScrollBar()->sizeHint().width());
    }
    const QSize view = viewport()->size();
    verticalScrollBar()->setRange(0, std::max(0, contentHeight() - view.height()));
    verticalScrollBar()->setPageStep(std::max(1, view.height() - m_top));
    verticalScrollBar()->setSingleStep(m_cell + m_gap);
    horizontalScrollBar()->setRange(0, std::max(0, contentWidth() - view.width()));
    horizontalScrollBar()->setPageStep(std::max(1, view.width() - m_left));
    horizontalScrollBar()->setSingleStep(m_cell + m_gap);
}

void OverviewGrid::resizeEvent(QResizeEvent* event)
{
    QAbstractScrollArea::resizeEvent(event);
    relayout();
    ensureCellVisible(m_context->layer(), m_context->head());
}

void OverviewGrid::scrollContentsBy(int, int)
{
    viewport()->update();
}

QRect OverviewGrid::cellRect(int layer, int head) const
{
    return {contentColumnX(head) - horizontalScrollBar()->value(),
            m_top + layer * (m_cell + m_gap) - verticalScrollBar()->value(), m_cell, m_cell};
}

QPoint OverviewGrid::cellAt(const QPoint& pos) const
{
    if (pos.x() < m_left || pos.y() < m_top)
        return {-1, -1};
    const int pitch = m_cell + m_gap;
    const int l = (pos.y() + verticalScrollBar()->value() - m_top) / pitch;
    if (l < 0 || l >= m_context->layers())
        return {-1, -1};
    for (int h = 0; h < m_context->heads(); ++h)
        if (cellRect(l, h).contains(pos))
            return {l, h};
    return {-1, -1};
}

bool OverviewGrid::isCellVisible(int layer, int head) const
{
    const QRect area(m_left, m_top, viewport()->width() - m_left, viewport()->height() - m_top);
    return area.contains(cellRect(layer, head));
}

void OverviewGrid::ensureCellVisible(int layer, int head)
{
    if (layer < 0 || head < 0 || layer >= m_context->layers() || head >= m_context->heads())
        return;
    const QSize view = viewport()->size();
    const int top = m_top + layer * (m_cell + m_gap);   // content coordinates
    QScrollBar* v = verticalScrollBar();
    if (top - v->value() < m_top)
        v->setValue(top - m_top - m_gap);
    else if (top + m_cell - v->value() > view.height())
        v->setValue(top + m_cell + m_gap + 4 - view.height());
    const int left = contentColumnX(head);
    QScrollBar* hs = horizontalScrollBar();
    if (left - hs->value() < m_left)
        hs->setValue(left - m_left - m_gap);
    else if (left + m_cell - hs->value() > view.width())
        hs->setValue(left + m_cell + m_gap + 4 - view.width());
}

int OverviewGrid::visibleLayerRows() const
{
    return std::max(1, (viewport()->height() - m_top) / (m_cell + m_gap));
}

void OverviewGrid::paintEvent(QPaintEvent* event)
{
    QPainter p(viewport());
    const QRect clip = event->rect();
    p.fillRect(clip, palette().color(QPalette::Base));
    const int layers = m_context->layers(), heads = m_context->heads();
    if (layers <= 0 || heads <= 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(viewport()->rect(), Qt::AlignCenter, tr("Open a model and run it to see every head"));
        return;
    }
    const int group = std::max(1, m_context->groupSize());
    const int sx = horizontalScrollBar()->value(), sy = verticalScrollBar()->value();
    const int pitch = m_cell + m_gap;
    const int firstLayer = std::max(0, (sy - pitch) / pitch);
    const int lastLayer = std::min(layers - 1, (sy + viewport()->height()) / pitch + 1);
    const QBrush hatch(maskedHatch(), Qt::BDiagPattern);
    const bool stale = m_context->isStale();
    const QColor sel(0xe0, 0x3a, 0x1e);

    // Cells, clipped to the area right of the layer labels and below the headers.
    p.save();
    p.setClipRect(QRect(m_left - 4, m_top - 3, viewport()->width(), viewport()->height()));
    for (int l = firstLayer; l <= lastLayer; ++l) {
        for (int h = 0; h < heads; ++h) {
            const QRect c = cellRect(l, h);
            if (!c.intersects(clip))
                continue;
            if (!m_context->hasSoftmaxMap(l)) {
                // A linear-attention layer: nothing to compute or wait for, so no "in progress" hatch.
                p.fillRect(c, palette().color(QPalette::AlternateBase));
                p.setPen(palette().color(QPalette::PlaceholderText));
                if (c.width() >= 48)
                    p.drawText(c, Qt::AlignCenter | Qt::TextWordWrap, tr("no softmax\nmap"));
                continue;
            }
            p.fillRect(c, maskedBackground());
            p.fillRect(c, hatch);
            const QImage img = m_context->thumbnail(l, h);
            if (!img.isNull()) {
                p.drawImage(c, img);   // nearest-neighbour upscale of ≤ 64² pooled cells
            } else if (m_context->tokens() && !m_context->isCaptured(l, h)) {
                p.setPen(QPen(palette().color(QPalette::Mid), 1));
                p.drawLine(c.topLeft(), c.bottomRight());
                p.drawLine(c.topRight(), c.bottomLeft());
            }
            if (stale)
                p.fillRect(c, QColor(255, 255, 255, 150));   // dimmed: these maps belong to another prompt
        }
    }
    const int sl = m_context->layer(), sh = m_context->head();
    if (sl < layers && sh < heads) {
        p.setPen(QPen(sel, 2.5));
        p.setBrush(Qt::NoBrush);
        p.drawRect(cellRect(sl, sh).adjusted(-2, -2, 1, 1));
    }
    p.restore();

    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1.5));
    p.setFont(small);
    // Layer labels (fixed column on the left).
    p.fillRect(QRect(0, m_top - 3, m_left - 4, viewport()->height()), palette().color(QPalette::Base));
    p.setClipRect(QRect(0, m_top, m_left - 4, viewport()->height()));
    for (int l = firstLayer; l <= lastLayer; ++l) {
        const int y = m_top + l * pitch - sy;
        p.setPen(l == sl ? sel : palette().color(QPalette::Text));
        p.drawText(QRect(0, y, m_left - 6, m_cell), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("L%1").arg(l));
    }
    // Headers (fixed rows on top): KV group on the first line, head index on the second.
    p.setClipRect(QRect(m_left - 4, 0, viewport()->width(), m_top));
    p.fillRect(QRect(0, 0, viewport()->width(), m_top - 2), palette().color(QPalette::Base));
    p.setPen(palette().color(QPalette::Text));
    for (int g = 0; g * group < heads; ++g) {
        const int x0 = contentColumnX(g * group) - sx;
        const int x1 = contentColumnX(std::min(heads, (g + 1) * group) - 1) + m_cell - sx;
        const QRect span(x0, 2, x1 - x0, 14);
        p.drawText(span, Qt::AlignCenter, tr("KV %1").arg(g));
        p.drawLine(span.left(), span.bottom() + 1, span.right(), span.bottom() + 1);
    }
    for (int h = 0; h < heads; ++h) {
        p.setPen(h == sh ? sel : palette().color(QPalette::Text));
        p.drawText(QRect(contentColumnX(h) - sx, 17, m_cell, 14), Qt::AlignCenter, QStringLiteral("H%1").arg(h));
    }
}

void OverviewGrid::mousePressEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position().toPoint());
    if (c.x() >= 0)
        m_context->select(c.x(), c.y());
    QAbstractScrollArea::mousePressEvent(event);
}

void OverviewGrid::mouseDoubleClickEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position().toPoint());
    if (c.x() >= 0)
        emit headActivated(c.x(), c.y());
}

void OverviewGrid::keyPressEvent(QKeyEvent* event)
{
    const int layers = m_context->layers();
    const bool ctrl = event->modifiers() & Qt::ControlModifier;
    switch (event->key()) {
    case Qt::Key_Left: m_context->step(0, -1); break;
    case Qt::Key_Right: m_context->step(0, 1); break;
    case Qt::Key_Up: m_context->step(-1, 0); break;
    case Qt::Key_Down: m_context->step(1, 0); break;
    case Qt::Key_PageUp: m_context->step(-visibleLayerRows(), 0); break;
    case Qt::Key_PageDown: m_context->step(visibleLayerRows(), 0); break;
    case Qt::Key_Home: m_context->select(0, ctrl ? 0 : m_context->head()); break;
    case Qt::Key_End: m_context->select(layers - 1, ctrl ? m_context->heads() - 1 : m_context->head()); break;
    case Qt::Key_Return:
    case Qt::Key_Enter: emit headActivated(m_context->layer(), m_context->head()); break;
    default: QAbstractScrollArea::keyPressEvent(event); return;
    }
    event->accept();
}

QString OverviewGrid::tooltipFor(int l, int h) const
{
    QString tip = tr("layer %1, head %2 (KV head %3)").arg(l).arg(h).arg(h / std::max(1, m_context->groupSize()));
    const MetricsTable& t = m_context->metricsTable();
    if (!m_context->hasSoftmaxMap(l)) {
        tip += tr("\nGated DeltaNet layer (linear attention): no softmax map; see the Gates view");
    } else if (!m_context->isCaptured(l, h)) {
        tip += tr("\nnot captured in this run");
    } else if (t.has(l, h)) {
        for (int m = 0; m < kHeadMetricCount; ++m) {
            const auto metric = static_cast<HeadMetric>(m);
            const double v = t.value(l, h, metric);
            tip += QStringLiteral("\n%1: %2").arg(QString::fromStdString(headMetricLabel(metric)),
                                                  std::isnan(v) ? tr("— (no row qualifies)") : QString::number(v, 'f', 3));
        }
    } else if (m_context->tokens()) {
        tip += tr("\nnot computed yet");
    }
    if (m_context->isStale())
        tip += tr("\n(stale: computed for the previous prompt)");
    tip += tr("\nclick: select · double-click / Enter: open in the head view");
    return tip;
}

bool OverviewGrid::viewportEvent(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint c = cellAt(help->pos());
        if (c.x() < 0)
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tooltipFor(c.x(), c.y()), viewport());
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

} // namespace attnscope
