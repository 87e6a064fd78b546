// What a run does when its device backend is short of memory or fails (docs/BACKENDS.md "Failures"), on CPU
// machines: a pretend GPU (fake_device_backend.h) runs the CPU kernels behind a device-memory interface and
// injects out-of-memory, device errors and sticky errors. Every run must end with the same numbers as a plain CPU
// run, and its notes must say what happened: maps one head at a time when a layer's maps do not fit, a retry with
// smaller tiles after a failure, then the CPU; a device left unusable is skipped by later runs; cancellation and
// bad input are not retried.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fake_device_backend.h"

#include "core/attention/attention_spec.h"
#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/session/compare_run.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace attnscope;
using test::FakeDeviceBackend;

namespace {

std::shared_ptr<const LoadedModel> tinyModel(const char* folder)
{
    return LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + folder);
}

RunRequest request()
{
    RunRequest req;
    req.text = "The quick brown fox jumps over the lazy dog, and attention follows every token to the first one.";
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.logits = CaptureSpec::Logits::All;
    req.keepLogits = true;
    return req;
}

BackendSet cpuOnly()
{
    BackendSet s;
    s.primary = std::make_unique<cpu::CpuBackend>(2);
    return s;
}

BackendSet withFake(FakeDeviceBackend::Options o, FakeDeviceBackend** fake)
{
    BackendSet s;
    auto f = std::make_unique<FakeDeviceBackend>(o);
    *fake = f.get();
    s.primary = std::move(f);
    s.cpuFallback = std::make_unique<cpu::CpuBackend>(2);
    return s;
}

bool hasNote(const RunResult& r, const std::string& part)
{
    for (const std::string& n : r.notes)
        if (n.find(part) != std::string::npos)
            return true;
    return false;
}

std::string allNotes(const RunResult& r)
{
    std::string s;
    for (const std::string& n : r.notes)
        s += "[" + n + "] ";
    return s;
}

/// Same logits at every position and the same probabilities and LSE in every captured map, bit for bit (both
/// runs use the CPU kernels at 2 threads).
void expectSameResults(const RunResult& a, const RunResult& b, const ModelConfig& cfg)
{
    ASSERT_EQ(a.logits.size(), b.logits.size());
    for (size_t i = 0; i < a.logits.size(); ++i)
        EXPECT_EQ(a.logits[i].logits, b.logits[i].logits) << "position " << a.logits[i].position;
    for (int l = 0; l < cfg.nLayers; ++l)
        for (int h = 0; h < cfg.nHeads; ++h) {
            AttentionMapPtr x = a.captures.map(l, h), y = b.captures.map(l, h);
            ASSERT_TRUE(x && y) << "layer " << l << " head " << h;
            EXPECT_TRUE(x->probs == y->probs) << "layer " << l << " head " << h;
            EXPECT_EQ(x->lse, y->lse) << "layer " << l << " head " << h;
        }
}

/// The device-memory plan executeRun makes for `req` on a device with `model`'s weights still to upload.
DeviceMemoryPlan planFor(const LoadedModel& model, const RunRequest& req, int64_t T)
{
    cpu::CpuBackend probe(1);
    WeightStore store(model, probe);   // only for modelBytes(); converts nothing
    const MemoryEstimate e = estimateRun(model, T, req.capture, 0, store.modelBytes(), 1, req.keepCaptures);
    return planDeviceMemory(model, T, req.capture, e, store.modelBytes(), store.resident(), 1);
}

} // namespace

class DeviceFallback : public ::testing::TestWithParam<const char*> {};

TEST_P(DeviceFallback, DevicePathsGiveTheCpuResults)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake({}, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "fakegpu");
    EXPECT_FALSE(hasNote(r, "fell back")) << allNotes(r);
    EXPECT_GT(fake->multiHeadAttentionCalls(), 0);
    EXPECT_EQ(fake->singleHeadAttentionCalls(), 0) << "free memory unknown: all heads in one call";
    expectSameResults(r, ref, model->config());
}

