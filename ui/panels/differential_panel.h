// Differential view (docs/DIFFERENTIAL.md): for the selected differential head, A1, λ·A2 and A1 − λ·A2 side by
// side — the two softmax maps on one shared colour scale, the difference on a zero-centred diverging scale — with
// their zooms linked; λ per layer and head as a small heatmap (V2: λ's mean over tokens); and the
// noise-cancellation measure (core/metrics/noise_cancellation.h) for a signal span the user drags over the token
// strip: signal and noise mass on A1, λ·A2 and A1 − λ·A2, the SNR before and after the subtraction, the negative
// share of the difference, for this head and averaged over every head of the run.
// Rendering (building λ·A2, pooling the three maps to their plots' pixels, colourising) and measuring run on
// workers, latest request wins. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/noise_cancellation.h"
#include "ui/render/figure_spec.h"
#include "ui/render/heatmap_image.h"

#include <QTimer>
#include <QWidget>

#include <array>

class QLabel;
class QTableWidget;

namespace attnscope {

class AttentionPlot;
class LayerHeadHeatmap;
class SessionContext;
class TokenListModel;
class TokenStrip;

class DifferentialPanel : public QWidget {
    Q_OBJECT
public:
    enum Plot { A1 = 0, LambdaA2 = 1, Difference = 2 };

    explicit DifferentialPanel(SessionContext* context, QWidget* parent = nullptr);
    AttentionPlot* plot(Plot p) const { return m_plots[static_cast<size_t>(p)]; }
    LayerHeadHeatmap* lambdaMap() const { return m_lambda; }
    TokenStrip* spanStrip() const { return m_strip; }
    QTableWidget* measureTable() const { return m_table; }
    QLabel* summaryLabel() const { return m_summary; }

    /// The signal span of keys [begin, end) (empty: none marked). Dragging over the token strip sets it too.
    void setSignalSpan(TokenRange span);
    TokenRange signalSpan() const { return m_span; }
    /// The last measures shown: the selected head's and the pooled average over every differential head.
    const NoiseCancellation& headMeasure() const { return m_head; }
    const NoiseCancellation& averageMeasure() const { return m_average; }
    int averagedHeads() const { return m_averagedHeads; }

    bool isBusy() const
    {
        return m_renderRunning || m_renderDirty || m_measureRunning || m_measureDirty || m_lambdaTimer.isActive();
    }
    int shownLayer() const { return m_shownLayer; }
    int shownHead() const { return m_shownHead; }
    /// The colour range the two softmax maps share, and the difference's symmetric range (last render).
    double sharedRange() const { return m_sharedRange; }
    double differenceRange() const { return m_diffRange; }

    void requestRender();
    void requestMeasure();

    /// The view's figure panels (docs/FIGURES.md): A1, λ·A2 and A1 − λ·A2 of the selected head over the zoomed
    /// token range ("differential" panel kind).
    QVector<PanelSpec> panelSpecs() const;

signals:
    /// After the three plots were replotted with (layer, head) on screen.
    void rendered(int layer, int head);
    /// After the measure table was filled for the current span and head.
    void measured();

private:
    void refreshLambda();
    void clearPlots(const QString& message);
    std::array<PoolWindow, 3> wantedWindows(int64_t tokens) const;
    void fillTable();

    SessionContext* m_context;
    QLabel* m_info;
    std::array<AttentionPlot*, 3> m_plots{};
    LayerHeadHeatmap* m_lambda;
    TokenListModel* m_tokens;
    TokenStrip* m_strip;
    QLabel* m_spanLabel;
    QTableWidget* m_table;
    QLabel* m_summary;
    QTimer m_windowTimer;
    QTimer m_lambdaTimer;
    bool m_syncingZoom = false;

    TokenRange m_span;
    NoiseCancellation m_head, m_average;
    int m_averagedHeads = 0;
    bool m_renderRunning = false, m_renderDirty = false;
    bool m_measureRunning = false, m_measureDirty = false;
    int m_shownLayer = -1, m_shownHead = -1;
    double m_sharedRange = 0, m_diffRange = 0;
};

} // namespace attnscope
