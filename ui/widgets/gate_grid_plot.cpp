// GateGridPlot: QCPColorMap without interpolation, fixed data range, token tick labels thinned to fit.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/gate_grid_plot.h"

#include "ui/render/color_gradient.h"

#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope {

GateGridPlot::GateGridPlot(QWidget* parent)
    : QCustomPlot(parent)
{
    setObjectName(QStringLiteral("gateGridPlot"));
    setMouseTracking(true);
    plotLayout()->insertRow(0);
    m_title = new QCPTextElement(this, QString(), QFont(font().family(), font().pointSize(), QFont::Bold));
    plotLayout()->addElement(0, 0, m_title);
    m_map = new QCPColorMap(xAxis, yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_scale = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(12);
    m_scale->setRangeDrag(false);
    m_scale->setRangeZoom(false);
    m_map->setColorScale(m_scale);
    auto* margins = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    QFont tickFont = font();
    tickFont.setPointSizeF(std::max(6.0, tickFont.pointSizeF() - 1.5));
    xAxis->setTickLabelFont(tickFont);
    yAxis->setTickLabelFont(tickFont);
    xAxis->setTickLabelRotation(90);
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    yAxis->setRangeReversed(true);   // row 0 (head 0) on top, like the overview
    m_xTicker = QSharedPointer<QCPAxisTickerText>::create();
    m_yTicker = QSharedPointer<QCPAxisTickerText>::create();
    xAxis->setTicker(m_xTicker);
    yAxis->setTicker(m_yTicker);
    xAxis->setSubTicks(false);
    yAxis->setSubTicks(false);
    xAxis->setLabel(tr("token"));
    for (QCPItemRect** mark : {&m_rowMark, &m_tokenMark}) {
        *mark = new QCPItemRect(this);
        (*mark)->setBrush(Qt::NoBrush);
        (*mark)->setClipToAxisRect(true);
        (*mark)->setVisible(false);
    }
    m_rowMark->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 2));
    m_tokenMark->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 1.5, Qt::DashLine));
    clearGrid(tr("Run a model with gates to see them"));
}

void GateGridPlot::setGrid(const GateGrid& grid, const QStringList& rowLabels, TokenRowsPtr tokens, QCPRange range,
                           bool signedData, const QString& title, const QString& colourLabel, const QString& valueName)
{
    m_grid = grid;
    m_tokenRows = std::move(tokens);
    m_valueName = valueName;
    m_rows = grid.heads;
    m_tokens = grid.tokens;
    m_map->data()->setSize(static_cast<int>(m_tokens), m_rows);
    m_map->data()->setRange(QCPRange(0, static_cast<double>(std::max<int64_t>(m_tokens - 1, 0))),
                            QCPRange(0, std::max(m_rows - 1, 0)));
    for (int r = 0; r < m_rows; ++r)
        for (int64_t t = 0; t < m_tokens; ++t)
            m_map->data()->setCell(static_cast<int>(t), r, grid.at(r, t));
    ViewSettings vs;
    vs.scale = ScaleKind::Linear;
    QCPColorGradient g = makeColorGradient(vs, signedData);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    m_map->setGradient(g);
    m_map->setDataRange(range);
    m_scale->setVisible(true);
    m_scale->axis()->setLabel(colourLabel);
    m_map->setVisible(true);
    m_rowLabels = rowLabels;
    updateRowTicks();
    xAxis->setRange(-0.5, static_cast<double>(m_tokens) - 0.5);
    yAxis->setRange(-0.5, m_rows - 0.5);
    m_title->setText(title);
    updateTokenTicks();
    placeMarks();
    replot(QCustomPlot::rpQueuedReplot);
}

void GateGridPlot::clearGrid(const QString& message)
{
    m_rows = 0;
    m_tokens = 0;
    m_grid = GateGrid{};
    m_map->data()->clear();
    m_map->setVisible(false);
    m_scale->setVisible(false);
    m_xTicker->clear();
    m_yTicker->clear();
    xAxis->setRange(-0.5, 9.5);
    yAxis->setRange(-0.5, 3.5);
    m_title->setText(message);
    placeMarks();
    replot(QCustomPlot::rpQueuedReplot);
}

QString GateGridPlot::title() const
{
    return m_title->text();
}

void GateGridPlot::setMarks(int row, int token)
{
    m_markRow = row;
    m_markToken = token;
    placeMarks();
    replot(QCustomPlot::rpQueuedReplot);
}