TEST_P(DeviceFallback, MapsOneHeadAtATimeWhenALayersMapsDoNotFit)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    const int64_t T = static_cast<int64_t>(ref.tokens.size());
    const DeviceMemoryPlan plan = planFor(*model, request(), T);
    ASSERT_LT(plan.needOneHead, plan.needAllHeads);
    FakeDeviceBackend::Options o;
    o.capacityBytes = (plan.needOneHead + plan.needAllHeads) / 2 / 9 * 10;   // usable (90 %) between the two
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "fakegpu");
    EXPECT_TRUE(hasNote(r, "one head at a time")) << allNotes(r);
    EXPECT_EQ(fake->multiHeadAttentionCalls(), 0);
    EXPECT_EQ(fake->singleHeadAttentionCalls(), int64_t(model->config().nLayers) * model->config().nHeads);
    // At most one map (T² floats) and its LSE were on the device at a time besides weights and activations.
    const uint64_t oneMap = uint64_t(T) * uint64_t(T) * sizeof(float);
    EXPECT_LT(fake->peakBytes(), plan.needOneHead - (uint64_t(64) << 20) + oneMap);
    expectSameResults(r, ref, model->config());
}

TEST_P(DeviceFallback, ADeviceTooSmallForOneMapRunsOnTheCpuAndSaysSo)
{
    auto model = tinyModel(GetParam());
    const RunResult ref = [&] {
        BackendSet cpu = cpuOnly();
        return executeRun(model, cpu, request());
    }();
    const DeviceMemoryPlan plan = planFor(*model, request(), static_cast<int64_t>(ref.tokens.size()));
    FakeDeviceBackend::Options o;
    o.capacityBytes = plan.needOneHead / 2;
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "cpu");
    EXPECT_TRUE(hasNote(r, "even with one map at a time; the run uses cpu")) << allNotes(r);
    EXPECT_EQ(fake->calls(OpKind::Gemm), 0);
    expectSameResults(r, ref, model->config());
}

TEST_P(DeviceFallback, OutOfMemoryOnceIsRetriedWithSmallerTilesOnTheDevice)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    FakeDeviceBackend::Options o;
    o.fault = FakeDeviceBackend::Fault::Oom;
    o.faultOp = OpKind::Attention;
    o.faultCall = 2;
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    int started = 0, layers = 0;
    RunStreaming streaming;
    streaming.onStarted = [&](const TokenizedText&, const RunShape&, const MemoryEstimate&) { ++started; };
    streaming.onLayer = [&](const LayerCaptures&) {
        ++layers;
        return true;
    };
    const RunResult r = executeRun(model, dev, request(), streaming);
    EXPECT_EQ(r.backendName, "fakegpu");
    EXPECT_TRUE(hasNote(r, "fakegpu failed")) << allNotes(r);
    EXPECT_TRUE(hasNote(r, "out of memory")) << allNotes(r);
    EXPECT_TRUE(hasNote(r, "retried with smaller tiles")) << allNotes(r);
    EXPECT_FALSE(hasNote(r, "fell back")) << allNotes(r);
    EXPECT_EQ(fake->level(), 1);
    EXPECT_GT(fake->singleHeadAttentionCalls(), 0) << "the retry runs one head per attention call";
    // The failed attempt streamed its first layer (the fault hit layer 1's attention), the retry all of them.
    EXPECT_EQ(started, 2);
    EXPECT_EQ(layers, 1 + model->config().nLayers);
    expectSameResults(r, ref, model->config());
}

TEST_P(DeviceFallback, PersistentOutOfMemoryFallsBackToTheCpuAfterTheRetry)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    FakeDeviceBackend::Options o;
    o.fault = FakeDeviceBackend::Fault::OomAlways;
    o.faultOp = OpKind::Gemm;
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "cpu");
    EXPECT_TRUE(hasNote(r, "retried with smaller tiles")) << allNotes(r);
    EXPECT_TRUE(hasNote(r, "the run fell back to cpu")) << allNotes(r);
    EXPECT_EQ(fake->liveBytes(), 0u) << "the device's weights are released after the fallback";
    expectSameResults(r, ref, model->config());
    EXPECT_TRUE(dev.primary->healthy()) << "out of memory does not make the device unusable";
}

