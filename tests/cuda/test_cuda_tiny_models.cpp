// Whole-model parity on the tiny HF-written fixtures (no downloads: these run on any GPU machine): Llama, Qwen2,
// Qwen3, Gemma 3 (sliding and full layers, MQA, d 16), BERT (bidirectional, post-norm LayerNorm), GPT-2 (fused
// q|k|v views, learned positions) and an fp32 GGUF, every head captured and every position's logits, CUDA
// against the CPU reference (fp32 both: logits 1e-4, probabilities 1e-5, LSE 1e-4 absolute). Also the device
// paths a short device needs: one head per attention call gives the same numbers as all heads at once.
// Skipped with the probe's reason on machines without a usable GPU.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cuda_model_parity.h"

#include "core/model/weight_store.h"

#include <cmath>
#include <cstdlib>

using namespace attnscope;
using namespace attnscope::test;

namespace {

RunRequest everything(const std::string& text)
{
    RunRequest req;
    req.text = text;
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.logits = CaptureSpec::Logits::All;
    req.capture.quantities.insert(Quantity::FinalHidden);
    req.keepLogits = true;
    return req;
}

const char* kText =
    "Attention is a mechanism that lets every token look at every earlier token. The first token often collects "
    "the most attention; researchers call it an attention sink.";

} // namespace

class CudaTinyModels : public ::testing::TestWithParam<const char*> {};

TEST_P(CudaTinyModels, MatchTheCpuReference)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + GetParam());
    BackendSet set = cudaSet(std::move(gpu));
    const ParityReport r = expectParity(model, set, everything(kText), {});
    EXPECT_EQ(r.maps, int64_t(model->config().nLayers) * model->config().nHeads);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CudaTinyModels,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-bert",
                                           "tiny-gpt2", "tiny-llama-f32.gguf"));

TEST(CudaTinyModels, OneHeadPerCallEqualsAllHeadsAtOnce)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-gemma3");
    WeightStore store(*model, *gpu);
    auto run = [&](bool oneHead) {
        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        CollectingObserver obs(spec);
        ForwardOptions fo;
        fo.oneHeadPerAttentionCall = oneHead;
        const TokenizedText t = model->tokenizer().encode(kText);
        runForward(*model, *gpu, t.ids, obs, fo, &store);
        return std::make_pair(obs.logits(), obs.takeStore());
    };
    auto [logitsAll, mapsAll] = run(false);
    auto [logitsOne, mapsOne] = run(true);
    ASSERT_EQ(logitsAll.size(), logitsOne.size());
    for (size_t i = 0; i < logitsAll.size(); ++i)
        EXPECT_EQ(logitsAll[i].second, logitsOne[i].second) << "position " << logitsAll[i].first;
    for (int l = 0; l < model->config().nLayers; ++l)
        for (int h = 0; h < model->config().nHeads; ++h) {
            AttentionMapPtr a = mapsAll.map(l, h), b = mapsOne.map(l, h);
            ASSERT_TRUE(a && b);
            EXPECT_TRUE(a->probs == b->probs) << "layer " << l << " head " << h;
        }
}

TEST(CudaTinyModels, InjectedDeviceFailuresAreRetriedThenHandedToTheCpu)
{
    // The failure handling of executeRun on the real CUDA backend (ATTNSCOPE_CUDA_FAULT): out of memory once →
    // retried with smaller tiles on the GPU; out of memory every time → the CPU; a sticky error → the CPU at
    // once, and the next run skips the GPU. Every run ends with the CPU reference's numbers.
    std::string reason;
    if (!cuda::makeCudaBackendFactory()->probe(reason))
        GTEST_SKIP() << "no usable CUDA device (" << reason << "): GPU test not run";
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama");
    BackendSet cpuSet;
    cpuSet.primary = std::make_unique<cpu::CpuBackend>(0);
    const RunResult ref = executeRun(model, cpuSet, everything(kText));
    auto notes = [](const RunResult& r) {
        std::string s;
        for (const std::string& n : r.notes)
            s += "[" + n + "] ";
        return s;
    };
    struct Case {
        const char* fault;
        const char* backendAfter;
        const char* note;
    };
    for (const Case& c : {Case{"oom@attention#2", "cuda", "retried with smaller tiles"},
                          Case{"oom-always@gemm#3", "cpu", "the run fell back to cpu"},
                          Case{"sticky@norm#2", "cpu", "the run fell back to cpu"}}) {
        SCOPED_TRACE(c.fault);
        ::setenv("ATTNSCOPE_CUDA_FAULT", c.fault, 1);
        BackendSet set = cudaSet(cuda::makeCudaBackendFactory()->create());
        ::unsetenv("ATTNSCOPE_CUDA_FAULT");
        const RunResult r = executeRun(model, set, everything(kText));
        EXPECT_EQ(r.backendName, c.backendAfter) << notes(r);
        EXPECT_NE(notes(r).find(c.note), std::string::npos) << notes(r);
        ASSERT_EQ(r.logits.size(), ref.logits.size());
        for (size_t i = 0; i < r.logits.size(); ++i)
            EXPECT_LE(maxAbsError(r.logits[i].logits, ref.logits[i].logits), 1e-4);
        if (std::string(c.fault).rfind("sticky", 0) == 0) {
            EXPECT_FALSE(set.primary->healthy());
            const RunResult again = executeRun(model, set, everything(kText));
            EXPECT_EQ(again.backendName, "cpu");
            EXPECT_NE(notes(again).find("unusable after an earlier error"), std::string::npos) << notes(again);
        }
    }
}

