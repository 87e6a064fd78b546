// SessionBridge: request building (open, run) on the compute thread and delivery to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_bridge.h"

#include "core/backend/backend_set.h"
#include "core/model/weight_store.h"
#include "core/session/run_request.h"
#include "core/session/compute_session.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <QMetaObject>
#include <QPointer>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unistd.h>

namespace attnscope {

QString describeError(const Error& e)
{
    return QStringLiteral("%1 error: %2").arg(QString::fromUtf8(errorKindName(e.kind())), QString::fromUtf8(e.what()));
}

SessionBridge::SessionBridge(std::unique_ptr<BackendSet> backends, QObject* parent)
    : QObject(parent)
    , m_session(std::make_unique<ComputeSession>(std::move(backends)))
{
    qRegisterMetaType<OpenedModelPtr>();
    qRegisterMetaType<LayerMapsPtr>();
    qRegisterMetaType<TokenRowsPtr>();
    qRegisterMetaType<RunSummary>();
    qRegisterMetaType<CaptureMaskPtr>();
    qRegisterMetaType<CaptureRefusal>();
    qRegisterMetaType<RunPlan>();
    qRegisterMetaType<ContextRefusal>();
}

SessionBridge::~SessionBridge()
{
    // Joins the compute thread; callbacks it still delivers are queued to a dying object and dropped.
    m_session.reset();
}

template <typename F>
void SessionBridge::toUi(F&& f)
{
    // Called on the compute thread. The QPointer makes a late delivery after the bridge died a no-op.
    QPointer<SessionBridge> self(this);
    QMetaObject::invokeMethod(
        this, [self, f = std::forward<F>(f)]() mutable { if (self) f(*self); }, Qt::QueuedConnection);
}

quint64 SessionBridge::mapMemoryBudget() const
{
    if (m_budgetOverride)
        return m_budgetOverride;
    if (const uint64_t core = defaultCaptureBudgetBytes())   // 80 % of MemAvailable, as the engine uses
        return core;
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0)
        return 4ull << 30;
    return static_cast<quint64>(pages) * static_cast<quint64>(pageSize) / 2;
}

QString SessionBridge::backendDescription() const
{
    return QString::fromStdString(m_session->backendDescription());
}

double SessionBridge::progressFraction() const
{
    return m_session->progress().fraction();
}

QString SessionBridge::progressText() const
{
    const Progress& p = m_session->progress();
    const Stage s = p.currentStage();
    if (s == Stage::Layer)
        return QStringLiteral("layer %1 / %2").arg(p.done.load()).arg(p.total.load());
    return QString::fromUtf8(stageName(s));
}

quint64 SessionBridge::openModel(const QString& path)
{
    m_openActive = true;
    const std::string p = path.toStdString();
    quint64 gen = 0;
    gen = m_session->postTagged(
        "model",
        [this, p, path](RequestContext& ctx) {
            ctx.progress->set(Stage::Opening, 0, 1);
            auto opened = std::make_shared<OpenedModel>();
            opened->model = LoadedModel::open(p);
            ctx.throwIfStopped();
            opened->info = describeModel(*opened->model);
            opened->path = path;
            opened->backend = QString::fromStdString(m_session->backendDescription());
            const quint64 g = ctx.generation;
            toUi([g, opened](SessionBridge& b) {
                if (g != b.m_currentOpen)
                    return;   // a newer open superseded this one
                b.m_openActive = false;
                emit b.modelOpened(g, opened);
            });
        },
        [this, path](const RequestResult& r) {
            if (r.outcome == Outcome::Finished)
                return;
            const QString message = r.outcome == Outcome::Failed ? describeError(*r.error) : QStringLiteral("cancelled");
            const quint64 g = r.generation;
            toUi([g, path, message](SessionBridge& b) {
                if (g != b.m_currentOpen)
                    return;
                b.m_openActive = false;
                emit b.modelFailed(g, path, message);
            });
        });
    m_currentOpen = gen;
    return gen;
}

quint64 SessionBridge::run(OpenedModelPtr model, const QString& text, CaptureMaskPtr capture,
                           std::optional<AttentionSpec> variant)
{
    RunOptions options;
    options.variant = std::move(variant);
    return run(std::move(model), text, std::move(capture), options);
}