TEST_P(DeviceFallback, ADeviceErrorIsRetriedThenTheRunSucceeds)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    FakeDeviceBackend::Options o;
    o.fault = FakeDeviceBackend::Fault::Error;
    o.faultOp = OpKind::Norm;
    o.faultCall = 3;
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "fakegpu");
    EXPECT_TRUE(hasNote(r, "device error in norm")) << allNotes(r);
    EXPECT_TRUE(hasNote(r, "retried with smaller tiles")) << allNotes(r);
    expectSameResults(r, ref, model->config());
}

TEST_P(DeviceFallback, AStickyErrorGoesStraightToTheCpuAndLaterRunsSkipTheDevice)
{
    auto model = tinyModel(GetParam());
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, request());
    FakeDeviceBackend::Options o;
    o.fault = FakeDeviceBackend::Fault::Sticky;
    o.faultOp = OpKind::Attention;
    o.faultCall = 1;
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const RunResult r = executeRun(model, dev, request());
    EXPECT_EQ(r.backendName, "cpu");
    EXPECT_FALSE(hasNote(r, "retried")) << "a dead device is not retried: " << allNotes(r);
    EXPECT_TRUE(hasNote(r, "fakegpu failed (attention: fakegpu: illegal address in attention)")) << allNotes(r);
    EXPECT_TRUE(hasNote(r, "the run fell back to cpu")) << allNotes(r);
    EXPECT_EQ(fake->level(), 0);
    expectSameResults(r, ref, model->config());

    const int64_t gemmsBefore = fake->calls(OpKind::Gemm);
    const RunResult again = executeRun(model, dev, request());
    EXPECT_EQ(again.backendName, "cpu");
    EXPECT_TRUE(hasNote(again, "fakegpu is unusable after an earlier error; the run uses cpu")) << allNotes(again);
    EXPECT_EQ(fake->calls(OpKind::Gemm), gemmsBefore);
    expectSameResults(again, ref, model->config());
}

