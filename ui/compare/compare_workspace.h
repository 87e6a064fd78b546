// The Compare tab (docs/GUI.md "Compare", docs/VARIANTS.md): the baseline and up to three what-if variants of the
// same weights on the same text, side by side.
//   - Panes: the selected head's map under the baseline and under each variant, with the model's selection
//     (layer/head from the toolbar, arrow keys), one zoom and pan for all, and a crosshair with each pane's value at
//     the hovered cell; hatching shows what each variant's mask removed. One colour range spans every pane.
//   - A difference pane, A − B for any two panes (default: variant 1 − the baseline), on the zero-centred
//     diverging map with symmetric limits.
//   - The variant editor, the per-variant numbers (perplexity, KL, top-1 agreement, mass outside the mask; cosine
//     for encoders), the per-head mass outside the mask on the current layer, and the per-position KL (or
//     cosine) curve, where hovering a position selects that token's row in every pane and in the token view.
// The comparison runs on the compute thread through SessionBridge::compare with progress and cancel; its result is
// one immutable CompareOutcome. It never touches the prompt or the main run's maps.
// Threading: UI thread; map preparation (differences, colour ranges) and rendering run on workers.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/compare/compare_outcome.h"
#include "ui/session_bridge.h"
#include "ui/render/figure_spec.h"

#include <QTimer>
#include <QWidget>

#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace attnscope {

class CompareMetricsModel;
class ComparePane;
class ComparePlot;
class KlCurveView;
class MassOutsideModel;
class SessionBridge;
class SessionContext;
class VariantEditor;

class CompareWorkspace : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxPanes = 4;   // the baseline and up to three variants

    /// `promptText` returns the text to compare on (the prompt editor's).
    CompareWorkspace(SessionContext* context, SessionBridge* bridge, std::function<QString()> promptText,
                     QWidget* parent = nullptr);

    VariantEditor* editor() const { return m_editor; }
    /// Panes in use: the baseline (0) and one per variant of the comparison on screen (1 before any).
    int paneCount() const { return m_paneCount; }
    ComparePane* pane(int i) const { return i >= 0 && i < kMaxPanes ? m_panes[i] : nullptr; }
    ComparePane* differencePane() const { return m_diffPane; }
    QComboBox* differenceA() const { return m_diffA; }
    QComboBox* differenceB() const { return m_diffB; }
    KlCurveView* curve() const { return m_curve; }
    CompareMetricsModel* metricsModel() const { return m_metrics; }
    MassOutsideModel* massModel() const { return m_mass; }
    QAction* compareAction() const { return m_compareAction; }
    QAction* cancelAction() const { return m_cancelAction; }
    QLabel* statusLabel() const { return m_status; }
    CompareOutcomePtr outcome() const { return m_outcome; }

    /// Compares the prompt with the editor's variants. False (with errorReported) when it cannot start: no model,
    /// no text, a bad variant.
    bool startCompare();
    void cancelCompare();
    /// Long: compare as for a long prompt (no maps) at any length; Auto: over kLongPromptTokens (tests, --run-mode).
    void setRunMode(RunMode mode) { m_runMode = mode; }
    /// Shows the result of a comparison (what compareFinished delivers; tests feed their own).
    void showOutcome(CompareOutcomePtr outcome);
    /// A compare is running, or maps are being prepared or rendered.
    bool isBusy() const;

    /// The query row marked in every pane (-1: none); also the token view's query when the main run has the
    /// same tokens. Scrolls the panes vertically to show the row.
    void setQueryRow(int query);
    int queryRow() const { return m_query; }
    /// Crosshair and value at (query, key) in every pane ((-1, -1): none).
    void setHoveredCell(int query, int key);
    QLabel* hoverLabel() const { return m_hoverLabel; }
    /// Difference pane = pane a − pane b (indices into the panes).
    void setDifference(int a, int b);
    /// Marks the comparison stale when the prompt no longer matches the text it ran on.
    void checkStale(const QString& promptText);
    /// The view's figure panels (docs/FIGURES.md): the selected head under the baseline and each variant on
    /// screen ("compare"), the difference pane as chosen ("compare_diff") and the per-position curve ("kl_curve"),
    /// over the panes' zoom.
    QVector<PanelSpec> panelSpecs() const;

signals:
    void errorReported(const QString& title, const QString& message);
    /// A comparison ended (finished, cancelled or failed).
    void compareEnded(bool finished);
    /// The editor's variant list changed (the session is modified).
    void variantsChanged();

private:
    void buildUi();
    void connectSignals();
    void onFinished(quint64 generation, CompareOutcomePtr outcome);
    void onEnded(bool finished, const QString& status);
    void refreshMaps();
    void refreshPooled(int layer, int head, int a, int b);
    void updateDifferenceChoices();
    void updateCurve();
    void syncZoom(ComparePlot* from);
    void updateProgress();
    void setBusyUi(bool running);
    QString paneName(int i) const;
    QString hoverSummary(int query, int key) const;
    bool tokensMatchMainRun() const;

    SessionContext* m_context;
    SessionBridge* m_bridge;
    RunMode m_runMode = RunMode::Auto;
    std::function<QString()> m_promptText;
    CompareOutcomePtr m_outcome;
    quint64 m_generation = 0;

    VariantEditor* m_editor = nullptr;
    ComparePane* m_panes[kMaxPanes] = {};
    ComparePane* m_diffPane = nullptr;
    int m_paneCount = 1;
    QComboBox* m_diffA = nullptr;
    QComboBox* m_diffB = nullptr;
    KlCurveView* m_curve = nullptr;
    CompareMetricsModel* m_metrics = nullptr;
    MassOutsideModel* m_mass = nullptr;
    QTableView* m_metricsTable = nullptr;
    QTableView* m_massTable = nullptr;
    QAction* m_compareAction = nullptr;
    QAction* m_cancelAction = nullptr;
    QPushButton* m_compareButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_hoverLabel = nullptr;
    QTimer m_progressTimer;

    quint64 m_prepGeneration = 0;
    bool m_prepRunning = false;
    bool m_prepDirty = false;
    bool m_syncingZoom = false;
    int m_query = -1;
    QPoint m_hover{-1, -1};
};

} // namespace attnscope
