// Sink view (docs/SINKS.md): where softmax parks the mass it must spend.
//  - a layers × heads heatmap of each head's first-token share (mean over query rows i ≥ 1 of A[i, 0]) or, for
//    models with learned sinks (gpt-oss), the mass the sink column took;
//  - a per-layer curve (QtCharts) of the same number, overlaying the run on screen with up to three pinned runs —
//    other models or what-if variants of this one (`sink:logit=b`, `sliding:window=W,sinks=S`, run from here);
//  - per-layer max |hidden state| (massive activations, log scale) with the token and dimension where it sits;
//  - the sink rate: the share of heads whose mean attention to token 0 over every row (α) exceeds a threshold the
//    user sets (default 0.3, Gu et al.), per layer and over the model.
// Everything is read from the run's layer reports (core/metrics/layer_report.h), built on workers as layers
// arrive; changing the threshold re-reads the kept α values, no recomputation. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_spec.h"
#include "ui/render/figure_spec.h"

#include <QString>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace attnscope {

class LayerHeadHeatmap;
class SessionContext;

class SinkPanel : public QWidget {
    Q_OBJECT
public:
    enum class Metric { FirstTokenShare, SinkMass };

    /// One run's per-layer numbers, kept for the overlay.
    struct Curve {
        QString label;
        QVector<double> firstTokenShare, sinkMass, maxAbsHidden;   // per layer (sinkMass empty without sinks)
    };
    static constexpr int kMaxCurves = 4;   // the run on screen and up to three pinned ones

    explicit SinkPanel(SessionContext* context, QWidget* parent = nullptr);

    LayerHeadHeatmap* heatmap() const { return m_heatmap; }
    QChart* curveChart() const { return m_curves; }
    QChart* hiddenChart() const { return m_hidden; }
    QTableWidget* table() const { return m_table; }
    QLabel* rateLabel() const { return m_rate; }
    /// The runs drawn, one coloured line each (the charts' shared legend).
    QLabel* legendLabel() const { return m_legend; }
    QLineEdit* variantEdit() const { return m_variant; }
    QLabel* variantError() const { return m_variantError; }

    void setThreshold(double eps);
    double threshold() const { return m_threshold; }
    void setMetric(Metric m);
    Metric metric() const { return m_metric; }
    /// Keeps the run on screen as a pinned curve (the oldest pinned one makes room when three are pinned).
    void pinCurrent();
    void clearPinned();
    const QVector<Curve>& pinned() const { return m_pinned; }
    /// The run on screen as a curve (layers whose report arrived; NaN elsewhere).
    Curve currentCurve() const;
    /// The model's sink rate at the threshold over every (layer, head) with a map; NaN without maps.
    double sinkRate() const;

    /// The view's figure panels (docs/FIGURES.md): the heatmap ("sinks"), the per-layer curves ("sink_curves")
    /// and max |hidden| ("hidden_max"), with the metric shown, the run's legend label and the pinned runs' numbers.
    QVector<PanelSpec> panelSpecs() const;

    void refresh();
    /// A refresh is scheduled (reports arrived, the run or model changed).
    bool isBusy() const { return m_refreshTimer.isActive(); }

signals:
    /// "Run variant" with a valid spec: the main window reruns the prompt under it.
    void variantRunRequested(const attnscope::AttentionSpec& spec);
    void refreshed();

private:
    void rebuildCharts();
    void fillTable();

    SessionContext* m_context;
    QComboBox* m_metricCombo;
    QDoubleSpinBox* m_thresholdSpin;
    QPushButton* m_pin;
    QPushButton* m_clear;
    QLineEdit* m_variant;
    QPushButton* m_runVariant;
    QLabel* m_variantError;
    LayerHeadHeatmap* m_heatmap;
    QChart* m_curves;
    QChartView* m_curvesView;
    QChart* m_hidden;
    QChartView* m_hiddenView;
    QTableWidget* m_table;
    QLabel* m_rate;
    QLabel* m_legend;
    QTimer m_refreshTimer;
    double m_threshold = 0.3;
    Metric m_metric = Metric::FirstTokenShare;
    bool m_metricChosen = false;   // the user picked one; otherwise sink models default to the sink mass
    QVector<Curve> m_pinned;
};

} // namespace attnscope
