// GateHistogramChart: step curves of per-bin shares on a value axis, threshold markers as dashed lines.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/gate_histogram_chart.h"

#include "ui/render/colormap.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>

namespace attnscope {

namespace {

/// A step curve (0 at both ends) of the histogram's per-bin share of its values.
QLineSeries* stepCurve(const GateHistogram& h, double& top)
{
    auto* s = new QLineSeries;
    const double total = std::max<double>(1.0, static_cast<double>(h.total));
    s->append(h.lo, 0.0);
    for (size_t b = 0; b < h.counts.size(); ++b) {
        const double share = static_cast<double>(h.counts[b]) / total;
        top = std::max(top, share);
        s->append(h.binLow(b), share);
        s->append(h.binLow(b + 1), share);
    }
    s->append(h.hi, 0.0);
    return s;
}

} // namespace

GateHistogramChart::GateHistogramChart(QWidget* parent)
    : QChartView(parent)
    , m_chart(new QChart)
{
    setObjectName(QStringLiteral("gateHistogram"));
    setChart(m_chart);
    setRenderHint(QPainter::Antialiasing);
    m_chart->legend()->setAlignment(Qt::AlignTop);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    clearHistograms(QString());
}

void GateHistogramChart::setHistograms(const GateHistogram& layer, const GateHistogram* model, const QString& layerName,
                                       const QString& valueName, bool thresholds)
{
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes())
        m_chart->removeAxis(a);
    double top = 0;
    const Lut& lut = colormapLut(Colormap::Viridis);
    QLineSeries* upper = stepCurve(layer, top);
    auto* area = new QAreaSeries(upper);
    area->setName(layerName);
    QColor fill = QColor::fromRgb(lut[90]);
    area->setPen(QPen(fill.darker(130), 1));
    fill.setAlpha(170);
    area->setBrush(fill);
    m_chart->addSeries(area);
    QLineSeries* whole = nullptr;
    if (model && model->total > 0) {
        whole = stepCurve(*model, top);
        whole->setName(tr("whole model"));
        whole->setPen(QPen(QColor::fromRgb(lut[200]).darker(115), 2));
        m_chart->addSeries(whole);
    }
    auto* x = new QValueAxis;
    x->setRange(layer.lo, layer.hi);
    x->setTitleText(valueName);
    x->setLabelFormat(QStringLiteral("%.1f"));
    x->setTickCount(layer.lo == 0.0 && layer.hi == 1.0 ? 11 : 5);
    auto* y = new QValueAxis;
    y->setRange(0, top > 0 ? top * 1.08 : 1.0);
    y->setTitleText(tr("share"));
    y->setLabelFormat(QStringLiteral("%.2f"));
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    area->attachAxis(x);
    area->attachAxis(y);
    if (whole) {
        whole->attachAxis(x);
        whole->attachAxis(y);
    }
    if (thresholds)
        for (double t : {0.5, 0.1}) {
            if (t <= layer.lo || t >= layer.hi)
                continue;
            auto* mark = new QLineSeries;
            mark->append(t, 0);
            mark->append(t, top > 0 ? top * 1.08 : 1.0);
            mark->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 1, Qt::DashLine));
            m_chart->addSeries(mark);
            mark->attachAxis(x);
            mark->attachAxis(y);
            m_chart->legend()->markers(mark).first()->setVisible(false);
        }
    m_chart->setTitle(QString());
}

void GateHistogramChart::clearHistograms(const QString& message)
{
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes())
        m_chart->removeAxis(a);
    m_chart->setTitle(message);
}

int GateHistogramChart::seriesCount() const
{
    return static_cast<int>(m_chart->series().size());
}

} // namespace attnscope
