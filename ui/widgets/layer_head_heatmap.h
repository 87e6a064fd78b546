// A small layers × heads heatmap of one number per head (λ of a differential head, a head's first-token share or
// learned-sink mass): layers top to bottom, heads left to right, a colourbar, NaN cells drawn as "not captured",
// the selected head outlined, hover text with the exact value, and a click that selects the head.
// Sequential colours over [0, max] for non-negative values, the zero-centred diverging map when any value is
// negative. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/colormap.h"

#include <qcustomplot.h>

#include <vector>

namespace attnscope {

class LayerHeadHeatmap : public QCustomPlot {
    Q_OBJECT
public:
    explicit LayerHeadHeatmap(QWidget* parent = nullptr);

    /// values[layer * heads + head]; NaN = no value. `what` names the number (colourbar, hover).
    void setValues(int layers, int heads, std::vector<double> values, const QString& what, Colormap sequential);
    /// Outlines one cell (-1: none).
    void setSelected(int layer, int head);
    void setTitle(const QString& title);
    void clear(const QString& message);
    double value(int layer, int head) const;
    int layers() const { return m_layers; }
    int heads() const { return m_heads; }
    /// Whether the colours are the diverging map (some value is negative).
    bool isDiverging() const { return m_diverging; }
    QString hoverText(int layer, int head) const;

signals:
    void cellClicked(int layer, int head);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    QPoint cellAt(const QPointF& pos) const;

    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPTextElement* m_title = nullptr;
    QCPItemRect* m_mark = nullptr;
    int m_layers = 0, m_heads = 0;
    std::vector<double> m_values;
    QString m_what;
    bool m_diverging = false;
};

} // namespace attnscope
