// Tiny random checkpoints of the architectures that break the Llama mould, written by HF transformers
// (tests/fixtures/make_tiny_breadth_models.py): Gemma 3 (sandwich (1 + w) RMSNorms, q/k norm, GeGLU, √d embedding
// scale, sliding-window and full layers with their own RoPE bases, MQA), BERT (bidirectional, post-norm LayerNorm,
// learned and token-type embeddings, no LM head) and GPT-2 (learned positions, fused Conv1D q|k|v, gelu_new, tied
// head). Token ids from our tokenizer.json path, every head's probabilities, logits at every position (the last
// hidden state for BERT) and the residual maxima must equal transformers (eager, float32) with the tolerances
// the Llama-family fixtures use: logits 1e-4, probabilities 1e-5, hidden state 1e-4 (absolute), maxima 1e-4 relative.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

const nlohmann::json& reference()
{
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/reference_breadth.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

} // namespace

class TinyBreadth : public ::testing::TestWithParam<int> {};

TEST_P(TinyBreadth, MatchesTransformers)
{
    const nlohmann::json& m = reference()["models"][GetParam()];
    SCOPED_TRACE(m["folder"].get<std::string>());
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + m["folder"].get<std::string>());
    const ModelConfig& cfg = model->config();
    EXPECT_EQ(cfg.architecture, m["architecture"].get<std::string>());
    const bool encoder = m["encoder"].get<bool>();
    EXPECT_EQ(cfg.hasLmHead, !encoder);
    cpu::CpuBackend backend(2);
    for (const auto& c : m["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
        const auto refIds = c["ids"].get<std::vector<int32_t>>();
        TokenizedText t = model->tokenizer().encode(c["text"].get<std::string>());
        EXPECT_EQ(t.ids, refIds);

        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        spec.quantities.insert(Quantity::FinalHidden);
        CollectingObserver obs(spec);
        runForward(*model, backend, refIds, obs);
        const int64_t T = static_cast<int64_t>(refIds.size());

        if (encoder) {
            EXPECT_TRUE(obs.logits().empty()) << "an encoder has no next-token prediction";
            CapturedSeriesPtr h = obs.store().series(Quantity::FinalHidden, -1, -1);
            ASSERT_TRUE(h);
            ASSERT_EQ(h->shape, (std::vector<int64_t>{T, cfg.dModel}));
            double maxH = 0;
            for (int64_t i = 0; i < T; ++i)
                for (int64_t k = 0; k < cfg.dModel; ++k)
                    maxH = std::max(maxH, std::fabs(h->values[size_t(i * cfg.dModel + k)] - c["last_hidden_state"][i][k].get<double>()));
            EXPECT_LE(maxH, 1e-4);
            std::printf("[ measured ] %s max |Δ last hidden| %.2e\n", m["folder"].get<std::string>().c_str(), maxH);
        } else {
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
            std::printf("[ measured ] %s max |Δ logit| %.2e\n", m["folder"].get<std::string>().c_str(), maxLogit);
        }

        const auto& att = c["attentions"];
        double maxProb = 0;
        int64_t maskedCells = 0;
        for (int l = 0; l < cfg.nLayers; ++l)
            for (int h = 0; h < cfg.nHeads; ++h) {
                AttentionMapPtr map = obs.map(l, h);
                ASSERT_TRUE(map);
                EXPECT_EQ(map->mask, cfg.layers[size_t(l)].mask);
                for (int64_t i = 0; i < T; ++i)
                    for (int64_t j = 0; j < T; ++j) {
                        const double ref = att[l][h][i][j].get<double>();
                        maxProb = std::max(maxProb, std::fabs(map->at(i, j) - ref));
                        if (map->isMasked(i, j)) {
                            ++maskedCells;
                            EXPECT_EQ(ref, 0.0) << "a cell our mask removes carries weight in the reference";
                        }
                    }
            }
        EXPECT_LE(maxProb, 1e-5);
        std::printf("[ measured ] %s max |Δ prob| %.2e (%lld masked cells)\n", m["folder"].get<std::string>().c_str(), maxProb,
                    static_cast<long long>(maskedCells));
        if (cfg.causal())
            EXPECT_GT(maskedCells, 0);
        else
            EXPECT_EQ(maskedCells, 0) << "bidirectional: no cell is masked";

        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        // HF's last hidden state is after the final norm for decoders; BERT's is the last layer's output.
        const size_t comparable = encoder ? hidden.size() : hidden.size() - 1;
        for (size_t l = 0; l < comparable; ++l)
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-4 * hidden[l]) << "layer " << l;
    }
}

std::string breadthName(const ::testing::TestParamInfo<int>& i)
{
    static const char* names[] = {"Gemma3", "Bert", "Gpt2"};
    return names[i.param];
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyBreadth, ::testing::Values(0, 1, 2), breadthName);

TEST(TinyBreadthRules, Gemma3SlidingLayersReallyWindowTheKeys)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-gemma3");
    const ModelConfig& cfg = model->config();
    ASSERT_EQ(cfg.nLayers, 3);
    EXPECT_EQ(cfg.layers[0].mask, AttentionMask::sliding(4));
    EXPECT_EQ(cfg.layers[2].mask, AttentionMask::causal());
    EXPECT_FLOAT_EQ(cfg.layers[0].ropeTheta, 1e4f);
    EXPECT_FLOAT_EQ(cfg.layers[2].ropeTheta, 1e6f);
    EXPECT_EQ(cfg.layerRulesSummary(), "0–1: sliding window 4, RoPE θ 10000; 2: full (causal), RoPE θ 1000000");
}
