// Tiny random checkpoints with differential attention and learned sinks (tests/fixtures/make_diff_sink_models.py):
// HF DiffLlama and gpt-oss written by transformers, DIFF V1 (MHA and GQA) and V2 written from the authors'
// reference formulas in torch. Token ids, logits at every position, every head's A1, A2 and combined map
// A1 − λ·A2, λ per head (V1: one value, V2: per token), gpt-oss's per-row sink probability and the residual maxima
// must equal the reference within the tolerances of the other tiny fixtures: logits 1e-4, probabilities (and
// combined maps, λ, sink probabilities) 1e-5 absolute, maxima 1e-4 relative.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

const nlohmann::json& reference()
{
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/reference_diff_sink.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

std::string folder(const std::string& name)
{
    return std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + name;
}

/// Max |map − ref| over every cell of a T × T map given as nested JSON.
double mapError(const AttentionMap& m, const nlohmann::json& ref)
{
    double e = 0;
    for (int64_t i = 0; i < m.tokens; ++i)
        for (int64_t j = 0; j < m.tokens; ++j)
            e = std::max(e, std::fabs(m.at(i, j) - ref[i][j].get<double>()));
    return e;
}

} // namespace

class TinyDiffSink : public ::testing::TestWithParam<int> {};

TEST_P(TinyDiffSink, MatchesReference)
{
    const nlohmann::json& m = reference()["models"][GetParam()];
    const std::string name = m["folder"].get<std::string>(), kind = m["kind"].get<std::string>();
    SCOPED_TRACE(name);
    auto model = LoadedModel::open(folder(name));
    const ModelConfig& cfg = model->config();
    EXPECT_EQ(cfg.architecture, m["architecture"].get<std::string>());
    const bool differential = kind != "gpt_oss";
    EXPECT_EQ(cfg.diff != DiffVersion::None, differential);
    cpu::CpuBackend backend(2);
    for (const auto& c : m["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
        const auto refIds = c["ids"].get<std::vector<int32_t>>();
        EXPECT_EQ(model->tokenizer().encode(c["text"].get<std::string>()).ids, refIds);
        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        spec.quantities = {Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined,
                           Quantity::Lambda, Quantity::SinkProb};
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

        double maxA1 = 0, maxA2 = 0, maxD = 0, maxLambda = 0, maxSink = 0;
        const CaptureStore& store = obs.store();
        for (int l = 0; l < cfg.nLayers; ++l)
            for (int h = 0; h < cfg.nHeads; ++h) {
                AttentionMapPtr a1 = store.map(l, h);
                ASSERT_TRUE(a1);
                EXPECT_EQ(a1->mask, cfg.layers[size_t(l)].mask);
                maxA1 = std::max(maxA1, mapError(*a1, c["a1"][l][h]));
                AttentionMapPtr a2 = store.map(Quantity::AttentionProbs2, l, h);
                AttentionMapPtr d = store.map(Quantity::AttentionCombined, l, h);
                CapturedSeriesPtr lam = store.series(Quantity::Lambda, l, h);
                CapturedSeriesPtr sink = store.series(Quantity::SinkProb, l, h);
                if (differential) {
                    ASSERT_TRUE(a2 && d && lam);
                    EXPECT_EQ(a2->quantity, Quantity::AttentionProbs2);
                    EXPECT_EQ(d->quantity, Quantity::AttentionCombined);
                    maxA2 = std::max(maxA2, mapError(*a2, c["a2"][l][h]));
                    maxD = std::max(maxD, mapError(*d, c["combined"][l][h]));
                    const auto& refLam = c["lambda"][l][h];
                    ASSERT_EQ(lam->values.size(), refLam.size()) << "V1: one λ per head, V2: one per token";
                    for (size_t t = 0; t < lam->values.size(); ++t)
                        maxLambda = std::max(maxLambda, std::fabs(lam->values[t] - refLam[t].get<double>()));
                    EXPECT_FALSE(sink);
                } else {
                    EXPECT_FALSE(a2 || d || lam) << "no differential quantities without differential heads";
                    ASSERT_TRUE(sink);
                    ASSERT_EQ(sink->values.size(), static_cast<size_t>(T));
                    for (int64_t i = 0; i < T; ++i)
                        maxSink = std::max(maxSink, std::fabs(sink->values[size_t(i)] - c["sink_probs"][l][h][i].get<double>()));
                }
            }
        EXPECT_LE(maxA1, 1e-5);
        EXPECT_LE(maxA2, 1e-5);
        EXPECT_LE(maxD, 1e-5);
        EXPECT_LE(maxLambda, 1e-5);
        EXPECT_LE(maxSink, 1e-5);
        std::printf("[ measured ] %s T=%lld max |Δ logit| %.2e |Δ A1| %.2e |Δ A2| %.2e |Δ A1−λA2| %.2e |Δ λ| %.2e |Δ p_sink| %.2e\n",
                    name.c_str(), static_cast<long long>(T), maxLogit, maxA1, maxA2, maxD, maxLambda, maxSink);

        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        // HF's last hidden state is after the final norm; the fixture's own models record the layer output.
        const size_t comparable = kind.rfind("diff_v", 0) == 0 ? hidden.size() : hidden.size() - 1;
        for (size_t l = 0; l < comparable; ++l)
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-4 * hidden[l]) << "layer " << l;
    }
}

