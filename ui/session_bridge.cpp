// SessionBridge: request building (open, run) on the compute thread and delivery to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_bridge.h"

#include "core/backend/backend_set.h"
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

quint64 SessionBridge::mapMemoryBudget()
{
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

quint64 SessionBridge::run(OpenedModelPtr model, const QString& text)
{
    if (!model || !model->model)
        return 0;
    m_runActive = true;
    auto summary = std::make_shared<RunSummary>();
    RunRequest request;
    request.text = text.toStdString();
    request.capture.heads = CaptureSpec::Heads::All;
    request.capture.logits = CaptureSpec::Logits::Last;
    request.topK = 5;
    request.memoryBudgetBytes = mapMemoryBudget();
    quint64 gen = m_session->postTagged(
        "run",
        [this, model, request, summary](RequestContext& ctx) {
            if (!ctx.backends)
                throw Error(ErrorKind::Internal, "", "backend", -1, "no compute backend was configured");
            const quint64 g = ctx.generation;
            const std::shared_ptr<const LoadedModel> lm = model->model;
            RunStreaming streaming;
            streaming.onStarted = [this, g, lm](const TokenizedText& tt, const RunShape& shape, const MemoryEstimate&) {
                TokenRowsPtr rows = makeTokenRows(lm->tokenizer(), tt);
                const int layers = shape.layers, heads = shape.heads, kvHeads = shape.kvHeads;
                toUi([g, rows, layers, heads, kvHeads](SessionBridge& b) {
                    if (g == b.m_currentRun)
                        emit b.runStarted(g, rows, layers, heads, kvHeads);
                });
            };
            const int heads = lm->config().nHeads;
            std::stop_token stop = ctx.stop;
            streaming.onLayer = [this, g, heads, stop](const LayerCaptures& lc) {
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
            if (!r.logits.empty())
                for (const TopToken& t : r.logits.front().top)
                    summary->topNext << QStringLiteral("%1 %2").arg(QString::fromStdString(t.display)).arg(t.prob, 0, 'f', 2);
            for (const std::string& n : r.notes)
                summary->notes << QString::fromStdString(n);
        },
        [this, summary](const RequestResult& r) {
            const quint64 g = r.generation;
            const Outcome o = r.outcome;
            const QString message = r.error ? describeError(*r.error) : QString();
            toUi([g, o, message, summary](SessionBridge& b) {
                if (g != b.m_currentRun)
                    return;   // superseded: the newer run reports for itself
                b.m_runActive = false;
                if (o == Outcome::Finished)
                    emit b.runFinished(g, *summary);
                else if (o == Outcome::Cancelled)
                    emit b.runCancelled(g);
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
