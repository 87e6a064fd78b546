// KlCurveView: series, axes, the hover marker and the position under the mouse.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/kl_curve_view.h"

#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMouseEvent>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace attnscope {

KlCurveView::KlCurveView(QWidget* parent)
    : QChartView(parent)
{
    setObjectName(QStringLiteral("klCurve"));
    setMouseTracking(true);
    setRenderHint(QPainter::Antialiasing, true);
    auto* c = new QChart;
    c->setMargins(QMargins(4, 4, 4, 4));
    c->legend()->setAlignment(Qt::AlignTop);
    c->setBackgroundRoundness(0);
    setChart(c);
    m_x = new QValueAxis;
    m_y = new QValueAxis;
    m_x->setTitleText(tr("query position (token)"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    c->addAxis(m_x, Qt::AlignBottom);
    c->addAxis(m_y, Qt::AlignLeft);
    clearCurves(tr("Compare to see the per-position curve"));
}

void KlCurveView::clearCurves(const QString& message)
{
    for (QLineSeries* s : m_series)
        chart()->removeSeries(s);
    qDeleteAll(m_series);
    m_series.clear();
    m_curves.clear();
    if (m_marker) {
        chart()->removeSeries(m_marker);
        delete m_marker;
        m_marker = nullptr;
    }
    m_positions = 0;
    m_hovered = -1;
    chart()->setTitle(message);
    m_x->setRange(0, 1);
    m_y->setRange(0, 1);
}

void KlCurveView::setCurves(const QVector<Curve>& curves, const QString& yLabel)
{
    clearCurves(QString());
    m_curves = curves;
    double lo = 0, hi = 0;
    bool any = false;
    for (const Curve& c : curves) {
        auto* s = new QLineSeries;
        s->setName(c.legend.isEmpty() ? c.name : c.legend);
        QPen pen(c.colour, 1.4);
        s->setPen(pen);
        QList<QPointF> points;
        points.reserve(c.values.size());
        for (int i = 0; i < c.values.size(); ++i) {
            const double v = c.values[i];
            if (!std::isfinite(v))
                continue;
            points.append(QPointF(i, v));
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
        s->replace(points);
        chart()->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
        m_series.push_back(s);
        m_positions = std::max(m_positions, static_cast<int>(c.values.size()));
    }
    m_marker = new QLineSeries;
    m_marker->setName(QString());
    m_marker->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 1.2, Qt::DashLine));
    chart()->addSeries(m_marker);
    m_marker->attachAxis(m_x);
    m_marker->attachAxis(m_y);
    if (chart()->legend()->markers(m_marker).size() > 0)
        chart()->legend()->markers(m_marker).first()->setVisible(false);
    m_x->setRange(0, std::max(1, m_positions - 1));
    // KL starts at 0; cosine curves get a little room around their range.
    if (!any)
        lo = 0, hi = 1;
    if (lo >= 0 && yLabel.startsWith(QStringLiteral("KL")))
        lo = 0;
    const double pad = hi > lo ? 0.05 * (hi - lo) : 0.05;
    m_y->setRange(lo - (lo == 0 ? 0 : pad), hi + pad);
    m_y->setTitleText(yLabel);
    chart()->setTitle(QString());
}

void KlCurveView::placeMarker()
{
    if (!m_marker)
        return;
    if (m_hovered < 0) {
        m_marker->clear();
        return;
    }
    m_marker->replace(QList<QPointF>{QPointF(m_hovered, m_y->min()), QPointF(m_hovered, m_y->max())});
}

void KlCurveView::hoverPosition(int position)
{
    const int p = m_positions > 0 && position >= 0 ? std::clamp(position, 0, m_positions - 1) : -1;
    if (p == m_hovered)
        return;
    m_hovered = p;
    placeMarker();
    emit positionHovered(p);
}

void KlCurveView::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    if (m_positions <= 0)
        return;
    const QPointF scene = mapToScene(event->position().toPoint());
    const QPointF inChart = chart()->mapFromScene(scene);
    if (!chart()->plotArea().contains(inChart))
        return;
    const QPointF value = chart()->mapToValue(inChart);
    const int p = static_cast<int>(std::lround(value.x()));
    hoverPosition(p);
    if (m_hovered < 0)
        return;
    QString tip = m_hovered < m_labels.size() ? m_labels[m_hovered] : QStringLiteral("#%1").arg(m_hovered);
    for (const Curve& c : m_curves)
        if (m_hovered < c.values.size())
            tip += QStringLiteral("\n%1: %2").arg(c.name).arg(c.values[m_hovered], 0, 'g', 4);
    QToolTip::showText(event->globalPosition().toPoint(), tip, this);
}

void KlCurveView::leaveEvent(QEvent* event)
{
    QToolTip::hideText();
    QChartView::leaveEvent(event);
}

} // namespace attnscope
