// Gates view (docs/GATED.md "Gate view"): what an output gate does, per layer —
//   - a heads × tokens heatmap of the gate values σ(xW) on a fixed [0, 1] scale (elementwise gates: the mean
//     over the head's dims, with the selected head's dims × tokens below it);
//   - a histogram of the gate values of the layer and of the whole model, with the mean and the shares below
//     0.5, 0.1 and 0.01 (the Gated Attention paper's sparsity numbers);
//   - per head, the SDPA output norm before vs after the gate, and the share of the output the gate removes;
//   - linked to the maps: the selected query's row of the selected head's map beside its gate value, and for
//     every head its attention to token 0 beside its gate at that query — where a head dumps mass on the sink,
//     does its gate close?
// Gated DeltaNet layers (no softmax map) show their write strength β, decay exp(g) or output gate SiLU(z) per
// value head instead. A model without gates says why the view is empty. Click a cell to pick the head and the
// query token; Left/Right move the query, Up/Down the layer. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/capture/quantity.h"
#include "core/metrics/gate_summary.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QSplitter;
class QStackedWidget;

namespace attnscope {

class GateGridPlot;
class GateHistogramChart;
class SessionContext;
class SmallBarChart;

class GateViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit GateViewPanel(SessionContext* context, QWidget* parent = nullptr);

    GateGridPlot* headsPlot() const { return m_heads; }
    GateGridPlot* dimsPlot() const { return m_dims; }
    GateHistogramChart* histogram() const { return m_histogram; }
    SmallBarChart* normsChart() const { return m_norms; }
    SmallBarChart* rowChart() const { return m_row; }
    SmallBarChart* headsAtQueryChart() const { return m_atQuery; }
    QLabel* statsLabel() const { return m_stats; }
    QLabel* normsLabel() const { return m_normsText; }
    QComboBox* sourceCombo() const { return m_source; }
    /// The text shown instead of the plots (empty while the plots are shown).
    QString emptyReason() const;
    /// The quantity the view shows for the current layer (Gate, DeltaBeta, DeltaDecay, DeltaOutputGate).
    Quantity shownQuantity() const;

    void refresh();

protected:
    void keyPressEvent(QKeyEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void showMessage(const QString& text);
    void refreshSoftmaxLayer(int layer);
    void refreshDeltaLayer(int layer);
    void refreshHistogram(int layer, Quantity q, int rows);
    /// Shows or hides the per-dimension plot and the map-row chart, and shares the column's height out again when
    /// that changes.
    void setLeftLayout(bool dims, bool row);
    /// The whole model's histogram of quantity q (cached for the run's layers so far).
    const GateHistogram& modelHistogram(Quantity q);
    std::vector<CapturedSeriesPtr> layerSeries(Quantity q, int layer, int rows) const;
    GateHistogram emptyHistogram(Quantity q) const;

    SessionContext* m_context;
    QStackedWidget* m_pages;
    QLabel* m_message;
    QLabel* m_layerLabel;
    QComboBox* m_source;
    QLabel* m_sourceLabel;
    GateGridPlot* m_heads;
    GateGridPlot* m_dims;
    GateHistogramChart* m_histogram;
    QLabel* m_stats;
    SmallBarChart* m_norms;
    QLabel* m_normsText;
    SmallBarChart* m_row;
    SmallBarChart* m_atQuery;
    QSplitter* m_left = nullptr;
    int m_leftMode = -1;   // dims·2 + row; −1: not laid out yet
    bool m_dirty = true;   // something changed while the tab was hidden: refresh when shown
    int m_valueHead = 0;   // the selected value head of a Gated DeltaNet layer (they may outnumber softmax heads)

    struct ModelHistogram {
        quint64 generation = 0;
        int layersReady = -1;
        Quantity quantity = Quantity::Gate;
        double lo = 0, hi = 1;
        std::shared_ptr<GateHistogram> histogram;
    };
    ModelHistogram m_model;
};

} // namespace attnscope
