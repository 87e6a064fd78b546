// The UI's side of the ComputeSession (docs/ENGINE.md): posts "open model" and "run" requests, and re-posts
// every callback from the compute thread to the UI thread (queued, QPointer-guarded), dropping results whose
// generation is no longer current. Signals are emitted on the UI thread only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_spec.h"
#include "core/model/loaded_model.h"
#include "core/results/attention_map.h"
#include "core/session/model_info.h"
#include "core/session/run_request.h"
#include "ui/compare/compare_outcome.h"
#include "ui/models/token_list_model.h"
#include "ui/run_cost.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace attnscope {

class ComputeSession;
struct BackendSet;

/// A model opened on the compute thread, with its description and the backend that will run it.
struct OpenedModel {
    std::shared_ptr<const LoadedModel> model;
    ModelInfo info;
    QString path;
    QString backend;
};
using OpenedModelPtr = std::shared_ptr<const OpenedModel>;

/// All heads of one layer, delivered as soon as the layer's attention is computed, with everything else the
/// layer captured (by schema key).
struct LayerMaps {
    int layer = 0;
    std::vector<AttentionMapPtr> heads;   // attention probabilities by head (null = not captured)
    LayerCaptures captures;
};
using LayerMapsPtr = std::shared_ptr<const LayerMaps>;

/// Which heads a run captures, indexed layer * heads + head (1 = captured); a null pointer means every head.
using CaptureMask = std::vector<uint8_t>;
using CaptureMaskPtr = std::shared_ptr<const CaptureMask>;

/// A run refused up front because its maps would not fit in memory, with what would fit instead.
struct CaptureRefusal {
    QString text;                 // the prompt that was refused
    qint64 tokens = 0;
    int layers = 0, heads = 0;
    int capturedHeads = 0;        // what the refused run asked for
    quint64 neededBytes = 0;
    quint64 budgetBytes = 0;
    qint64 maxTokensAllHeads = 0; // the longest prompt whose maps for the asked heads fit
    quint64 maxHeads = 0;         // how many heads' maps fit at this length
    quint64 longNeededBytes = 0;  // the same prompt as a long run (no maps; docs/LONG-CONTEXT.md)
    qint64 maxTokensLong = 0;     // the longest prompt a long run fits
    QString message;
};

/// How a run keeps its attention (docs/LONG-CONTEXT.md "In the GUI"). Auto: every head's map while they fit
/// and the prompt has at most kLongPromptTokens tokens, else a long run (queries, keys, row normalisers, streamed
/// scores and pooled maps; views recompute what they draw). A run with a capture subset always keeps maps.
enum class RunMode { Auto, Maps, Long };
// kLongPromptTokens: core/session/run_request.h (the CLI decides by the same rule).

struct RunOptions {
    RunMode mode = RunMode::Auto;
    bool beyondContext = false;   // allow more tokens than the model's context (RunRequest::beyondContext)
    bool confirmLong = false;     // stop before a run of more than kLongPromptTokens and ask (runNeedsConfirmation)
    std::optional<AttentionSpec> variant;   // a what-if run (docs/VARIANTS.md) instead of the model's own attention
};

/// The up-front estimate of a run longer than kLongPromptTokens, shown before it starts.
struct RunPlan {
    QString text;
    CaptureMaskPtr capture;
    RunOptions options;           // what to post again once confirmed (confirmLong cleared)
    qint64 tokens = 0;
    int layers = 0, heads = 0;
    bool longMode = false;
    QString kept;                 // what the run keeps, in words
    quint64 captureBytes = 0, totalBytes = 0, budgetBytes = 0;
    double expectedSeconds = 0;
    QString basis;                // where the throughput comes from
};

/// A run refused because the prompt is longer than the model's context.
struct ContextRefusal {
    QString text;
    CaptureMaskPtr capture;
    RunOptions options;
    qint64 tokens = 0;
    qint64 contextLength = 0;
    bool canExtrapolate = false;  // RoPE models can run beyond their context on purpose; learned positions cannot
    QString message;
};

struct RunSummary {
    qint64 tokens = 0;
    double forwardMs = 0;
    double firstLayerMs = 0;
    bool longMode = false;
    quint64 keptBytes = 0;        // what the run's captures hold
    ForwardTimings timings;
    QStringList topNext;   // "␣Paris 0.41" for the five most likely next tokens
    QStringList notes;     // what the engine says a reader should know (encoder model, extrapolation, …)
};

class SessionBridge : public QObject {
    Q_OBJECT
public:
    /// Takes the backends the compute thread will own (built by app/, which links the kernels).
    explicit SessionBridge(std::unique_ptr<BackendSet> backends, QObject* parent = nullptr);
    ~SessionBridge() override;