TEST(CudaTinyModels, StreamedStatisticsMatchTheCpuReference)
{
    // Long-prompt items on the GPU (docs/LONG-CONTEXT.md): queries, keys, row normalisers, and the scores and pooled
    // maps streamed row by row through the row observer — against the CPU run (queries/keys 1e-5 relative,
    // normaliser max 1e-4 and log-sum 1e-5 absolute, scores and pooled cells 1e-4 absolute).
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-gemma3");
    RunRequest req = everything(kText);
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.quantities = {Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp, Quantity::HeadScores,
                              Quantity::CoarseMax, Quantity::CoarseMean};
    BackendSet cpuSet;
    cpuSet.primary = std::make_unique<cpu::CpuBackend>(0);
    const RunResult ref = executeRun(model, cpuSet, req);
    BackendSet set = cudaSet(std::move(gpu));
    const RunResult got = executeRun(model, set, req);
    EXPECT_EQ(got.backendName, "cuda");
    const ModelConfig& cfg = model->config();
    auto close = [](const std::vector<float>& a, const std::vector<float>& b, double tol) {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i) {
            if (std::isnan(a[i]) || std::isnan(b[i])) {
                if (!(std::isnan(a[i]) && std::isnan(b[i])))
                    return false;
            } else if (std::isinf(a[i]) || std::isinf(b[i])) {
                if (a[i] != b[i])
                    return false;
            } else if (std::fabs(double(a[i]) - double(b[i])) > tol) {
                return false;
            }
        }
        return true;
    };
    for (int l = 0; l < cfg.nLayers; ++l) {
        for (Quantity q : {Quantity::Queries, Quantity::Keys}) {
            CapturedSeriesPtr a = got.captures.series(q, l, -1), b = ref.captures.series(q, l, -1);
            ASSERT_TRUE(a && b);
            EXPECT_LE(relError(a->values, b->values), 1e-5) << quantityInfo(q).key << " layer " << l;
        }
        for (int h = 0; h < cfg.nHeads; ++h) {
            CapturedSeriesPtr a = got.captures.series(Quantity::RowLogSumExp, l, h), b = ref.captures.series(Quantity::RowLogSumExp, l, h);
            ASSERT_TRUE(a && b);
            const size_t T = a->values.size() / 2;
            EXPECT_TRUE(close({a->values.begin(), a->values.begin() + T}, {b->values.begin(), b->values.begin() + T}, 1e-4))
                << "row max, layer " << l << " head " << h;
            EXPECT_TRUE(close({a->values.begin() + T, a->values.end()}, {b->values.begin() + T, b->values.end()}, 1e-5))
                << "row log-sum, layer " << l << " head " << h;
            for (Quantity q : {Quantity::HeadScores, Quantity::CoarseMax, Quantity::CoarseMean}) {
                CapturedSeriesPtr x = got.captures.series(q, l, h), y = ref.captures.series(q, l, h);
                ASSERT_TRUE(x && y) << quantityInfo(q).key;
                EXPECT_TRUE(close(x->values, y->values, 1e-4)) << quantityInfo(q).key << " layer " << l << " head " << h;
            }
        }
    }
}