std::string diffSinkName(const ::testing::TestParamInfo<int>& i)
{
    static const char* names[] = {"DiffLlama", "DiffV1", "DiffV1Gqa", "DiffV2", "GptOss"};
    return names[i.param];
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyDiffSink, ::testing::Values(0, 1, 2, 3, 4), diffSinkName);

TEST(TinyDiffSinkConfig, HeadsCountDifferentialPairsAndGptOssAlternatesSlidingLayers)
{
    auto dl = LoadedModel::open(folder("tiny-diffllama"));
    EXPECT_EQ(dl->config().nHeads, 4) << "8 query heads of DiffLlama make 4 differential heads";
    EXPECT_EQ(dl->config().nKvHeads, 2);
    EXPECT_EQ(dl->config().valueDim(), 16);
    auto v2 = LoadedModel::open(folder("tiny-diff-v2"));
    EXPECT_EQ(v2->config().diff, DiffVersion::V2);
    EXPECT_EQ(v2->config().valueDim(), 8);
    EXPECT_EQ(v2->config().ropePairing, RopePairing::Adjacent);

    auto go = LoadedModel::open(folder("tiny-gpt-oss"));
    const ModelConfig& cfg = go->config();
    ASSERT_EQ(cfg.nLayers, 3);
    EXPECT_EQ(cfg.layers[0].mask, AttentionMask::sliding(4));
    EXPECT_EQ(cfg.layers[1].mask, AttentionMask::causal());
    EXPECT_EQ(cfg.layers[2].mask, AttentionMask::sliding(4));
    EXPECT_EQ(cfg.gptOssExperts, 4);
    EXPECT_EQ(cfg.gptOssExpertsUsed, 2);
    EXPECT_FLOAT_EQ(cfg.layers[0].yarn.factor, 32.f);
    EXPECT_FLOAT_EQ(cfg.layers[1].yarn.factor, 32.f) << "sliding and full layers share gpt-oss's YaRN";
    EXPECT_NEAR(cfg.layers[0].yarn.attentionFactor, 0.1 * std::log(32.0) + 1.0, 1e-6);
    EXPECT_FLOAT_EQ(cfg.ropeTheta, 150000.f);
    EXPECT_EQ(cfg.layerRulesSummary(),
              "0: sliding window 4, RoPE θ 150000, YaRN ×32; 1: full (causal), RoPE θ 150000, YaRN ×32; "
              "2: sliding window 4, RoPE θ 150000, YaRN ×32");
}

