// Tiny random checkpoints written by HF transformers (tests/fixtures/make_tiny_models.py) for each architecture
// the engine runs: Llama (float32, untied, split-half RoPE), Qwen2 (bfloat16, tied, q/k/v biases), Qwen3
// (float16, q/k RMSNorm, head_dim ≠ hidden/heads, sharded safetensors). Token ids from our tokenizer.json path,
// logits at every position and every head's probabilities must equal transformers (eager, float32).
// Tolerances: logits 1e-4 absolute, probabilities 1e-5 absolute (both sides fp32; the fixture is rounded to
// 1e-6 / 1e-8), residual maxima 1e-4 relative.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/backend/backend_set.h"
#include "core/session/run_request.h"
#include "core/util/memory_budget.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

const nlohmann::json& reference()
{
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/reference.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

} // namespace

class TinyArchitecture : public ::testing::TestWithParam<int> {};

TEST_P(TinyArchitecture, MatchesTransformers)
{
    const nlohmann::json& m = reference()["models"][GetParam()];
    SCOPED_TRACE(m["folder"].get<std::string>());
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + m["folder"].get<std::string>());
    EXPECT_EQ(model->config().architecture, m["architecture"].get<std::string>());
    cpu::CpuBackend backend(2);
    for (const auto& c : m["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
        const auto refIds = c["ids"].get<std::vector<int32_t>>();
        TokenizedText t = model->tokenizer().encode(c["text"].get<std::string>());
        EXPECT_EQ(t.ids, refIds);

        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        CollectingObserver obs(spec);
        runForward(*model, backend, refIds, obs);
        const int64_t T = static_cast<int64_t>(refIds.size());

        ASSERT_EQ(obs.logits().size(), static_cast<size_t>(T));
        double maxLogit = 0;
        for (int64_t p = 0; p < T; ++p) {
            const auto& ref = c["logits"][p];
            const auto& got = obs.logits()[p].second;
            ASSERT_EQ(got.size(), ref.size());
            for (size_t v = 0; v < got.size(); ++v)
                maxLogit = std::max(maxLogit, std::fabs(got[v] - ref[v].get<double>()));
        }
        EXPECT_LE(maxLogit, 1e-4);

        const auto& att = c["attentions"];
        double maxProb = 0;
        for (int l = 0; l < model->config().nLayers; ++l)
            for (int h = 0; h < model->config().nHeads; ++h) {
                AttentionMapPtr map = obs.map(l, h);
                ASSERT_TRUE(map);
                EXPECT_EQ(map->kvHead, h / model->config().groupSize());
                for (int64_t i = 0; i < T; ++i)
                    for (int64_t j = 0; j < T; ++j)
                        maxProb = std::max(maxProb, std::fabs(map->at(i, j) - att[l][h][i][j].get<double>()));
            }
        EXPECT_LE(maxProb, 1e-5);

        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        for (size_t l = 0; l + 1 < hidden.size(); ++l)   // HF's last hidden state is after the final norm
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-4 * hidden[l]);
    }
}

std::string tinyName(const ::testing::TestParamInfo<int>& i)
{
    static const char* names[] = {"Llama", "Qwen2", "Qwen3Sharded"};
    return names[i.param];
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyArchitecture, ::testing::Values(0, 1, 2), tinyName);

TEST(CrossFormat, GgufAndSafetensorsOfTheSameLlamaGiveIdenticalMaps)
{
    // tiny-llama-f32.gguf holds tiny-llama's weights with llama.cpp's q/k row permutation (adjacent-pair RoPE);
    // the HF folder has them unpermuted (split-half RoPE). Same tokens, same maps, same logits.
    const std::string dir = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/";
    auto hf = LoadedModel::open(dir + "tiny-llama");
    auto gg = LoadedModel::open(dir + "tiny-llama-f32.gguf");
    EXPECT_EQ(gg->config().ropePairing, RopePairing::Adjacent);
    EXPECT_EQ(hf->config().ropePairing, RopePairing::SplitHalf);
    cpu::CpuBackend backend(1);
    for (const auto& c : reference()["models"][0]["cases"]) {
        const std::string text = c["text"];
        TokenizedText a = hf->tokenizer().encode(text), b = gg->tokenizer().encode(text);
        ASSERT_EQ(a.ids, b.ids) << "tokenizer.json and GGUF metadata tokenize differently";
        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        CollectingObserver oa(spec), ob(spec);
        runForward(*hf, backend, a.ids, oa);
        runForward(*gg, backend, b.ids, ob);
        double maxP = 0, maxL = 0;
        ASSERT_EQ(oa.store().mapCount(), ob.store().mapCount());
        for (const auto& [key, ma] : oa.store().maps()) {
            AttentionMapPtr mb = ob.store().map(key.quantity, key.layer, key.head);
            ASSERT_TRUE(mb);
            for (size_t k = 0; k < ma->probs.size(); ++k)
                maxP = std::max(maxP, double(std::fabs(ma->probs[k] - mb->probs[k])));
        }
        for (size_t p = 0; p < oa.logits().size(); ++p)
            for (size_t v = 0; v < oa.logits()[p].second.size(); ++v)
                maxL = std::max(maxL, double(std::fabs(oa.logits()[p].second[v] - ob.logits()[p].second[v])));
        EXPECT_LE(maxP, 1e-6);
        EXPECT_LE(maxL, 1e-5);
    }
}

