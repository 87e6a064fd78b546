// ComputeSession contract: ordering, generations, supersession by tag, cancel, one outcome per request,
// completions on the session thread. Fake work lambdas; no model needed.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/compute_session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace attnscope;
using namespace std::chrono_literals;

namespace {

// Collects outcomes from the session thread.
struct Recorder {
    std::mutex mutex;
    std::vector<RequestResult> results;
    std::map<uint64_t, int> count;
    std::vector<std::thread::id> threads;

    ComputeSession::Completion callback()
    {
        return [this](const RequestResult& r) {
            std::lock_guard lock(mutex);
            results.push_back(r);
            ++count[r.generation];
            threads.push_back(std::this_thread::get_id());
        };
    }
    RequestResult of(uint64_t gen)
    {
        std::lock_guard lock(mutex);
        for (const auto& r : results)
            if (r.generation == gen)
                return r;
        ADD_FAILURE() << "no outcome for generation " << gen;
        return {};
    }
};

// Work that blocks until released or stopped; marks when it starts.
struct Gate {
    std::atomic<bool> started{false};
    std::atomic<bool> release{false};
    ComputeSession::Work work()
    {
        return [this](RequestContext& ctx) {
            started = true;
            while (!release) {
                ctx.throwIfStopped();
                std::this_thread::sleep_for(1ms);
            }
        };
    }
    void waitStarted()
    {
        for (int i = 0; i < 5000 && !started; ++i)
            std::this_thread::sleep_for(1ms);
        ASSERT_TRUE(started.load());
    }
};

} // namespace

TEST(ComputeSession, RunsInOrderWithIncreasingGenerationsOnOneThread)
{
    Recorder rec;
    std::vector<int> order;
    std::thread::id workThread;
    {
        ComputeSession s;
        uint64_t g1 = s.post([&](RequestContext& c) { order.push_back(1); workThread = std::this_thread::get_id(); EXPECT_EQ(c.generation, 1u); }, rec.callback());
        uint64_t g2 = s.post([&](RequestContext&) { order.push_back(2); }, rec.callback());
        uint64_t g3 = s.post([&](RequestContext&) { order.push_back(3); }, rec.callback());
        EXPECT_EQ(g1, 1u);
        EXPECT_EQ(g2, 2u);
        EXPECT_EQ(g3, 3u);
        ASSERT_TRUE(s.waitIdle(5000));
        EXPECT_TRUE(s.idle());
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    ASSERT_EQ(rec.results.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(rec.results[i].generation, i + 1);
        EXPECT_EQ(rec.results[i].outcome, Outcome::Finished);
        EXPECT_EQ(rec.threads[i], workThread);   // completions run on the session thread
    }
    EXPECT_NE(workThread, std::this_thread::get_id());
}

TEST(ComputeSession, FailureCarriesTheError)
{
    Recorder rec;
    ComputeSession s;
    uint64_t g = s.post([](RequestContext&) { throw Error(ErrorKind::Format, "a.gguf", "header", 4, "bad magic"); },
                        rec.callback());
    uint64_t g2 = s.post([](RequestContext&) { throw std::bad_alloc(); }, rec.callback());
    uint64_t g3 = s.post([](RequestContext&) { throw std::runtime_error("boom"); }, rec.callback());
    ASSERT_TRUE(s.waitIdle(5000));
    RequestResult r = rec.of(g);
    EXPECT_EQ(r.outcome, Outcome::Failed);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind(), ErrorKind::Format);
    EXPECT_EQ(r.error->reason(), "bad magic");
    RequestResult r2 = rec.of(g2);
    EXPECT_EQ(r2.outcome, Outcome::Failed);
    EXPECT_EQ(r2.error->kind(), ErrorKind::Resource);
    EXPECT_EQ(rec.of(g3).error->kind(), ErrorKind::Internal);
    // The session keeps working after failures.
    std::atomic<bool> ran{false};
    s.post([&](RequestContext&) { ran = true; });
    ASSERT_TRUE(s.waitIdle(5000));
    EXPECT_TRUE(ran);
}

