// A compact grouped bar chart (Qt Charts) for the gate view: one category per head (or key token), one bar set
// per quantity — the SDPA output norm before and after the gate per head, a query's attention to token 0 beside
// each head's gate value, one query's row of a head's map. Category labels hide themselves when there are too
// many to read. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QChartView>
#include <QColor>
#include <QStringList>

#include <vector>

class QChart;

namespace attnscope {

struct BarSetData {
    QString name;
    std::vector<double> values;   // one per category; NaN draws nothing
    QColor colour;
};

class SmallBarChart : public QChartView {
    Q_OBJECT
public:
    explicit SmallBarChart(QWidget* parent = nullptr);
    /// yMax ≤ 0: from the data.
    void setBars(const QStringList& categories, const std::vector<BarSetData>& sets, const QString& title,
                 const QString& yTitle, double yMax = 0.0);
    void clearBars(const QString& message);
    int barSetCount() const;
    QString title() const;

private:
    QChart* m_chart;
};

} // namespace attnscope
