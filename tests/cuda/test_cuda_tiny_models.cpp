// Whole-model parity on the tiny HF-written fixtures (no downloads: these run on any GPU machine): Llama, Qwen2,
// Qwen3, Gemma 3 (sliding and full layers, MQA, d 16), BERT (bidirectional, post-norm LayerNorm), GPT-2 (fused
// q|k|v views, learned positions) and an fp32 GGUF, every head captured and every position's logits, CUDA
// against the CPU reference (fp32 both: logits 1e-4, probabilities 1e-5, LSE 1e-4 absolute). Also the device
// paths a short device needs: one head per attention call gives the same numbers as all heads at once.
// Skipped with the probe's reason on machines without a usable GPU.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cuda_model_parity.h"

#include "core/model/weight_store.h"

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
