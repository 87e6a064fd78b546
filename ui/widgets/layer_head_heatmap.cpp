// LayerHeadHeatmap: QCPColorMap over the layer × head grid with our colormap tables.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/layer_head_heatmap.h"

#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

QCPColorGradient gradientOf(Colormap c)
{
    const Lut& lut = colormapLut(c);
    QMap<double, QColor> stops;
    for (int k = 0; k < 256; ++k)
        stops.insert(k / 255.0, QColor::fromRgb(lut[static_cast<size_t>(k)]));
    QCPColorGradient g;
    g.setColorStops(stops);
    g.setLevelCount(256);
    // NaN cells: the "not captured" background
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(maskedBackground());
    return g;
}

} // namespace

LayerHeadHeatmap::LayerHeadHeatmap(QWidget* parent)
    : QCustomPlot(parent)
{
    setMouseTracking(true);
    m_title = new QCPTextElement(this, QString(), QFont(font().family(), 9, QFont::Bold));
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, m_title);
    m_map = new QCPColorMap(xAxis, yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);   // every cell full size, centred on its (head, layer)
    yAxis->setRangeReversed(true);   // layer 0 on top, as the overview grid
    xAxis->setLabel(tr("head"));
    yAxis->setLabel(tr("layer"));
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    QFont tick = font();
    tick.setPointSizeF(std::max(6.0, tick.pointSizeF() - 1.5));
    xAxis->setTickLabelFont(tick);
    yAxis->setTickLabelFont(tick);
    m_scale = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(10);
    m_map->setColorScale(m_scale);
    auto* margins = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_mark = new QCPItemRect(this);
    m_mark->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 2));
    m_mark->setBrush(Qt::NoBrush);
    m_mark->setVisible(false);
    clear(QString());
}

void LayerHeadHeatmap::setTitle(const QString& title)
{
    m_title->setText(title);
}

void LayerHeadHeatmap::clear(const QString& message)
{
    m_layers = m_heads = 0;
    m_values.clear();
    m_map->data()->clear();
    m_map->setVisible(false);
    m_scale->setVisible(false);
    m_mark->setVisible(false);
    m_title->setText(message);
    xAxis->setRange(-0.5, 3.5);
    yAxis->setRange(-0.5, 3.5);
    replot(QCustomPlot::rpQueuedReplot);
}

void LayerHeadHeatmap::setValues(int layers, int heads, std::vector<double> values, const QString& what,
                                 Colormap sequential)
{
    if (layers <= 0 || heads <= 0 || values.size() != static_cast<size_t>(layers) * static_cast<size_t>(heads)) {
        clear(tr("no values"));
        return;
    }
    m_layers = layers;
    m_heads = heads;
    m_values = std::move(values);
    m_what = what;
    double lo = 0, hi = 0;
    bool any = false;
    for (double v : m_values)
        if (!std::isnan(v)) {
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
    m_diverging = any && lo < 0;
    m_map->data()->setSize(heads, layers);
    m_map->data()->setRange(QCPRange(0, heads - 1), QCPRange(0, layers - 1));
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            m_map->data()->setCell(h, l, m_values[static_cast<size_t>(l) * heads + h]);
    m_map->setGradient(gradientOf(m_diverging ? Colormap::Diverging : sequential));
    const double m = std::max(std::fabs(lo), std::fabs(hi));
    if (m_diverging)
        m_map->setDataRange(QCPRange(-m, m));
    else
        m_map->setDataRange(QCPRange(0, hi > 0 ? hi : 1));
    m_scale->axis()->setLabel(what);
    m_map->setVisible(true);
    m_scale->setVisible(true);
    xAxis->setRange(-0.5, heads - 0.5);
    yAxis->setRange(-0.5, layers - 0.5);
    auto ticker = [](int n) {
        auto t = QSharedPointer<QCPAxisTickerFixed>::create();
        t->setTickStep(n > 24 ? 4 : n > 12 ? 2 : 1);
        t->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        return t;
    };
    xAxis->setTicker(ticker(heads));
    yAxis->setTicker(ticker(layers));
    replot(QCustomPlot::rpQueuedReplot);
}

void LayerHeadHeatmap::setSelected(int layer, int head)
{
    const bool on = layer >= 0 && head >= 0 && layer < m_layers && head < m_heads;
    m_mark->setVisible(on);
    if (on) {
        m_mark->topLeft->setCoords(head - 0.5, layer - 0.5);
        m_mark->bottomRight->setCoords(head + 0.5, layer + 0.5);
    }
    replot(QCustomPlot::rpQueuedReplot);
}

double LayerHeadHeatmap::value(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return std::nan("");
    return m_values[static_cast<size_t>(layer) * m_heads + head];
}

QString LayerHeadHeatmap::hoverText(int layer, int head) const
{
    const double v = value(layer, head);
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return {};
    return std::isnan(v) ? tr("layer %1 · head %2: not captured").arg(layer).arg(head)
                         : tr("layer %1 · head %2: %3 %4").arg(layer).arg(head).arg(m_what).arg(v, 0, 'g', 4);
}

QPoint LayerHeadHeatmap::cellAt(const QPointF& pos) const
{
    if (m_layers == 0)
        return {-1, -1};
    const int h = static_cast<int>(std::lround(xAxis->pixelToCoord(pos.x())));
    const int l = static_cast<int>(std::lround(yAxis->pixelToCoord(pos.y())));
    if (!axisRect()->rect().contains(pos.toPoint()) || h < 0 || l < 0 || h >= m_heads || l >= m_layers)
        return {-1, -1};
    return {h, l};
}

void LayerHeadHeatmap::mouseMoveEvent(QMouseEvent* event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPoint c = cellAt(event->position());
    if (c.x() >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), hoverText(c.y(), c.x()), this);
    else
        QToolTip::hideText();
}

void LayerHeadHeatmap::mouseReleaseEvent(QMouseEvent* event)
{
    QCustomPlot::mouseReleaseEvent(event);
    const QPoint c = cellAt(event->position());
    if (c.x() >= 0 && event->button() == Qt::LeftButton)
        emit cellClicked(c.y(), c.x());
}

} // namespace attnscope
