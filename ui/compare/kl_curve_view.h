// The per-position curve of the compare workspace (docs/GUI.md "Compare"): one QLineSeries per variant over the
// prompt's positions — KL(baseline ‖ variant) of the next-token distributions for language models, the cosine
// similarity of the output hidden states for encoders — in a QChartView. Moving the mouse over the chart picks
// the nearest position (a vertical marker follows) and reports it, so the workspace can show that token's row in
// its maps. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QChartView>
#include <QColor>
#include <QStringList>
#include <QVector>

class QLineSeries;
class QValueAxis;

namespace attnscope {

class KlCurveView : public QChartView {
    Q_OBJECT
public:
    explicit KlCurveView(QWidget* parent = nullptr);

    struct Curve {
        QString name;     // for the tooltip
        QString legend;   // shorter legend entry (empty: the name)
        QColor colour;
        QVector<double> values;   // one per position; NaN points are left out
    };
    /// Replaces the curves; `yLabel` names the quantity ("KL(baseline ‖ variant), nats").
    void setCurves(const QVector<Curve>& curves, const QString& yLabel);
    void clearCurves(const QString& message);
    int curveCount() const { return static_cast<int>(m_series.size()); }
    QLineSeries* series(int i) const { return m_series.value(i); }
    int positions() const { return m_positions; }
    /// Picks a position as hovering does (moves the marker, emits positionHovered); -1 hides the marker.
    void hoverPosition(int position);
    int hoveredPosition() const { return m_hovered; }
    /// Token labels for the hover tooltip ("#12 ␣fox").
    void setPositionLabels(QStringList labels) { m_labels = std::move(labels); }

signals:
    void positionHovered(int position);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void placeMarker();

    QVector<QLineSeries*> m_series;
    QVector<Curve> m_curves;
    QLineSeries* m_marker = nullptr;
    QValueAxis* m_x = nullptr;
    QValueAxis* m_y = nullptr;
    QStringList m_labels;
    int m_positions = 0;
    int m_hovered = -1;
};

} // namespace attnscope
