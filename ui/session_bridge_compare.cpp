// SessionBridge: comparison runs (baseline + what-if variants, core/session/compare_run.h) on the compute thread,
// delivered to the UI thread as one immutable CompareOutcome.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_bridge.h"

#include "core/session/compute_session.h"
#include "core/util/error.h"

#include <QMetaObject>
#include <QPointer>

#include <algorithm>

namespace attnscope {

namespace {

/// Runs f(bridge) on the UI thread if the bridge still exists (called on the compute thread).
template <typename F>
void deliver(SessionBridge* bridge, F&& f)
{
    QPointer<SessionBridge> self(bridge);
    QMetaObject::invokeMethod(
        bridge, [self, f = std::forward<F>(f)]() mutable { if (self) f(*self); }, Qt::QueuedConnection);
}

} // namespace

quint64 SessionBridge::compare(OpenedModelPtr model, const QString& text, std::vector<AttentionSpec> variants, int layer,
                               RunMode mode)
{
    if (!model || !model->model)
        return 0;
    qRegisterMetaType<CompareOutcomePtr>();
    m_compareActive = true;
    const quint64 budget = mapMemoryBudget();
    auto outcome = std::make_shared<CompareOutcome>();
    outcome->text = text;
    outcome->modelPath = model->path;
    CompareRequest request;
    request.base.text = text.toStdString();
    request.base.memoryBudgetBytes = budget;
    request.base.capture.logits = CaptureSpec::Logits::None;
    request.variants = std::move(variants);
    const quint64 gen = m_session->postTagged(
        "compare",
        [this, model, request, outcome, budget, layer, mode](RequestContext& ctx) mutable {
            if (!ctx.backends)
                throw Error(ErrorKind::Internal, "", "backend", -1, "no compute backend was configured");
            const std::shared_ptr<const LoadedModel> lm = model->model;
            const ModelConfig& cfg = lm->config();
            // Which maps to keep: every layer's when the baseline's and every variant's fit in a quarter of the
            // budget (switching layers then needs no recompute), else the selected layer's heads only.
            std::vector<std::string> notes;
            const int64_t t = static_cast<int64_t>(tokenizeAndCheck(*lm, request.base, notes).size());
            const double mapBytes = double(t) * double(t) * sizeof(float) * double(cfg.nLayers) * double(cfg.nHeads) *
                                    double(1 + request.variants.size());
            if (mode == RunMode::Long ||
                (mode == RunMode::Auto && prefersLongCompare(t, cfg, request.variants.size(), budget))) {
                // A long prompt (docs/LONG-CONTEXT.md): no T × T map is formed, not even to score the variants;
                // the numbers and the KL curve need only the logits. The panes draw the grids pooled to ≤ 256²
                // while each run streamed, for every head of the selected layer (2 · heads · 256² floats a run;
                // every layer's would be layers times that).
                const int l = std::clamp(layer, 0, std::max(0, cfg.nLayers - 1));
                request.longPrompt = true;
                request.base.capture.heads = CaptureSpec::Heads::Layers;
                request.base.capture.layers = {l};
                request.base.capture.quantities = {Quantity::CoarseMax, Quantity::CoarseMean};
                outcome->longPrompt = true;
                outcome->capturedLayers = {l};
            } else if (mapBytes <= double(budget) / 4) {
                request.base.capture.heads = CaptureSpec::Heads::All;
                outcome->allLayers = true;
            } else {
                const int l = std::clamp(layer, 0, std::max(0, cfg.nLayers - 1));
                request.base.capture.heads = CaptureSpec::Heads::Layers;
                request.base.capture.layers = {l};
                outcome->capturedLayers = {l};
            }
            ctx.throwIfStopped();
            auto result = std::make_shared<CompareResult>(executeCompare(lm, *ctx.backends, request, ctx.progress, ctx.stop));
            outcome->tokens = makeTokenRows(lm->tokenizer(), result->tokens);
            outcome->result = std::move(result);
        },
        [this, outcome](const RequestResult& r) {
            const quint64 g = r.generation;
            const Outcome o = r.outcome;
            const QString message = r.error ? describeError(*r.error) : QString();
            deliver(this, [g, o, message, outcome](SessionBridge& b) {
                if (g != b.m_currentCompare)
                    return;   // superseded: the newer compare reports for itself
                b.m_compareActive = false;
                if (o == Outcome::Finished)
                    emit b.compareFinished(g, CompareOutcomePtr(outcome));
                else if (o == Outcome::Cancelled)
                    emit b.compareCancelled(g);
                else
                    emit b.compareFailed(g, message);
            });
        });
    m_currentCompare = gen;
    return gen;
}

void SessionBridge::cancelCompare()
{
    if (m_currentCompare != 0 && m_compareActive)
        m_session->cancel(m_currentCompare);
}

double SessionBridge::compareProgressFraction() const
{
    if (!m_compareActive || m_session->runningGeneration() != m_currentCompare)
        return 0.0;
    const Progress& p = m_session->progress();
    const int64_t runs = p.subTotal.load();
    if (runs <= 0)
        return 0.0;
    // Each forward is one stage of the whole: the baseline, then every variant.
    const double within = p.currentStage() == Stage::Layer ? p.fraction() : 0.0;
    return std::clamp((double(p.subDone.load()) + within) / double(runs), 0.0, 1.0);
}

QString SessionBridge::compareProgressText() const
{
    if (!m_compareActive)
        return {};
    if (m_session->runningGeneration() != m_currentCompare)
        return tr("waiting for the compute thread…");
    const Progress& p = m_session->progress();
    const int64_t runs = p.subTotal.load(), done = p.subDone.load();
    if (runs <= 0)
        return QString::fromUtf8(stageName(p.currentStage()));
    const QString which = done == 0 ? tr("baseline") : tr("variant %1 / %2").arg(done).arg(runs - 1);
    if (p.currentStage() == Stage::Layer)
        return tr("%1 · layer %2 / %3").arg(which).arg(p.done.load()).arg(p.total.load());
    return which;
}

} // namespace attnscope
