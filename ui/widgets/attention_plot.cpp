// AttentionPlot: QCustomPlot set-up, token tick labels, hover and keyboard handling.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/attention_plot.h"

#include "ui/render/color_gradient.h"
#include "ui/render/heatmap_plottable.h"

#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr qint64 kPositionLabelsFrom = 1000;   // maps this long label every token with its position

} // namespace

AttentionPlot::AttentionPlot(QWidget* parent)
    : QCustomPlot(parent)
{
    setObjectName(QStringLiteral("attentionPlot"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_title = new QCPTextElement(this, QString(), QFont(font().family(), 10, QFont::Bold));
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, m_title);

    m_heatmap = new HeatmapPlottable(xAxis, yAxis);
    yAxis->setRangeReversed(true);   // query 0 on top, as attention maps are read
    xAxis->setLabel(QStringLiteral("key token (attended to)"));
    yAxis->setLabel(QStringLiteral("query token"));
    QFont tickFont = font();
    tickFont.setPointSizeF(std::max(6.0, tickFont.pointSizeF() - 1.5));
    xAxis->setTickLabelFont(tickFont);
    yAxis->setTickLabelFont(tickFont);
    xAxis->setTickLabelRotation(90);
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    m_xTicker = QSharedPointer<QCPAxisTickerText>::create();
    m_yTicker = QSharedPointer<QCPAxisTickerText>::create();
    xAxis->setTicker(m_xTicker);
    yAxis->setTicker(m_yTicker);
    xAxis->setSubTicks(false);
    yAxis->setSubTicks(false);

    m_colorScale = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, m_colorScale);
    m_colorScale->setType(QCPAxis::atRight);
    m_colorScale->setBarWidth(14);
    m_colorScale->setRangeDrag(false);
    m_colorScale->setRangeZoom(false);
    auto* margins = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_colorScale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);

    // Markers live on their own buffered layer so hovering repaints only them (QCPLayer::replot).
    addLayer(QStringLiteral("markers"), layer(QStringLiteral("main")), QCustomPlot::limAbove);
    layer(QStringLiteral("markers"))->setMode(QCPLayer::lmBuffered);
    m_queryMark = new QCPItemRect(this);
    m_queryMark->setLayer(QStringLiteral("markers"));
    m_queryMark->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 2));
    m_queryMark->setBrush(Qt::NoBrush);
    m_queryMark->setClipToAxisRect(true);
    m_queryMark->setVisible(false);
    m_hoverMark = new QCPItemRect(this);
    m_hoverMark->setLayer(QStringLiteral("markers"));
    QPen hoverPen(Qt::white, 1.5);
    m_hoverMark->setPen(hoverPen);
    m_hoverMark->setBrush(Qt::NoBrush);
    m_hoverMark->setClipToAxisRect(true);
    m_hoverMark->setVisible(false);

    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { clampRanges(); emit viewChanged(); });
    connect(yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { clampRanges(); emit viewChanged(); });
    connect(this, &QCustomPlot::afterLayout, this, &AttentionPlot::afterLayoutChanged);
    clearHeatmap(tr("Open a model and run it to see attention"));
}

const PoolWindow& AttentionPlot::window() const
{
    return m_heatmap->window();
}

QSize AttentionPlot::dataAreaPixels() const
{
    const double dpr = devicePixelRatioF();
    return {std::max(1, static_cast<int>(std::floor(axisRect()->width() * dpr))),
            std::max(1, static_cast<int>(std::floor(axisRect()->height() * dpr)))};
}

void AttentionPlot::afterLayoutChanged()
{
    // Tick labels depend on the data area's size, which is only known after the layout pass. When it changed
    // (first display, a resize, a tab that was hidden), recompute them and lay out once more.
    const QSize area = axisRect()->rect().size();
    if (area == m_tickAreaSize || m_cells <= 0)
        return;
    if (++m_tickRelayouts > 3)
        return;   // labels and margins keep trading places: keep what we have
    updateTickLabels();
    replot(QCustomPlot::rpQueuedReplot);
    emit viewChanged();
}

void AttentionPlot::setQueryRow(int query)
{
    m_queryRow = query;
    placeMarkers();
    layer(QStringLiteral("markers"))->replot();
}

void AttentionPlot::setHovered(QPoint cell)
{
    if (cell == m_hovered)
        return;
    m_hovered = cell;
    placeMarkers();
    layer(QStringLiteral("markers"))->replot();
}

