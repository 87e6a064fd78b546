// SmallBarChart: QBarSeries over a category axis, value axis from zero.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/small_bar_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace attnscope {

SmallBarChart::SmallBarChart(QWidget* parent)
    : QChartView(parent)
    , m_chart(new QChart)
{
    setChart(m_chart);
    setRenderHint(QPainter::Antialiasing);
    m_chart->legend()->setAlignment(Qt::AlignTop);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    QFont f = m_chart->titleFont();
    f.setPointSizeF(std::max(7.0, f.pointSizeF() - 1.0));
    m_chart->setTitleFont(f);
}

void SmallBarChart::setBars(const QStringList& categories, const std::vector<BarSetData>& sets, const QString& title,
                            const QString& yTitle, double yMax)
{
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes())
        m_chart->removeAxis(a);
    auto* series = new QBarSeries;
    double top = 0;
    for (const BarSetData& d : sets) {
        auto* set = new QBarSet(d.name);
        for (double v : d.values) {
            *set << (std::isfinite(v) ? v : 0.0);
            if (std::isfinite(v))
                top = std::max(top, v);
        }
        set->setColor(d.colour);
        set->setBorderColor(d.colour.darker(120));
        series->append(set);
    }
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setLabelsVisible(categories.size() <= 40);
    x->setTruncateLabels(false);   // Qt Charts elides category labels to "…" by default
    QFont lf = x->labelsFont();
    lf.setPointSizeF(std::max(6.0, lf.pointSizeF() - 1.5));
    x->setLabelsFont(lf);
    if (categories.size() > 12)
        x->setLabelsAngle(-90);
    auto* y = new QValueAxis;
    y->setRange(0, yMax > 0 ? yMax : (top > 0 ? top * 1.08 : 1.0));
    y->setTitleText(yTitle);
    y->setLabelFormat(QStringLiteral("%.2g"));
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    m_chart->legend()->setVisible(sets.size() > 1);
    m_chart->setTitle(title);
}

void SmallBarChart::clearBars(const QString& message)
{
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes())
        m_chart->removeAxis(a);
    m_chart->legend()->setVisible(false);
    m_chart->setTitle(message);
}

int SmallBarChart::barSetCount() const
{
    int n = 0;
    for (QAbstractSeries* s : m_chart->series())
        if (auto* b = qobject_cast<QBarSeries*>(s))
            n += b->count();
    return n;
}

QString SmallBarChart::title() const
{
    return m_chart->title();
}

} // namespace attnscope