    /// Opens a model file or folder on the compute thread. A newer open supersedes an older one.
    quint64 openModel(const QString& path);
    /// Tokenises and runs the model over the text, capturing every head (or those set in `capture`). A newer run
    /// supersedes (and cancels) the current one; maps stream in through layerReady. Past kLongPromptTokens, or
    /// when the maps would not fit in mapMemoryBudget(), the run keeps queries, keys and streamed statistics
    /// instead of maps (RunMode::Auto). A run that fits neither way is refused before the forward starts
    /// (runRefused), as is a prompt longer than the model's context (runContextRefused).
    /// `variant`: a what-if run (docs/VARIANTS.md) instead of the model's own attention. Besides the attention
    /// maps the run captures what the model produces of a differential head's second and combined maps, λ, and
    /// learned-sink probabilities (the differential and sink views).
    quint64 run(OpenedModelPtr model, const QString& text, CaptureMaskPtr capture = nullptr,
                std::optional<AttentionSpec> variant = std::nullopt);
    /// The same with a mode, beyond-context permission, the up-front confirmation of long runs and the variant
    /// (RunOptions).
    quint64 run(OpenedModelPtr model, const QString& text, CaptureMaskPtr capture, const RunOptions& options);
    /// Throughputs measured by the finished runs (the long-run estimate divides by them).
    const RunCostModel& costModel() const { return m_cost; }
    void cancelRun();
    /// Runs the baseline and the variants over the text (core/session/compare_run.h) on the compute thread,
    /// keeping every layer's maps when they fit in a quarter of mapMemoryBudget(), else those of `layer` only.
    /// A newer compare supersedes (and cancels) the current one; runs and compares do not cancel each other.
    /// Implemented in session_bridge_compare.cpp.
    quint64 compare(OpenedModelPtr model, const QString& text, std::vector<AttentionSpec> variants, int layer,
                    RunMode mode = RunMode::Auto);
    void cancelCompare();
    bool isComparing() const { return m_compareActive; }
    quint64 currentCompare() const { return m_currentCompare; }
    /// Progress of the comparison over all its forwards (baseline, then each variant) and a short text
    /// ("variant 2 / 3 · layer 12 / 30"); 0 and "waiting…" while another request holds the compute thread.
    double compareProgressFraction() const;
    QString compareProgressText() const;

    quint64 currentRun() const { return m_currentRun; }
    bool isRunning() const { return m_runActive; }
    bool isOpening() const { return m_openActive; }
    /// Fraction of the running request (polled by the UI at ~10 Hz) and a short text ("layer 12 / 30").
    double progressFraction() const;
    QString progressText() const;
    QString backendDescription() const;

    /// Bytes a run may take: the engine's default capture budget (80 % of MemAvailable; half of physical memory
    /// when unknown). Up to kLongPromptTokens all T²·layers·heads floats are kept while they fit, so head
    /// switches never recompute; beyond, a long run keeps what recomputes them (docs/LONG-CONTEXT.md).
    quint64 mapMemoryBudget() const;
    /// Replaces the budget (tests; 0 restores the default).
    void setMapMemoryBudget(quint64 bytes) { m_budgetOverride = bytes; }

signals:
    void modelOpened(quint64 generation, attnscope::OpenedModelPtr model);
    void modelFailed(quint64 generation, const QString& path, const QString& message);
    void runStarted(quint64 generation, attnscope::TokenRowsPtr tokens, int layers, int heads, int kvHeads,
                    attnscope::CaptureMaskPtr captured);
    void layerReady(quint64 generation, attnscope::LayerMapsPtr maps);
    void runFinished(quint64 generation, const attnscope::RunSummary& summary);
    void runCancelled(quint64 generation);
    void runFailed(quint64 generation, const QString& message);
    void runRefused(quint64 generation, const attnscope::CaptureRefusal& refusal);
    /// A run of more than kLongPromptTokens posted with confirmLong stopped after its estimate: run it again
    /// with plan.options (confirmLong false) once the user agrees.
    void runNeedsConfirmation(quint64 generation, const attnscope::RunPlan& plan);
    void runContextRefused(quint64 generation, const attnscope::ContextRefusal& refusal);
    void compareFinished(quint64 generation, attnscope::CompareOutcomePtr outcome);
    void compareCancelled(quint64 generation);
    void compareFailed(quint64 generation, const QString& message);

private:
    template <typename F> void toUi(F&& f);

    std::unique_ptr<ComputeSession> m_session;
    quint64 m_currentRun = 0;
    quint64 m_currentOpen = 0;
    bool m_runActive = false;
    bool m_openActive = false;
    quint64 m_budgetOverride = 0;
    RunCostModel m_cost;
    quint64 m_currentCompare = 0;
    bool m_compareActive = false;
};

/// "format error: file: field: reason" for dialogs and the status bar.
QString describeError(const class Error& e);

} // namespace attnscope

Q_DECLARE_METATYPE(attnscope::OpenedModelPtr)
Q_DECLARE_METATYPE(attnscope::LayerMapsPtr)
Q_DECLARE_METATYPE(attnscope::TokenRowsPtr)
Q_DECLARE_METATYPE(attnscope::RunSummary)
Q_DECLARE_METATYPE(attnscope::CaptureMaskPtr)
Q_DECLARE_METATYPE(attnscope::CaptureRefusal)
Q_DECLARE_METATYPE(attnscope::RunPlan)
Q_DECLARE_METATYPE(attnscope::ContextRefusal)