void AttentionPlot::placeMarkers()
{
    const bool haveQuery = m_cells > 0 && m_queryRow >= 0 && m_queryRow < m_cells;
    m_queryMark->setVisible(haveQuery);
    if (haveQuery) {
        m_queryMark->topLeft->setCoords(-0.5, m_queryRow - 0.5);
        m_queryMark->bottomRight->setCoords(static_cast<double>(m_cells) - 0.5, m_queryRow + 0.5);
    }
    const bool haveHover = m_cells > 0 && m_hovered.x() >= 0;
    m_hoverMark->setVisible(haveHover);
    if (haveHover) {
        m_hoverMark->topLeft->setCoords(m_hovered.y() - 0.5, m_hovered.x() - 0.5);
        m_hoverMark->bottomRight->setCoords(m_hovered.y() + 0.5, m_hovered.x() + 0.5);
    }
}

void AttentionPlot::setDimmed(bool dimmed)
{
    m_heatmap->setDimmed(dimmed);
    replot(QCustomPlot::rpQueuedReplot);
}

void AttentionPlot::setViewRanges(const QCPRange& x, const QCPRange& y)
{
    xAxis->setRange(x);
    yAxis->setRange(y);
    replot(QCustomPlot::rpQueuedReplot);
}

void AttentionPlot::setTokens(TokenRowsPtr tokens)
{
    m_tokens = std::move(tokens);
}

void AttentionPlot::setHeatmap(const HeatmapSource& source, const ColourisedGrid& image, const PoolWindow& window,
                               const ViewSettings& settings, const QString& title)
{
    const qint64 cells = source.tokens();
    const bool reset = cells != m_cells;
    if (source.tiles != m_source.tiles) {
        m_hoverRow.clear();
        m_hoverRowQuery = -1;
    }
    m_source = source;
    m_cells = cells;
    m_tickRelayouts = 0;
    m_heatmap->setImage(image.image, cells, window);
    const bool isSigned = source.isSigned();
    m_colorScale->setGradient(makeColorGradient(settings, isSigned));
    const bool log = !isSigned && settings.scale == ScaleKind::Log;
    m_colorScale->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        m_colorScale->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        m_colorScale->axis()->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_colorScale->setDataRange(QCPRange(image.vmin, image.vmax));
    m_colorScale->axis()->setLabel(m_colorbarTitle.isEmpty() ? colorbarLabel(settings, isSigned, window.poolX, window.poolY)
                                                             : m_colorbarTitle);
    m_colorScale->setVisible(true);
    m_title->setText(title);
    if (reset)
        resetView();
    else
        updateTickLabels();
    if (m_hovered.x() >= cells || m_hovered.y() >= cells)
        m_hovered = {-1, -1};
    placeMarkers();
}

void AttentionPlot::clearHeatmap(const QString& message)
{
    m_source = {};
    m_hoverRow.clear();
    m_hoverRowQuery = -1;
    m_cells = 0;
    m_heatmap->clearImage();
    m_title->setText(message);
    m_colorScale->setVisible(false);
    m_xTicker->clear();
    m_yTicker->clear();
    m_hovered = {-1, -1};
    placeMarkers();
    xAxis->setRange(-0.5, 9.5);
    yAxis->setRange(-0.5, 9.5);
}

bool AttentionPlot::hasHeatmap() const
{
    return m_cells > 0 && !m_heatmap->image().isNull();
}

QString AttentionPlot::title() const
{
    return m_title->text();
}

QPoint AttentionPlot::cellAt(const QPointF& pos) const
{
    if (m_cells <= 0 || !axisRect()->rect().contains(pos.toPoint()))
        return {-1, -1};
    const int key = static_cast<int>(std::lround(xAxis->pixelToCoord(pos.x())));
    const int query = static_cast<int>(std::lround(yAxis->pixelToCoord(pos.y())));
    if (key < 0 || query < 0 || key >= m_cells || query >= m_cells)
        return {-1, -1};
    return {query, key};
}

QString AttentionPlot::tokenLabel(int position, int maxChars) const
{
    if (!m_tokens || position < 0 || position >= m_tokens->size())
        return QString::number(position);
    QString t = m_tokens->at(position).display;
    if (t.size() > maxChars)
        t = t.left(maxChars - 1) + QChar(0x2026);
    return t;
}