TEST(ChangedFile, RunRefusesAModelRewrittenSinceOpen)
{
    namespace fs = std::filesystem;
    const fs::path tmp = fs::temp_directory_path() / ("attnscope_changed_" + std::to_string(::getpid()) + ".gguf");
    fs::copy_file(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama-f32.gguf", tmp, fs::copy_options::overwrite_existing);
    auto model = LoadedModel::open(tmp.string());
    cpu::CpuBackend backend(1);
    std::vector<int32_t> ids = {5, 6, 7};
    CollectingObserver obs({});
    EXPECT_NO_THROW(runForward(*model, backend, ids, obs));
    { std::ofstream(tmp, std::ios::app) << "appended"; }   // size changes
    try {
        runForward(*model, backend, ids, obs);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Io);
        EXPECT_NE(std::string(e.what()).find("changed on disk"), std::string::npos);
    }
    fs::remove(tmp);
}

TEST(RunRequestBudget, RunOverTheBudgetIsRefusedWithTheNumbersBeforeComputing)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama");
    BackendSet backends;
    backends.primary = std::make_unique<cpu::CpuBackend>(1);
    RunRequest req;
    req.ids = std::vector<int32_t>(64, 7);
    req.capture.heads = CaptureSpec::Heads::All;   // 2 layers × 4 heads × 64·65·4 bytes = 133 kB
    RunRequest warm;   // converts the weights, so the estimate below has nothing left to convert
    warm.ids = std::vector<int32_t>(4, 7);
    executeRun(model, backends, warm);
    const MemoryEstimate e = estimateRun(*model, 64, req.capture, 0, 0, 1);
    EXPECT_EQ(e.capturedMaps, 8);
    EXPECT_EQ(e.captureBytes, captureBytes(64, 8));
    EXPECT_EQ(e.captureBytes, 8u * 64u * 65u * 4u);
    int layers = 0;
    RunStreaming streaming;
    streaming.onLayer = [&](const LayerCaptures&) { return ++layers > 0; };
    req.memoryBudgetBytes = e.total() - 1;
    try {
        executeRun(model, backends, req, streaming);
        FAIL() << "expected a resource error";
    } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::Resource);
        const std::string w = err.what();
        EXPECT_NE(w.find("64 tokens need"), std::string::npos) << w;
        EXPECT_NE(w.find("8 captured maps"), std::string::npos) << w;
        EXPECT_NE(w.find("At most 63 tokens fit"), std::string::npos) << w;
    }
    EXPECT_EQ(layers, 0);
    req.memoryBudgetBytes = e.total();
    RunResult r = executeRun(model, backends, req, streaming);
    EXPECT_EQ(layers, 2);
    EXPECT_EQ(r.captures.mapCount(), 8u);
    EXPECT_EQ(r.logits.size(), 1u);
}

TEST(RunRequestContext, PromptsBeyondTheContextAreRefusedUnlessAskedFor)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama");   // context 256
    BackendSet backends;
    backends.primary = std::make_unique<cpu::CpuBackend>(1);
    RunRequest req;
    req.ids = std::vector<int32_t>(300, 7);
    try {
        executeRun(model, backends, req);
        FAIL() << "expected a usage error";
    } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(err.what()).find("300 tokens but the model's context length is 256"), std::string::npos)
            << err.what();
        EXPECT_NE(std::string(err.what()).find("--beyond-context"), std::string::npos);
    }
    req.beyondContext = true;
    RunResult r = executeRun(model, backends, req);
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes.back().find("beyond the model's context length of 256"), std::string::npos);
}

TEST(RunRequestWeights, ARerunOfAResidentModelConvertsNothingAndGivesTheSameLogits)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-qwen2");
    BackendSet backends;
    backends.primary = std::make_unique<cpu::CpuBackend>(1);
    RunRequest req;
    req.text = "The first token is an attention sink.";
    req.keepLogits = true;
    RunResult a = executeRun(model, backends, req);
    EXPECT_GT(a.timings.dequantMs, 0.0);
    RunResult b = executeRun(model, backends, req);
    EXPECT_EQ(b.timings.dequantMs, 0.0);
    EXPECT_EQ(b.estimate.weightBytes, 0u);
    ASSERT_EQ(a.logits.size(), 1u);
    EXPECT_EQ(a.logits[0].logits, b.logits[0].logits);
    // Streaming mode (a budget below the model's size) converts per layer and gives identical numbers.
    WeightStore streaming(*model, backends.main(), 1);
    EXPECT_FALSE(streaming.resident());
    CaptureSpec spec;
    spec.logits = CaptureSpec::Logits::Last;
    CollectingObserver obs(spec);
    runForward(*model, backends.main(), b.tokens.ids, obs, {}, &streaming);
    EXPECT_EQ(obs.logits().at(0).second, a.logits[0].logits);
    EXPECT_EQ(streaming.heldBytes(), 0u);
}
