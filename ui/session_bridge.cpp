// SessionBridge: request building (open, run) on the compute thread and delivery to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_bridge.h"

#include "core/backend/backend_set.h"
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
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

namespace {

QStringList topNextTokens(const Tokenizer& tok, const std::vector<float>& logits, int k)
{
    QStringList out;
    if (logits.empty())
        return out;
    const double mx = *std::max_element(logits.begin(), logits.end());
    double z = 0;
    for (float l : logits)
        z += std::exp(static_cast<double>(l) - mx);
    std::vector<int32_t> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min<int>(k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int32_t a, int32_t b) { return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)]; });
    for (int i = 0; i < k; ++i) {
        const int32_t id = idx[static_cast<size_t>(i)];
        out << QStringLiteral("%1 %2").arg(QString::fromStdString(tok.tokenDisplay(id)))
                   .arg(std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - mx) / z, 0, 'f', 2);
    }
    return out;
}

} // namespace

quint64 SessionBridge::run(OpenedModelPtr model, const QString& text, CaptureMaskPtr capture)
{
    if (!model || !model->model)
        return 0;
    m_runActive = true;
    const std::string utf8 = text.toStdString();
    auto summary = std::make_shared<RunSummary>();
    auto refusal = std::make_shared<CaptureRefusal>();
    const quint64 budget = mapMemoryBudget();
    quint64 gen = m_session->postTagged(
        "run",
        [this, model, utf8, text, summary, refusal, capture, budget](RequestContext& ctx) {
            const LoadedModel& lm = *model->model;
            const ModelConfig& cfg = lm.config();
            const int layers = cfg.nLayers, heads = cfg.nHeads, kvHeads = cfg.nKvHeads;
            const size_t cells = static_cast<size_t>(layers) * static_cast<size_t>(heads);
            const CaptureMaskPtr mask = capture && capture->size() == cells ? capture : nullptr;
            const int captured = mask ? static_cast<int>(std::count(mask->begin(), mask->end(), uint8_t(1)))
                                      : static_cast<int>(cells);
            ctx.progress->set(Stage::Tokenising, 0, 1);
            const TokenizedText tt = lm.tokenizer().encode(utf8, true);
            if (tt.ids.empty())
                throw Error(ErrorKind::Usage, "", "prompt", -1, "the prompt is empty: type some text first");
            const auto t = static_cast<int64_t>(tt.ids.size());
            const uint64_t bytes = captureBytes(t, static_cast<uint64_t>(captured));
            if (budget != 0 && bytes > budget) {
                CaptureRefusal& r = *refusal;
                r.text = text;
                r.tokens = t;
                r.layers = layers;
                r.heads = heads;
                r.capturedHeads = captured;
                r.neededBytes = bytes;
                r.budgetBytes = budget;
                r.maxTokensAllHeads = maxTokensWithinBudget(budget, static_cast<uint64_t>(captured));
                r.maxHeads = maxHeadsWithinBudget(budget, t);
                r.message = QStringLiteral("out of memory: %1 tokens need %2 for %3 attention maps, over the %4 budget "
                                           "(80% of available memory). Up to %5 tokens fit with these heads, or %6 "
                                           "heads' maps at this length: shorten the text or capture a subset.")
                                .arg(t).arg(QString::fromStdString(formatBytes(bytes))).arg(captured)
                                .arg(QString::fromStdString(formatBytes(budget))).arg(r.maxTokensAllHeads)
                                .arg(r.maxHeads);
                throw Error(ErrorKind::Resource, "", "prompt", -1, r.message.toStdString());
            }
            TokenRowsPtr rows = makeTokenRows(lm.tokenizer(), tt);
            const quint64 g = ctx.generation;
            toUi([g, rows, layers, heads, kvHeads, mask](SessionBridge& b) {
                if (g == b.m_currentRun)
                    emit b.runStarted(g, rows, layers, heads, kvHeads, mask);
            });

            CaptureSpec spec;
            spec.logits = CaptureSpec::Logits::Last;
            // How many heads of each layer to wait for before the layer is handed over.
            std::vector<int> expected(static_cast<size_t>(layers), heads);
            if (mask) {
                spec.heads = CaptureSpec::Heads::Selected;
                for (int l = 0; l < layers; ++l) {
                    expected[static_cast<size_t>(l)] = 0;
                    for (int h = 0; h < heads; ++h)
                        if ((*mask)[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)]) {
                            spec.selected.insert({l, h});
                            ++expected[static_cast<size_t>(l)];
                        }
                }
            } else {
                spec.heads = CaptureSpec::Heads::All;
            }
            CollectingObserver obs(spec);
            auto pending = std::make_shared<LayerMaps>();
            int pendingCount = 0;
            std::stop_token stop = ctx.stop;
            obs.attentionCallback = [this, g, heads, &pending, &pendingCount, &expected, stop](const AttentionMapPtr& m) {
                if (pending->heads.empty())
                    pending->heads.resize(static_cast<size_t>(heads));
                pending->layer = m->layer;
                pending->heads[static_cast<size_t>(m->head)] = m;
                if (++pendingCount >= expected[static_cast<size_t>(m->layer)]) {
                    LayerMapsPtr done = std::move(pending);
                    pending = std::make_shared<LayerMaps>();
                    pendingCount = 0;
                    toUi([g, done](SessionBridge& b) {
                        if (g == b.m_currentRun)
                            emit b.layerReady(g, done);
                    });
                }
                return !stop.stop_requested();
            };
            ForwardOptions opts;
            opts.progress = ctx.progress;
            opts.stop = ctx.stop;
            opts.captureBudgetBytes = std::max<uint64_t>(budget, bytes);   // checked above against this budget
            if (!ctx.backends)
                throw Error(ErrorKind::Internal, "", "backend", -1, "no compute backend was configured");
            BackendSet& be = *ctx.backends;
            const ForwardTimings ft = runForward(lm, be.main(), be.fallback(), tt.ids, obs, opts);
            summary->tokens = static_cast<qint64>(tt.ids.size());
            summary->forwardMs = ft.totalMs;
            summary->firstLayerMs = ft.firstLayerMapsMs;
            if (!obs.logits().empty())
                summary->topNext = topNextTokens(lm.tokenizer(), obs.logits().front().second, 5);
        },
        [this, summary, refusal](const RequestResult& r) {
            const quint64 g = r.generation;
            const Outcome o = r.outcome;
            const QString message = r.error ? describeError(*r.error) : QString();
            const bool refused = o == Outcome::Failed && refusal->tokens > 0;
            toUi([g, o, message, summary, refusal, refused](SessionBridge& b) {
                if (g != b.m_currentRun)
                    return;   // superseded: the newer run reports for itself
                b.m_runActive = false;
                if (o == Outcome::Finished)
                    emit b.runFinished(g, *summary);
                else if (o == Outcome::Cancelled)
                    emit b.runCancelled(g);
                else if (refused)
                    emit b.runRefused(g, *refusal);
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