quint64 SessionBridge::run(OpenedModelPtr model, const QString& text, CaptureMaskPtr capture, const RunOptions& options)
{
    if (!model || !model->model)
        return 0;
    m_runActive = true;
    auto summary = std::make_shared<RunSummary>();
    auto refusal = std::make_shared<CaptureRefusal>();
    auto plan = std::make_shared<RunPlan>();
    auto contextRefusal = std::make_shared<ContextRefusal>();
    const quint64 budget = mapMemoryBudget();
    const RunCostModel cost = m_cost;   // the throughputs measured so far, for the estimate
    RunRequest request;
    request.text = text.toStdString();
    request.capture.logits = CaptureSpec::Logits::Last;
    request.topK = 5;
    request.memoryBudgetBytes = budget;
    request.beyondContext = options.beyondContext;
    request.variant = options.variant;
    // Quantities a model does not produce cost nothing (never allocated, not counted in the estimate).
    request.capture.quantities = {Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined,
                                  Quantity::Lambda, Quantity::SinkProb};
    quint64 gen = m_session->postTagged(
        "run",
        [this, model, request, text, summary, refusal, plan, contextRefusal, capture, budget, options, cost](RequestContext& ctx) mutable {
            if (!ctx.backends)
                throw Error(ErrorKind::Internal, "", "backend", -1, "no compute backend was configured");
            const std::shared_ptr<const LoadedModel> lm = model->model;
            const ModelConfig& cfg = lm->config();
            const int layers = cfg.nLayers, heads = cfg.nHeads;
            const size_t cells = static_cast<size_t>(layers) * static_cast<size_t>(heads);
            const CaptureMaskPtr mask = capture && capture->size() == cells ? capture : nullptr;
            if (mask) {
                request.capture.heads = CaptureSpec::Heads::Selected;
                for (int l = 0; l < layers; ++l)
                    for (int h = 0; h < heads; ++h)
                        if ((*mask)[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)])
                            request.capture.selected.insert({l, h});
            } else {
                request.capture.heads = CaptureSpec::Heads::All;
            }
            // Gates, when the model has them (the Gates view; a few floats per head and token).
            if (cfg.outputGate != OutputGate::None)
                request.capture.quantities.insert({Quantity::Gate, Quantity::AttnOutNormPre, Quantity::AttnOutNormPost});
            if (cfg.anyLayer(TokenMixer::GatedDeltaNet))
                request.capture.quantities.insert({Quantity::DeltaBeta, Quantity::DeltaDecay, Quantity::DeltaOutputGate});
            std::vector<std::string> notes;
            TokenizedText tt;
            try {
                tt = tokenizeAndCheck(*lm, request, notes);
            } catch (const Error& e) {
                // Over the context: say so with the numbers, and whether the model can run beyond it on purpose.
                const int64_t n = static_cast<int64_t>(lm->tokenizer().encode(request.text, request.addSpecial).size());
                if (e.kind() == ErrorKind::Usage && cfg.contextLength > 0 && n > cfg.contextLength && !request.beyondContext) {
                    ContextRefusal& c = *contextRefusal;
                    c.text = text;
                    c.capture = capture;
                    c.options = options;
                    c.tokens = n;
                    c.contextLength = cfg.contextLength;
                    c.canExtrapolate = cfg.position != PositionKind::Learned;
                    c.message = describeError(e);
                }
                throw;
            }
            const int64_t t = static_cast<int64_t>(tt.ids.size());
            std::vector<OpKind> ops = extraOps(request);
            for (OpKind k : modelOps(cfg))
                ops.push_back(k);
            Backend& backend = ctx.backends->runBackend(nullptr, ops);
            WeightStore& weights = ctx.backends->weightsFor(lm, backend);
            const uint64_t toConvert = weights.resident() ? weights.modelBytes() - weights.heldBytes() : 0;
            // The engine's one memory estimate for both ways of keeping the attention, checked here first so a
            // refusal can offer what would fit. A long run keeps no map of any kind but what recomputes them; the
            // gates stay either way.
            const CaptureSpec mapsSpec = request.capture, longSpec = longRunCapture(request.capture);
            const MemoryEstimate eMaps = estimateRun(*lm, t, mapsSpec, budget, toConvert, backend.threads());
            const MemoryEstimate eLong = estimateRun(*lm, t, longSpec, budget, toConvert, backend.threads());
            const bool longMode = options.mode == RunMode::Long ||
                                  (options.mode == RunMode::Auto && !mask && prefersLongRun(t, eMaps));
            const MemoryEstimate& e = longMode ? eLong : eMaps;
            if (!e.fits()) {
                CaptureRefusal& r = *refusal;
                r.text = text;
                r.tokens = t;
                r.layers = layers;
                r.heads = heads;
                // Heads, not maps: a differential head keeps three maps (A1, A2, A1 − λ·A2).
                const int64_t askedHeads = std::max<int64_t>(1, mapsSpec.headCount(layers, heads));
                r.capturedHeads = static_cast<int>(askedHeads);
                r.neededBytes = eMaps.total();
                r.budgetBytes = budget;
                r.maxTokensAllHeads = maxTokensThatFit(*lm, mapsSpec, budget, toConvert, backend.threads());
                const uint64_t perHead = eMaps.captureBytes / static_cast<uint64_t>(askedHeads);
                const uint64_t rest = eMaps.total() - eMaps.captureBytes;
                r.maxHeads = budget > rest ? static_cast<int>(std::min<uint64_t>((budget - rest) / std::max<uint64_t>(perHead, 1), cells)) : 0;
                r.longNeededBytes = eLong.total();
                r.maxTokensLong = maxTokensThatFit(*lm, longSpec, budget, toConvert, backend.threads());
                r.message = QStringLiteral("out of memory: %1. Up to %2 tokens fit with these heads, or %3 heads' maps "
                                           "at this length: shorten the text or capture a subset. Without maps (a long "
                                           "run keeping queries, keys and streamed statistics) it needs %4; up to %5 "
                                           "tokens fit that way.")
                                .arg(QString::fromStdString(eMaps.describe())).arg(r.maxTokensAllHeads).arg(r.maxHeads)
                                .arg(QString::fromStdString(formatBytes(eLong.total()))).arg(r.maxTokensLong);
                throw Error(ErrorKind::Resource, "", "prompt", -1, r.message.toStdString());
            }
            request.capture = longMode ? longSpec : mapsSpec;
            if (options.confirmLong && t > kLongPromptTokens) {
                // Stop here with the estimate; the UI asks and posts the run again.
                RunPlan& p = *plan;
                p.text = text;
                p.capture = capture;
                p.options = options;
                p.options.confirmLong = false;
                p.tokens = t;
                p.layers = layers;
                p.heads = heads;
                p.longMode = longMode;
                p.kept = longMode ? QStringLiteral("no maps: each layer's queries and keys, each head's row normalisers, "
                                                   "scores and 256² pooled maps; the views recompute the cells they draw")
                                  : QStringLiteral("every head's full map");
                p.captureBytes = e.captureBytes;
                p.totalBytes = e.total();
                p.budgetBytes = budget;
                p.expectedSeconds = cost.expectedSeconds(cfg, t, longMode);
                p.basis = cost.basis(longMode);
                return;
            }
            const quint64 g = ctx.generation;
            RunStreaming streaming;
            streaming.onStarted = [this, g, lm, mask](const TokenizedText& tokens, const RunShape& shape, const MemoryEstimate&) {
                TokenRowsPtr rows = makeTokenRows(lm->tokenizer(), tokens);
                const int L = shape.layers, H = shape.heads, kv = shape.kvHeads;
                toUi([g, rows, L, H, kv, mask](SessionBridge& b) {
                    if (g == b.m_currentRun)
                        emit b.runStarted(g, rows, L, H, kv, mask);
                });
            };
            std::stop_token stop = ctx.stop;
            streaming.onLayer = [this, g, heads, stop](const LayerCaptures& lc) {
                if (lc.maps.empty() && lc.series.empty())
                    return !stop.stop_requested();   // a layer with nothing captured (a subset run) is not "ready"
                auto done = std::make_shared<LayerMaps>();
                done->layer = lc.layer;
                done->heads.resize(static_cast<size_t>(heads));
                for (const AttentionMapPtr& m : lc.maps)
                    if (m->quantity == Quantity::AttentionProbs && m->head >= 0 && m->head < heads)
                        done->heads[static_cast<size_t>(m->head)] = m;
                done->captures = lc;
                toUi([g, done](SessionBridge& b) {
                    if (g == b.m_currentRun)
                        emit b.layerReady(g, LayerMapsPtr(done));
                });
                return !stop.stop_requested();
            };
            const RunResult r = executeRun(lm, *ctx.backends, request, streaming, ctx.progress, ctx.stop);
            summary->tokens = static_cast<qint64>(r.tokens.size());
            summary->forwardMs = r.timings.totalMs;
            summary->firstLayerMs = r.timings.firstLayerMapsMs;
            summary->longMode = longMode;
            summary->keptBytes = r.captures.bytes();
            summary->timings = r.timings;
            if (!r.logits.empty())
                for (const TopToken& tok : r.logits.front().top)
                    summary->topNext << QStringLiteral("%1 %2").arg(QString::fromStdString(tok.display)).arg(tok.prob, 0, 'f', 2);
            for (const std::string& n : r.notes)
                summary->notes << QString::fromStdString(n);
        },
        [this, model, summary, refusal, plan, contextRefusal](const RequestResult& r) {
            const quint64 g = r.generation;
            const Outcome o = r.outcome;
            const QString message = r.error ? describeError(*r.error) : QString();
            const bool refused = o == Outcome::Failed && refusal->tokens > 0;
            const bool overContext = o == Outcome::Failed && contextRefusal->tokens > 0;
            const bool needsConfirmation = o == Outcome::Finished && plan->tokens > 0;
            toUi([g, o, message, model, summary, refusal, plan, contextRefusal, refused, overContext, needsConfirmation](SessionBridge& b) {
                if (o == Outcome::Finished && !needsConfirmation && summary->tokens > 0)
                    b.m_cost.record(model->model->config(), summary->tokens, summary->longMode, summary->timings);
                if (g != b.m_currentRun)
                    return;   // superseded: the newer run reports for itself
                b.m_runActive = false;
                if (needsConfirmation)
                    emit b.runNeedsConfirmation(g, *plan);
                else if (o == Outcome::Finished)
                    emit b.runFinished(g, *summary);
                else if (o == Outcome::Cancelled)
                    emit b.runCancelled(g);
                else if (refused)
                    emit b.runRefused(g, *refusal);
                else if (overContext)
                    emit b.runContextRefused(g, *contextRefusal);
                else
                    emit b.runFailed(g, message);
            });
        });
    m_currentRun = gen;
    return gen;
}

void SessionBridge::cancelRun()
{
    if (m_currentRun != 0)
        m_session->cancel(m_currentRun);
}

} // namespace attnscope
