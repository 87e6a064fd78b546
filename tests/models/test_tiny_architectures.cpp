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
        runForward(*model, backend, backend, refIds, obs);
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
        runForward(*hf, backend, backend, a.ids, oa);
        runForward(*gg, backend, backend, b.ids, ob);
        double maxP = 0, maxL = 0;
        for (size_t i = 0; i < oa.maps().size(); ++i)
            for (size_t k = 0; k < oa.maps()[i]->probs.size(); ++k)
                maxP = std::max(maxP, double(std::fabs(oa.maps()[i]->probs[k] - ob.maps()[i]->probs[k])));
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
    EXPECT_NO_THROW(runForward(*model, backend, backend, ids, obs));
    { std::ofstream(tmp, std::ios::app) << "appended"; }   // size changes
    try {
        runForward(*model, backend, backend, ids, obs);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Io);
        EXPECT_NE(std::string(e.what()).find("changed on disk"), std::string::npos);
    }
    fs::remove(tmp);
}

TEST(CaptureBudget, RunOverTheBudgetIsRefusedWithTheNumbersBeforeComputing)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama");
    cpu::CpuBackend backend(1);
    std::vector<int32_t> ids(64, 7);
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;   // 2 layers × 4 heads × 64·65·4 bytes = 133 kB
    CollectingObserver obs(spec);
    int layers = 0;
    obs.layerCallback = [&](const LayerStats&) { return ++layers > 0; };
    ForwardOptions opt;
    opt.captureBudgetBytes = 100 * 1024;
    try {
        runForward(*model, backend, backend, ids, obs, opt);
        FAIL() << "expected a resource error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Resource);
        EXPECT_NE(std::string(e.what()).find("capturing 8 attention maps at 64 tokens"), std::string::npos) << e.what();
    }
    EXPECT_EQ(layers, 0);
    opt.captureBudgetBytes = 200 * 1024;
    EXPECT_NO_THROW(runForward(*model, backend, backend, ids, obs, opt));
    EXPECT_EQ(layers, 2);
}