TEST_P(DeviceFallback, CancelAndBadInputAreNotRetried)
{
    auto model = tinyModel(GetParam());
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake({}, &fake);
    std::stop_source src;
    RunStreaming streaming;
    streaming.onLayer = [&](const LayerCaptures&) {
        src.request_stop();
        return true;
    };
    try {
        executeRun(model, dev, request(), streaming, nullptr, src.get_token());
        FAIL() << "expected cancellation";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    EXPECT_EQ(fake->level(), 0);

    RunRequest bad = request();
    bad.ids = std::vector<int32_t>{1, 2, 1 << 20};   // outside the vocabulary
    try {
        executeRun(model, dev, bad);
        FAIL() << "expected a usage error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
    }
    EXPECT_EQ(fake->level(), 0);
    EXPECT_TRUE(fake->healthy());
}

TEST_P(DeviceFallback, WhatIfRunsTakeTheDevicePathsToo)
{
    // A mask pattern (through the attention op), a sink column (sink probabilities downloaded per head) and a
    // variant op: the device paths give the CPU's numbers, all heads at once and one head at a time.
    auto model = tinyModel(GetParam());
    for (const char* spec : {"longformer:window=4,global=0;3", "sink:logit=1", "topk:k=3"}) {
        SCOPED_TRACE(spec);
        RunRequest req = request();
        req.variant = AttentionSpec::parse(spec);
        req.capture.quantities.insert(Quantity::SinkProb);
        BackendSet cpu = cpuOnly();
        const RunResult ref = executeRun(model, cpu, req);
        for (bool oneHead : {false, true}) {
            FakeDeviceBackend::Options o;
            if (oneHead) {
                const DeviceMemoryPlan plan = planFor(*model, req, static_cast<int64_t>(ref.tokens.size()));
                o.capacityBytes = (plan.needOneHead + plan.needAllHeads) / 2 / 9 * 10;
            }
            FakeDeviceBackend* fake = nullptr;
            BackendSet dev = withFake(o, &fake);
            const RunResult r = executeRun(model, dev, req);
            EXPECT_EQ(r.backendName, "fakegpu");
            expectSameResults(r, ref, model->config());
            for (int l = 0; l < model->config().nLayers; ++l)
                for (int h = 0; h < model->config().nHeads; ++h) {
                    CapturedSeriesPtr a = r.captures.series(Quantity::SinkProb, l, h), b = ref.captures.series(Quantity::SinkProb, l, h);
                    ASSERT_EQ(bool(a), bool(b));
                    if (a) {
                        EXPECT_EQ(a->values, b->values) << "layer " << l << " head " << h;
                    }
                }
            if (oneHead && std::string(spec) != "topk:k=3") {
                EXPECT_GT(fake->singleHeadAttentionCalls(), 0);
            }
        }
    }
}

TEST_P(DeviceFallback, StreamedStatisticsTakeTheDevicePathsToo)
{
    // Long-prompt items (docs/LONG-CONTEXT.md): queries and keys, row normalisers, scores and pooled maps streamed
    // row by row through the kernel's row observer — all heads in one call and one head per call (the observer
    // must see the model's head index, not the slice's).
    auto model = tinyModel(GetParam());
    RunRequest req = request();
    req.capture.quantities = {Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp, Quantity::HeadScores,
                              Quantity::CoarseMax, Quantity::CoarseMean};
    BackendSet cpu = cpuOnly();
    const RunResult ref = executeRun(model, cpu, req);
    for (bool oneHead : {false, true}) {
        SCOPED_TRACE(oneHead ? "one head per call" : "all heads at once");
        FakeDeviceBackend::Options o;
        if (oneHead) {
            RunRequest withMaps = req;   // a capacity under which one head's map fits but not a layer's
            withMaps.capture.quantities.insert(Quantity::AttentionProbs);
            const DeviceMemoryPlan plan = planFor(*model, withMaps, static_cast<int64_t>(ref.tokens.size()));
            o.capacityBytes = (plan.needOneHead + plan.needAllHeads) / 2 / 9 * 10;
            req.capture.quantities.insert(Quantity::AttentionProbs);
        }
        FakeDeviceBackend* fake = nullptr;
        BackendSet dev = withFake(o, &fake);
        const RunResult r = executeRun(model, dev, req);
        const RunResult& base = oneHead ? executeRun(model, cpu, req) : ref;
        EXPECT_EQ(r.backendName, "fakegpu");
        if (oneHead) {
            EXPECT_GT(fake->singleHeadAttentionCalls(), 0);
        }
        const ModelConfig& cfg = model->config();
        for (int l = 0; l < cfg.nLayers; ++l) {
            for (Quantity q : {Quantity::Queries, Quantity::Keys}) {
                CapturedSeriesPtr a = r.captures.series(q, l, -1), b = base.captures.series(q, l, -1);
                ASSERT_TRUE(a && b) << quantityInfo(q).key << " layer " << l;
                EXPECT_EQ(a->values, b->values) << quantityInfo(q).key << " layer " << l;
            }
            for (int h = 0; h < cfg.nHeads; ++h)
                for (Quantity q : {Quantity::RowLogSumExp, Quantity::HeadScores, Quantity::CoarseMax, Quantity::CoarseMean}) {
                    CapturedSeriesPtr a = r.captures.series(q, l, h), b = base.captures.series(q, l, h);
                    ASSERT_TRUE(a && b) << quantityInfo(q).key << " layer " << l << " head " << h;
                    ASSERT_EQ(a->values.size(), b->values.size());
                    for (size_t i = 0; i < a->values.size(); ++i) {   // NaN (an all-masked pooled cell) equals NaN
                        const bool same = a->values[i] == b->values[i] || (std::isnan(a->values[i]) && std::isnan(b->values[i]));
                        ASSERT_TRUE(same) << quantityInfo(q).key << " layer " << l << " head " << h << " [" << i << "]";
                    }
                }
        }
    }
}

TEST_P(DeviceFallback, AComparisonThatFailsOnTheDeviceIsRedoneOnTheCpu)
{
    auto model = tinyModel(GetParam());
    CompareRequest req;
    req.base = request();
    req.base.capture.heads = CaptureSpec::Heads::None;
    req.variants = {AttentionSpec::parse("sliding:window=4"), AttentionSpec::parse("offbyone")};
    BackendSet cpu = cpuOnly();
    const CompareResult ref = executeCompare(model, cpu, req);
    FakeDeviceBackend::Options o;
    o.fault = FakeDeviceBackend::Fault::OomAlways;
    o.faultOp = OpKind::Attention;
    o.faultCall = 3;   // the baseline passes its first layers, then every attention fails
    FakeDeviceBackend* fake = nullptr;
    BackendSet dev = withFake(o, &fake);
    const CompareResult r = executeCompare(model, dev, req);
    std::string notes;
    for (const std::string& n : r.notes)
        notes += "[" + n + "] ";
    EXPECT_NE(notes.find("fakegpu failed"), std::string::npos) << notes;
    EXPECT_NE(notes.find("the comparison fell back to cpu"), std::string::npos) << notes;
    EXPECT_EQ(fake->liveBytes(), 0u);
    ASSERT_EQ(r.variants.size(), ref.variants.size());
    for (size_t i = 0; i < r.variants.size(); ++i) {
        EXPECT_EQ(r.variants[i].klPerPosition.size(), ref.variants[i].klPerPosition.size());
        for (size_t p = 0; p < r.variants[i].klPerPosition.size(); ++p) {
            const double a = r.variants[i].klPerPosition[p], b = ref.variants[i].klPerPosition[p];
            EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << "variant " << i << " position " << p;
        }
        const double a = r.variants[i].cosineMean, b = ref.variants[i].cosineMean;
        EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)));
    }
}