QString AttentionPlot::hoverText(int query, int key) const
{
    if (m_source.empty() || query < 0 || key < 0 || query >= m_cells || key >= m_cells)
        return {};
    QString text = QStringLiteral("query #%1 “%2” → key #%3 “%4”\n")
                       .arg(query).arg(tokenLabel(query, 24)).arg(key).arg(tokenLabel(key, 24));
    if (!m_source.map && !m_source.tiles)
        return text;   // a pooled grid alone: its owner says the pooled cell's value
    if (!m_source.map)
        return text + tileHoverText(query, key);
    const AttentionMap& m = *m_source.map;
    if (m.isMasked(query, key))
        return text + tr("masked (%1)").arg(QString::fromStdString(m.mask.maskedReason(query, key)));
    const float* row = m.row(query);
    const float w = row[key];
    if (!m.maskedRows.empty() && m.maskedRows[static_cast<size_t>(query)])
        return text + tr("row fully masked");
    int64_t valid = 0, rank = 1;
    for (int64_t j = 0; j < m.tokens; ++j) {
        if (m.isMasked(query, j))
            continue;
        ++valid;
        if (row[j] > w)
            ++rank;
    }
    const bool signedValues = quantityInfo(m.quantity).domain == ValueDomain::Signed;   // A1 − λ·A2: not a weight
    text += (signedValues ? tr("value %1  (rank %2 of %3 in its row)") : tr("weight %1  (rank %2 of %3 in its row)"))
                .arg(w, 0, 'g', 4).arg(rank).arg(valid);
    if (m_source.layerMean)
        text += tr("\nΔ vs. layer mean %1").arg(m_source.value(query, key), 0, 'g', 4);
    return text;
}

QString AttentionPlot::tileHoverText(int query, int key) const
{
    // A long prompt: the cell recomputed exactly, and its rank among the row's recomputed weights (T · d
    // multiply-adds; the row is kept while the mouse stays on it).
    const HeadTileSource& s = *m_source.tiles;
    if (!s.mask().valid(query, key))
        return tr("masked (%1)").arg(QString::fromStdString(s.mask().maskedReason(query, key)));
    const CapturedSeriesPtr& lse = m_source.rowNormaliser;
    if (lse && static_cast<int64_t>(lse->values.size()) > query && std::isinf(lse->values[static_cast<size_t>(query)]))
        return tr("row fully masked");
    const float w = s.cell(query, key);
    if (m_hoverRowQuery != query) {
        m_hoverRow = s.row(query);
        m_hoverRowQuery = query;
    }
    int64_t valid = 0, rank = 1;
    RowKeys keys;
    s.mask().rowKeys(query, s.tokens(), keys);
    for (const KeyRange& r : keys.range)
        for (int64_t j = r.begin; j < r.end; ++j) {
            ++valid;
            if (m_hoverRow[static_cast<size_t>(j)] > w)
                ++rank;
        }
    return tr("weight %1  (rank %2 of %3 in its row; recomputed exactly)").arg(w, 0, 'g', 4).arg(rank).arg(valid);
}

void AttentionPlot::resetView()
{
    const double n = std::max<qint64>(m_cells, 1);
    xAxis->setRange(-0.5, n - 0.5);
    yAxis->setRange(-0.5, n - 0.5);
    updateTickLabels();
}

void AttentionPlot::zoomBy(double factor)
{
    xAxis->scaleRange(factor, xAxis->range().center());
    yAxis->scaleRange(factor, yAxis->range().center());
    replot(QCustomPlot::rpQueuedReplot);
}

void AttentionPlot::panBy(double dxCells, double dyCells)
{
    xAxis->moveRange(dxCells);
    yAxis->moveRange(dyCells);
    replot(QCustomPlot::rpQueuedReplot);
}

void AttentionPlot::clampRanges()
{
    if (m_clamping || m_cells <= 0)
        return;
    m_clamping = true;
    const double lo = -0.5, hi = static_cast<double>(m_cells) - 0.5;
    for (QCPAxis* axis : {xAxis, yAxis}) {
        QCPRange r = axis->range();
        double size = std::clamp(r.size(), std::min(2.0, hi - lo), hi - lo);
        double lower = std::clamp(r.lower, lo, hi - size);
        axis->setRange(lower, lower + size);
    }
    m_clamping = false;
    updateTickLabels();
}

