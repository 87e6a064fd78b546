// all-MiniLM-L6-v2 (BERT, safetensors folder): every head's map of every layer and the last hidden state must
// equal HF transformers' BertModel on the same folder (eager attention, float32), from the fixture made by
// tests/fixtures/make_minilm_reference.py. Bidirectional: no cell of any map is masked. The run request reports
// hidden states and says there is no next-token prediction.
// Tolerances: probabilities 1e-5 absolute, last hidden state 1e-4 absolute (values O(1)), maxima 1e-4 relative.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

#include "core/backend/backend_set.h"
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

TEST(ForwardMiniLM, MapsAndLastHiddenStateMatchTransformers)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kMiniLM);
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/minilm_reference.json");
    const nlohmann::json fx = nlohmann::json::parse(in);
    auto model = LoadedModel::open(path);
    const ModelConfig& cfg = model->config();
    ASSERT_EQ(cfg.nLayers, 6);
    ASSERT_EQ(cfg.nHeads, 12);
    EXPECT_FALSE(cfg.causal());
    cpu::CpuBackend backend(2);
    double worstProb = 0, worstHidden = 0;
    for (const auto& c : fx["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
        const auto ids = c["ids"].get<std::vector<int32_t>>();
        EXPECT_EQ(model->tokenizer().encode(c["text"].get<std::string>()).ids, ids);
        const int64_t T = static_cast<int64_t>(ids.size());
        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.quantities.insert(Quantity::FinalHidden);
        CollectingObserver obs(spec);
        runForward(*model, backend, ids, obs);
        for (int l = 0; l < cfg.nLayers; ++l)
            for (int h = 0; h < cfg.nHeads; ++h) {
                AttentionMapPtr m = obs.map(l, h);
                ASSERT_TRUE(m);
                for (int64_t i = 0; i < T; ++i)
                    for (int64_t j = 0; j < T; ++j) {
                        ASSERT_FALSE(m->isMasked(i, j));
                        worstProb = std::max(worstProb, std::fabs(m->at(i, j) - c["attentions"][l][h][i][j].get<double>()));
                    }
            }
        CapturedSeriesPtr hs = obs.store().series(Quantity::FinalHidden, -1, -1);
        ASSERT_TRUE(hs);
        for (int64_t i = 0; i < T; ++i)
            for (int64_t k = 0; k < cfg.dModel; ++k)
                worstHidden = std::max(worstHidden, std::fabs(hs->values[size_t(i * cfg.dModel + k)] -
                                                              c["last_hidden_state"][i][k].get<double>()));
        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        for (size_t l = 0; l < hidden.size(); ++l)
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-4 * hidden[l]) << "layer " << l;
    }
    std::printf("[ measured ] MiniLM max |Δprob| %.2e, max |Δ last hidden| %.2e\n", worstProb, worstHidden);
    EXPECT_LE(worstProb, 1e-5);
    EXPECT_LE(worstHidden, 1e-4);
}

TEST(ForwardMiniLM, TheRunRequestSaysThereIsNoNextTokenPrediction)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kMiniLM);
    auto model = LoadedModel::open(path);
    BackendSet backends;
    backends.primary = std::make_unique<cpu::CpuBackend>(2);
    RunRequest req;
    req.text = "Attention is bidirectional in BERT.";
    req.capture.quantities.insert(Quantity::FinalHidden);
    const RunResult r = executeRun(model, backends, req);
    EXPECT_FALSE(r.hasLmHead);
    EXPECT_TRUE(r.logits.empty());
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes.back().find("no next-token prediction"), std::string::npos);
    EXPECT_TRUE(r.captures.series(Quantity::FinalHidden, -1, -1));
    EXPECT_EQ(r.layerStats.size(), 6u);
}