TEST(ComputeSession, TaggedRequestSupersedesQueuedAndRunning)
{
    Recorder rec;
    ComputeSession s;
    Gate running;
    uint64_t g1 = s.postTagged("run", running.work(), rec.callback());
    running.waitStarted();
    std::atomic<int> queuedRan{0};
    uint64_t g2 = s.postTagged("run", [&](RequestContext&) { ++queuedRan; }, rec.callback());
    uint64_t other = s.postTagged("hover", [&](RequestContext&) {}, rec.callback());
    uint64_t g3 = s.postTagged("run", [&](RequestContext&) {}, rec.callback());
    ASSERT_TRUE(s.waitIdle(5000));
    EXPECT_EQ(rec.of(g1).outcome, Outcome::Cancelled);   // running one asked to stop
    EXPECT_EQ(rec.of(g2).outcome, Outcome::Cancelled);   // queued one dropped without running
    EXPECT_EQ(queuedRan.load(), 0);
    EXPECT_EQ(rec.of(other).outcome, Outcome::Finished); // other tags untouched
    EXPECT_EQ(rec.of(g3).outcome, Outcome::Finished);
    EXPECT_EQ(rec.of(g3).tag, "run");
    for (const auto& [gen, n] : rec.count)
        EXPECT_EQ(n, 1) << "generation " << gen << " reported " << n << " outcomes";
}

TEST(ComputeSession, CancelByGenerationStopsQuickly)
{
    Recorder rec;
    ComputeSession s;
    Gate running;
    uint64_t g = s.post(running.work(), rec.callback());
    running.waitStarted();
    const auto t0 = std::chrono::steady_clock::now();
    s.cancel(g);
    ASSERT_TRUE(s.waitIdle(5000));
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(ms, 250.0);   // docs/ENGINE.md: stop within 250 ms on CPU
    EXPECT_EQ(rec.of(g).outcome, Outcome::Cancelled);
    EXPECT_FALSE(rec.of(g).error.has_value());
}

TEST(ComputeSession, StopDuringTheLastMomentsIsStillCancelled)
{
    // Work that ignores the token and returns normally after the stop: never reported as finished.
    Recorder rec;
    ComputeSession s;
    std::atomic<bool> started{false}, release{false};
    uint64_t g = s.post([&](RequestContext&) {
        started = true;
        while (!release)
            std::this_thread::sleep_for(1ms);
    }, rec.callback());
    while (!started)
        std::this_thread::sleep_for(1ms);
    s.cancel(g);
    release = true;
    ASSERT_TRUE(s.waitIdle(5000));
    EXPECT_EQ(rec.of(g).outcome, Outcome::Cancelled);
}

TEST(ComputeSession, DestructorReportsEveryPendingRequestOnce)
{
    Recorder rec;
    std::vector<uint64_t> gens;
    Gate running;
    {
        ComputeSession s;
        gens.push_back(s.post(running.work(), rec.callback()));
        running.waitStarted();
        for (int i = 0; i < 5; ++i)
            gens.push_back(s.post([](RequestContext&) { FAIL() << "queued work ran after shutdown"; }, rec.callback()));
    }
    ASSERT_EQ(rec.results.size(), gens.size());
    for (uint64_t g : gens) {
        EXPECT_EQ(rec.count[g], 1);
        EXPECT_EQ(rec.of(g).outcome, Outcome::Cancelled);
    }
}

TEST(ComputeSession, ProgressIsResetPerRequestAndVisibleFromOtherThreads)
{
    ComputeSession s;
    std::atomic<bool> seen{false}, release{false};
    s.post([&](RequestContext& ctx) {
        ASSERT_NE(ctx.progress, nullptr);
        EXPECT_EQ(ctx.progress->currentStage(), Stage::Idle);
        ctx.progress->set(Stage::Layer, 3, 30);
        while (!release)
            std::this_thread::sleep_for(1ms);
    });
    for (int i = 0; i < 5000 && !seen; ++i) {
        seen = s.progress().currentStage() == Stage::Layer && s.progress().done.load() == 3;
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(seen.load());
    EXPECT_NEAR(s.progress().fraction(), 0.1, 1e-9);
    EXPECT_NE(s.runningGeneration(), 0u);
    release = true;
    ASSERT_TRUE(s.waitIdle(5000));
    EXPECT_EQ(s.runningGeneration(), 0u);
    EXPECT_EQ(s.backendDescription(), "none");
}

TEST(ComputeSession, CompletionMayPostFollowUpWork)
{
    // The GUI chains "open model" -> "run" from a completion; posting from the session thread must not deadlock.
    ComputeSession s;
    std::atomic<bool> second{false};
    s.post([](RequestContext&) {}, [&](const RequestResult&) { s.post([&](RequestContext&) { second = true; }); });
    for (int i = 0; i < 5000 && !second; ++i)
        std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(second.load());
}