TEST(TinyDiffSinkGguf, GptOssGgufAsLlamaCppWritesItMatchesTheSameReference)
{
    // tiny-gpt-oss-f32.gguf: the fixture's weights under llama.cpp's gpt-oss names and layouts (separate gate/up
    // experts [E, F, D], down [E, D, F], sinks, post_attention_norm as the pre-MLP norm, YaRN metadata).
    const nlohmann::json& m = reference()["models"][4];
    ASSERT_EQ(m["folder"], "tiny-gpt-oss");
    auto model = LoadedModel::open(folder("tiny-gpt-oss-f32.gguf"));
    const ModelConfig& cfg = model->config();
    EXPECT_EQ(cfg.architecture, "gpt-oss");
    EXPECT_EQ(cfg.gptOssExperts, 4);
    EXPECT_EQ(cfg.layers[0].mask, AttentionMask::sliding(4));
    EXPECT_EQ(cfg.layers[1].mask, AttentionMask::causal());
    auto hf = LoadedModel::open(folder("tiny-gpt-oss"));
    EXPECT_EQ(cfg.layers[0].yarn, hf->config().layers[0].yarn) << "the same YaRN frequencies from either format";
    const auto& c = m["cases"][0];
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(model->tokenizer().encode(c["text"].get<std::string>()).ids, ids);
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;
    spec.logits = CaptureSpec::Logits::All;
    spec.quantities = {Quantity::AttentionProbs, Quantity::SinkProb};
    CollectingObserver obs(spec);
    cpu::CpuBackend backend(2);
    runForward(*model, backend, ids, obs);
    double maxLogit = 0, maxProb = 0, maxSink = 0;
    for (size_t p = 0; p < ids.size(); ++p)
        for (size_t v = 0; v < obs.logits()[p].second.size(); ++v)
            maxLogit = std::max(maxLogit, std::fabs(obs.logits()[p].second[v] - c["logits"][p][v].get<double>()));
    for (int l = 0; l < cfg.nLayers; ++l)
        for (int h = 0; h < cfg.nHeads; ++h) {
            maxProb = std::max(maxProb, mapError(*obs.store().map(l, h), c["a1"][l][h]));
            CapturedSeriesPtr s = obs.store().series(Quantity::SinkProb, l, h);
            ASSERT_TRUE(s);
            for (size_t i = 0; i < ids.size(); ++i)
                maxSink = std::max(maxSink, std::fabs(s->values[i] - c["sink_probs"][l][h][i].get<double>()));
        }
    EXPECT_LE(maxLogit, 1e-4);
    EXPECT_LE(maxProb, 1e-5);
    EXPECT_LE(maxSink, 1e-5);
    std::printf("[ measured ] tiny-gpt-oss-f32.gguf max |Δ logit| %.2e |Δ prob| %.2e |Δ p_sink| %.2e\n", maxLogit, maxProb, maxSink);
}

TEST(TinyDiffSinkConfig, QuantisedHfCheckpointsAreRefusedNamingTheMethod)
{
    namespace fs = std::filesystem;
    const fs::path tmp = fs::temp_directory_path() / "attnscope-mxfp4-gpt-oss";
    fs::remove_all(tmp);
    fs::copy(folder("tiny-gpt-oss"), tmp);
    nlohmann::json cfg = nlohmann::json::parse(std::ifstream(tmp / "config.json"));
    cfg["quantization_config"] = {{"quant_method", "mxfp4"}};
    std::ofstream(tmp / "config.json") << cfg.dump();
    try {
        LoadedModel::open(tmp.string());
        ADD_FAILURE() << "an MXFP4 checkpoint was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("'mxfp4'"), std::string::npos) << e.what();
    }
    fs::remove_all(tmp);
}

TEST(TinyDiffSinkConfig, MemoryEstimateCountsSecondAndCombinedMapsOnlyForDifferentialHeads)
{
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;
    spec.quantities = {Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined};
    auto go = LoadedModel::open(folder("tiny-gpt-oss"));
    auto dl = LoadedModel::open(folder("tiny-diffllama"));
    EXPECT_EQ(estimateRun(*go, 100, spec, 0, 0, 2).capturedMaps, 3 * 4) << "gpt-oss: only A1 exists";
    EXPECT_EQ(estimateRun(*dl, 100, spec, 0, 0, 2).capturedMaps, 3 * 3 * 4) << "DiffLlama: A1, A2 and A1 − λ·A2";
}