void GateGridPlot::placeMarks()
{
    const bool row = hasGrid() && m_markRow >= 0 && m_markRow < m_rows;
    const bool tok = hasGrid() && m_markToken >= 0 && m_markToken < m_tokens;
    m_rowMark->setVisible(row);
    m_tokenMark->setVisible(tok);
    if (row) {
        m_rowMark->topLeft->setCoords(-0.5, m_markRow - 0.5);
        m_rowMark->bottomRight->setCoords(static_cast<double>(m_tokens) - 0.5, m_markRow + 0.5);
    }
    if (tok) {
        m_tokenMark->topLeft->setCoords(m_markToken - 0.5, -0.5);
        m_tokenMark->bottomRight->setCoords(m_markToken + 0.5, m_rows - 0.5);
    }
}

void GateGridPlot::updateRowTicks()
{
    m_yTicker->clear();
    if (!hasGrid())
        return;
    // Label every k-th row when the rows are thinner than a line of text (a head's 128 dims).
    const double pxPerRow = axisRect()->height() / std::max(1, m_rows);
    const double line = QFontMetricsF(yAxis->tickLabelFont()).height();
    const int step = std::max(1, static_cast<int>(std::ceil(line / std::max(pxPerRow, 1e-3))));
    for (int r = 0; r < m_rows; r += step)
        m_yTicker->addTick(r, r < m_rowLabels.size() ? m_rowLabels[r] : QString::number(r));
}

void GateGridPlot::updateTokenTicks()
{
    m_xTicker->clear();
    if (!hasGrid())
        return;
    // Rotated labels need about a line height each; label every k-th token so they never overlap.
    const double pxPerToken = axisRect()->width() / std::max<double>(1.0, static_cast<double>(m_tokens));
    const double line = QFontMetricsF(xAxis->tickLabelFont()).height() + 2;
    const int64_t step = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(line / std::max(pxPerToken, 1e-3))));
    for (int64_t t = 0; t < m_tokens; t += step) {
        QString label = QString::number(t);
        if (m_tokenRows && t < static_cast<int64_t>(m_tokenRows->size())) {
            QString text = m_tokenRows->at(static_cast<qsizetype>(t)).display;
            if (text.size() > 10)
                text = text.left(9) + QChar(0x2026);
            label = step == 1 ? text : QStringLiteral("%1 %2").arg(t).arg(text);
        }
        m_xTicker->addTick(static_cast<double>(t), label);
    }
}

QPoint GateGridPlot::cellAt(const QPointF& pos) const
{
    if (!hasGrid() || !axisRect()->rect().contains(pos.toPoint()))
        return {-1, -1};
    const int t = static_cast<int>(std::floor(xAxis->pixelToCoord(pos.x()) + 0.5));
    const int r = static_cast<int>(std::floor(yAxis->pixelToCoord(pos.y()) + 0.5));
    if (t < 0 || t >= m_tokens || r < 0 || r >= m_rows)
        return {-1, -1};
    return {r, t};
}

double GateGridPlot::valueAt(int row, int token) const
{
    if (row < 0 || row >= m_rows || token < 0 || token >= m_tokens)
        return std::nan("");
    return m_grid.at(row, token);
}

void GateGridPlot::mousePressEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position());
    if (c.x() >= 0 && event->button() == Qt::LeftButton)
        emit cellClicked(c.x(), c.y());
    QCustomPlot::mousePressEvent(event);
}

void GateGridPlot::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint c = cellAt(event->position());
    if (c.x() >= 0) {
        const double v = valueAt(c.x(), c.y());
        QString tok = QString::number(c.y());
        if (m_tokenRows && c.y() < m_tokenRows->size())
            tok = QStringLiteral("#%1 “%2”").arg(c.y()).arg(m_tokenRows->at(c.y()).display);
        const QString row = c.x() < m_rowLabels.size() ? m_rowLabels[c.x()] : QString::number(c.x());
        QToolTip::showText(event->globalPosition().toPoint(),
                           QStringLiteral("%1, token %2\n%3 = %4").arg(row, tok, m_valueName,
                                                                        std::isnan(v) ? tr("not captured") : QString::number(v, 'g', 4)),
                           this);
    } else {
        QToolTip::hideText();
    }
    QCustomPlot::mouseMoveEvent(event);
}

void GateGridPlot::resizeEvent(QResizeEvent* event)
{
    QCustomPlot::resizeEvent(event);
    updateTokenTicks();
    updateRowTicks();
}

} // namespace attnscope