void AttentionPlot::updateTickLabels()
{
    m_tickAreaSize = axisRect()->rect().size();
    m_xTicker->clear();
    m_yTicker->clear();
    if (m_cells <= 0)
        return;
    // A label per visible token when they fit, else every k-th: one text line per label along each axis.
    const double lineHeight = QFontMetricsF(xAxis->tickLabelFont()).height() + 1.0;
    auto addTicks = [&](QCPAxis* axis, QCPAxisTickerText& ticker, double pixels) {
        const QCPRange r = axis->range();
        const int first = std::max(0, static_cast<int>(std::ceil(r.lower)));
        const int last = std::min<int>(static_cast<int>(m_cells) - 1, static_cast<int>(std::floor(r.upper)));
        if (last < first || pixels <= 0)
            return;
        const int visible = last - first + 1;
        const int stride = std::max(1, static_cast<int>(std::ceil(visible * lineHeight / pixels)));
        const int start = (first + stride - 1) / stride * stride;
        for (int p = start; p <= last; p += stride)
            // Every token labelled: its text, and on a long map (zoomed in) its position too, to say where this is.
            ticker.addTick(p, stride == 1 && m_cells < kPositionLabelsFrom ? tokenLabel(p, 12)
                                                                            : QStringLiteral("%1 %2").arg(p).arg(tokenLabel(p, 10)));
    };
    addTicks(xAxis, *m_xTicker, axisRect()->width());
    addTicks(yAxis, *m_yTicker, axisRect()->height());
}

void AttentionPlot::mousePressEvent(QMouseEvent* event)
{
    m_pressPos = event->position().toPoint();
    m_pressed = event->button() == Qt::LeftButton;
    QCustomPlot::mousePressEvent(event);
}

void AttentionPlot::mouseReleaseEvent(QMouseEvent* event)
{
    QCustomPlot::mouseReleaseEvent(event);
    if (!m_pressed || event->button() != Qt::LeftButton)
        return;
    m_pressed = false;
    const QPoint pos = event->position().toPoint();
    if ((pos - m_pressPos).manhattanLength() > 4) {
        emit userZoomed();   // a drag panned the map
        return;
    }
    if (m_cells <= 0)
        return;
    const QRect ar = axisRect()->rect();
    const QPoint cell = cellAt(event->position());
    if (cell.x() >= 0) {
        emit cellClicked(cell.x(), cell.y());
        return;
    }
    if (pos.x() < ar.left() && pos.y() >= ar.top() && pos.y() <= ar.bottom()) {
        const auto q = static_cast<int>(std::lround(yAxis->pixelToCoord(pos.y())));
        if (q >= 0 && q < m_cells)
            emit rowLabelClicked(q);
    } else if (pos.y() > ar.bottom() && pos.x() >= ar.left() && pos.x() <= ar.right()) {
        const auto k = static_cast<int>(std::lround(xAxis->pixelToCoord(pos.x())));
        if (k >= 0 && k < m_cells)
            emit columnLabelClicked(k);
    }
}

void AttentionPlot::wheelEvent(QWheelEvent* event)
{
    QCustomPlot::wheelEvent(event);
    emit userZoomed();
}

void AttentionPlot::mouseMoveEvent(QMouseEvent* event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPoint cell = cellAt(event->position());
    setHovered(cell);
    if (cell.x() < 0) {
        QToolTip::hideText();
        return;
    }
    emit cellHovered(cell.x(), cell.y());
    QToolTip::showText(event->globalPosition().toPoint(), hoverText(cell.x(), cell.y()), this);
}

void AttentionPlot::leaveEvent(QEvent* event)
{
    QToolTip::hideText();
    setHovered({-1, -1});
    QCustomPlot::leaveEvent(event);
}

void AttentionPlot::resizeEvent(QResizeEvent* event)
{
    QCustomPlot::resizeEvent(event);
    updateTickLabels();
}

void AttentionPlot::keyPressEvent(QKeyEvent* event)
{
    const bool shift = event->modifiers() & Qt::ShiftModifier;
    const double step = std::max(1.0, xAxis->range().size() / 10.0);
    switch (event->key()) {
    case Qt::Key_Left:
        shift ? (panBy(-step, 0), emit userZoomed()) : emit navigate(0, -1);
        break;
    case Qt::Key_Right:
        shift ? (panBy(step, 0), emit userZoomed()) : emit navigate(0, 1);
        break;
    case Qt::Key_Up:
        shift ? (panBy(0, -step), emit userZoomed()) : emit navigate(-1, 0);
        break;
    case Qt::Key_Down:
        shift ? (panBy(0, step), emit userZoomed()) : emit navigate(1, 0);
        break;
    case Qt::Key_PageUp:
        emit navigate(-1, 0);
        break;
    case Qt::Key_PageDown:
        emit navigate(1, 0);
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(0.8);
        emit userZoomed();
        break;
    case Qt::Key_Minus:
        zoomBy(1.25);
        emit userZoomed();
        break;
    case Qt::Key_0:
    case Qt::Key_Home:
        resetView();
        replot(QCustomPlot::rpQueuedReplot);
        emit userZoomed();
        break;
    default:
        QCustomPlot::keyPressEvent(event);
        return;
    }
    event->accept();
}

} // namespace attnscope
