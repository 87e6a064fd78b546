// ComputeSession: the queue, supersession by tag and the one-outcome-per-request contract.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/compute_session.h"
#include "core/formats/json_strict.h"

#include <chrono>
#include <new>

namespace attnscope {

void RequestContext::throwIfStopped() const
{
    if (stop.stop_requested())
        throw Error(ErrorKind::Cancelled, "", "", -1, "cancelled");
}

const char* outcomeName(Outcome o)
{
    switch (o) {
    case Outcome::Finished: return "finished";
    case Outcome::Cancelled: return "cancelled";
    case Outcome::Failed: return "failed";
    }
    return "?";
}

ComputeSession::ComputeSession(std::unique_ptr<BackendSet> backends)
    : m_backends(std::move(backends))
{
    m_backendDescription = m_backends ? m_backends->primary->description() : std::string("none");
    if (m_backends && !m_backends->notes.empty())
        m_backendDescription += " (" + m_backends->notes + ")";
    m_thread = std::jthread([this](std::stop_token st) { loop(st); });
}

ComputeSession::~ComputeSession()
{
    cancelAll();
    m_thread.request_stop();   // wakes the condition variable through its stop token
    m_thread.join();
}

uint64_t ComputeSession::post(Work work, Completion done)
{
    return enqueue({}, std::move(work), std::move(done));
}

uint64_t ComputeSession::postTagged(const std::string& tag, Work work, Completion done)
{
    return enqueue(tag, std::move(work), std::move(done));
}

uint64_t ComputeSession::enqueue(const std::string& tag, Work work, Completion done)
{
    std::lock_guard lock(m_mutex);
    if (!tag.empty()) {
        // Superseded requests stay in the queue with their stop requested: the worker reports them as
        // cancelled on its own thread, so every completion runs on the session thread, in order.
        for (Request& q : m_queue)
            if (q.tag == tag)
                q.stop.request_stop();
        if (m_runningGeneration != 0 && m_runningTag == tag)
            m_runningStop.request_stop();
    }
    Request r;
    r.generation = m_nextGeneration++;
    r.tag = tag;
    r.work = std::move(work);
    r.done = std::move(done);
    const uint64_t gen = r.generation;
    m_queue.push_back(std::move(r));
    m_wake.notify_all();
    return gen;
}

void ComputeSession::cancel(uint64_t generation)
{
    std::lock_guard lock(m_mutex);
    for (Request& q : m_queue)
        if (q.generation == generation)
            q.stop.request_stop();
    if (m_runningGeneration == generation && generation != 0)
        m_runningStop.request_stop();
}

void ComputeSession::cancelAll()
{
    std::lock_guard lock(m_mutex);
    for (Request& q : m_queue)
        q.stop.request_stop();
    if (m_runningGeneration != 0)
        m_runningStop.request_stop();
}

uint64_t ComputeSession::runningGeneration() const
{
    std::lock_guard lock(m_mutex);
    return m_runningGeneration;
}

bool ComputeSession::idle() const
{
    std::lock_guard lock(m_mutex);
    return m_queue.empty() && m_runningGeneration == 0;
}

bool ComputeSession::waitIdle(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                           [this] { return m_queue.empty() && m_runningGeneration == 0; });
}

void ComputeSession::loop(std::stop_token threadStop)
{
    for (;;) {
        Request r;
        {
            std::unique_lock lock(m_mutex);
            // After the thread's stop the loop still drains the queue: every request gets its outcome.
            m_wake.wait(lock, threadStop, [this] { return !m_queue.empty(); });
            if (m_queue.empty())
                return;
            r = std::move(m_queue.front());
            m_queue.pop_front();
            m_runningGeneration = r.generation;
            m_runningTag = r.tag;
            m_runningStop = r.stop;
        }
        runOne(r);
        {
            std::lock_guard lock(m_mutex);
            m_runningGeneration = 0;
            m_runningTag.clear();
            m_runningStop = std::stop_source(std::nostopstate);
            if (m_queue.empty())
                m_idle.notify_all();
        }
    }
}

void ComputeSession::runOne(Request& r)
{
    RequestResult result;
    result.generation = r.generation;
    result.tag = r.tag;
    if (r.stop.stop_requested()) {
        result.outcome = Outcome::Cancelled;   // dropped before it started
    } else {
        m_progress.subDone.store(0);
        m_progress.subTotal.store(0);
        m_progress.set(Stage::Idle, 0, 0);
        RequestContext ctx;
        ctx.generation = r.generation;
        ctx.stop = r.stop.get_token();
        ctx.progress = &m_progress;
        ctx.backends = m_backends.get();
        try {
            if (r.work)
                r.work(ctx);
            // A stop that arrived while the work was finishing still wins: the caller was told it cancelled,
            // so it must never see "finished" afterwards (docs/ENGINE.md "Runs").
            result.outcome = r.stop.stop_requested() ? Outcome::Cancelled : Outcome::Finished;
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Cancelled || r.stop.stop_requested()) {
                result.outcome = Outcome::Cancelled;
            } else {
                result.outcome = Outcome::Failed;
                result.error = e;
            }
        } catch (const std::bad_alloc&) {
            result.outcome = Outcome::Failed;
            result.error = Error(ErrorKind::Resource, "", "", -1, "out of memory");
        } catch (const nlohmann::json::exception& e) {
            // A JSON value of a type a reader did not check: worded in our terms, not the library's.
            result.outcome = Outcome::Failed;
            result.error = Error(ErrorKind::Format, "", "", -1, "unexpected value in a JSON file: " + describeJsonError(e.what()));
        } catch (const std::exception& e) {
            result.outcome = Outcome::Failed;
            result.error = Error(ErrorKind::Internal, "", "", -1, e.what());
        }
        m_progress.set(Stage::Done, m_progress.done.load(), m_progress.total.load());
    }
    // The work's captures (possibly large results) are released before the completion reports.
    r.work = nullptr;
    if (r.done) {
        try {
            r.done(result);
        } catch (...) {
            // A throwing completion must not take the compute thread down; the outcome was delivered.
        }
    }
}

} // namespace attnscope