INSTANTIATE_TEST_SUITE_P(TinyModels, DeviceFallback, ::testing::Values("tiny-llama", "tiny-gemma3", "tiny-gpt2"));

TEST(AttentionHeadSlices, RunningEverySliceEqualsOneCallBitForBit)
{
    // GQA 6:2, every mask kind, with a sink column: head h's slice reads its own q columns and its KV head's.
    const int64_t T = 37, H = 6, Hkv = 2, d = 16;
    std::vector<float> q(size_t(T * H * d)), k(size_t(T * Hkv * d)), v(size_t(T * Hkv * d)), sinks(static_cast<size_t>(H));
    uint32_t s = 12345;
    auto rnd = [&] {
        s = s * 1664525u + 1013904223u;
        return float(int32_t(s >> 8) % 2001 - 1000) / 400.f;
    };
    for (auto* vec : {&q, &k, &v, &sinks})
        for (float& x : *vec)
            x = rnd();
    for (const AttentionMask& mask : {AttentionMask::causal(), AttentionMask::bidirectional(), AttentionMask::sliding(5),
                                      AttentionMask::slidingWithSinks(7, 2)}) {
        SCOPED_TRACE(mask.describe());
        auto run = [&](bool sliced, std::vector<float>& out, std::vector<std::vector<float>>& probs,
                       std::vector<std::vector<float>>& lse, std::vector<std::vector<float>>& sinkP) {
            out.assign(size_t(T * H * d), -7.f);
            probs.assign(size_t(H), std::vector<float>(size_t(T * T), -7.f));
            lse.assign(size_t(H), std::vector<float>(size_t(T), -7.f));
            sinkP.assign(size_t(H), std::vector<float>(size_t(T), -7.f));
            std::vector<float*> pp, lp, sp;
            for (int h = 0; h < H; ++h) {
                pp.push_back(probs[h].data());
                lp.push_back(lse[h].data());
                sp.push_back(sinkP[h].data());
            }
            AttentionArgs a;
            a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
            a.scale = 0.25f;
            a.mask = mask;
            a.q = q.data(); a.ldq = H * d;
            a.k = k.data(); a.ldk = Hkv * d;
            a.v = v.data(); a.ldv = Hkv * d;
            a.out = out.data(); a.ldo = H * d;
            a.probs = pp.data(); a.lse = lp.data();
            a.sinkLogits = sinks.data(); a.sinkProbs = sp.data();
            if (!sliced) {
                ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);
                return;
            }
            for (int64_t h = 0; h < H; ++h) {
                const AttentionArgs one = attentionHeadSlice(a, h);
                ASSERT_EQ(one.heads, 1);
                ASSERT_EQ(one.kvHeads, 1);
                ASSERT_TRUE(cpu::attentionCpu(one, 1).ok);
            }
        };
        std::vector<float> o1, o2;
        std::vector<std::vector<float>> p1, p2, l1, l2, s1, s2;
        run(false, o1, p1, l1, s1);
        run(true, o2, p2, l2, s2);
        EXPECT_EQ(o1, o2);
        EXPECT_EQ(p1, p2);
        EXPECT_EQ(l1, l2);
        EXPECT_EQ(s1, s2);
    }
}
