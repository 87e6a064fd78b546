// The gate view's histogram (Qt Charts): the share of gate values per bin for the selected layer (filled) and for
// the whole model (line), with dashed markers at 0.5 and 0.1 — the Gated Attention paper's sparsity picture
// (most gate scores near 0). Works for any bounded gate-like series (β, decay) and signed ones (SiLU(z)) over
// the histogram's own range. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/gate_summary.h"

#include <QChartView>

class QChart;

namespace attnscope {

class GateHistogramChart : public QChartView {
    Q_OBJECT
public:
    explicit GateHistogramChart(QWidget* parent = nullptr);
    /// `model` may be null (one layer only). `thresholds`: draw the 0.5 / 0.1 markers.
    void setHistograms(const GateHistogram& layer, const GateHistogram* model, const QString& layerName,
                       const QString& valueName, bool thresholds);
    void clearHistograms(const QString& message);
    /// Series shown (tests): 0 when cleared.
    int seriesCount() const;

private:
    QChart* m_chart;
};

} // namespace attnscope
