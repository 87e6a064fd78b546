// The compute thread (docs/ENGINE.md "Runs"): one std::jthread with a request queue that owns the BackendSet.
// Front ends post work lambdas; each request gets a generation number and exactly one terminal outcome
// (finished | cancelled | failed(Error)), reported through its completion callback on the session thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend_set.h"
#include "core/session/progress.h"
#include "core/util/error.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

namespace attnscope {

/// What a running request may use. Lives on the session thread for the duration of the work call.
struct RequestContext {
    uint64_t generation = 0;
    std::stop_token stop;          // check it between units of work; runForward takes it directly
    Progress* progress = nullptr;  // the session's progress, reset to Idle before every request
    BackendSet* backends = nullptr; // the session's backends (null when the session was built without any)

    /// Throws Error(Cancelled) when a stop was requested: a convenience for work lambdas.
    void throwIfStopped() const;
};

enum class Outcome { Finished, Cancelled, Failed };
const char* outcomeName(Outcome o);

struct RequestResult {
    uint64_t generation = 0;
    std::string tag;               // empty for untagged requests
    Outcome outcome = Outcome::Finished;
    std::optional<Error> error;    // set when outcome == Failed
};

class ComputeSession {
public:
    /// The work of a request. Runs on the session thread. Throwing Error(Cancelled), or returning after the
    /// request's stop was requested, ends it as cancelled; any other exception ends it as failed
    /// (std::bad_alloc becomes Error(Resource, "out of memory")).
    using Work = std::function<void(RequestContext&)>;
    /// Called exactly once per request, on the session thread, after the work (or instead of it when the
    /// request was dropped or cancelled before it started). Must not block for long: it delays the queue.
    using Completion = std::function<void(const RequestResult&)>;

    /// `backends` may be null (tests, or a front end that only tokenises). Starts the thread.
    explicit ComputeSession(std::unique_ptr<BackendSet> backends = nullptr);
    /// Cancels the running request, reports every queued one as cancelled, then joins the thread.
    ~ComputeSession();
    ComputeSession(const ComputeSession&) = delete;
    ComputeSession& operator=(const ComputeSession&) = delete;

    /// Queues work; returns its generation number (strictly increasing, starting at 1). Any thread.
    uint64_t post(Work work, Completion done = {});
    /// As post, but a newer request with the same tag supersedes this one: a queued request with the tag is
    /// dropped (reported as cancelled without running) and a running one is asked to stop. Any thread.
    uint64_t postTagged(const std::string& tag, Work work, Completion done = {});
    /// Asks the request with this generation to stop (queued: dropped; running: stop requested). Any thread.
    void cancel(uint64_t generation);
    /// Cancels every queued and running request. Any thread.
    void cancelAll();

    /// Progress of the running request; poll it from any thread (~10 Hz).
    const Progress& progress() const { return m_progress; }
    /// Generation of the request running now, 0 when idle. Any thread.
    uint64_t runningGeneration() const;
    /// True when nothing is queued or running. Any thread.
    bool idle() const;
    /// Blocks until idle() or the timeout passes; returns idle(). Never call it from a UI thread.
    bool waitIdle(int timeoutMs);
    /// The session's backend description ("cpu: 2 threads, …"), or "none". Any thread (immutable).
    const std::string& backendDescription() const { return m_backendDescription; }

private:
    struct Request {
        uint64_t generation = 0;
        std::string tag;
        Work work;
        Completion done;
        std::stop_source stop;
    };

    void loop(std::stop_token threadStop);
    void runOne(Request& r);
    uint64_t enqueue(const std::string& tag, Work work, Completion done);

    std::unique_ptr<BackendSet> m_backends;
    std::string m_backendDescription;
    Progress m_progress;

    mutable std::mutex m_mutex;
    std::condition_variable_any m_wake;
    std::condition_variable m_idle;
    std::deque<Request> m_queue;
    uint64_t m_runningGeneration = 0;   // the request being executed, 0 when none
    std::string m_runningTag;
    std::stop_source m_runningStop;     // shares state with the running request's source
    uint64_t m_nextGeneration = 1;
    std::jthread m_thread;              // declared last: it starts after every member above exists
};

} // namespace attnscope
