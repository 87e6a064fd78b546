// Gemma 3 270M (Q4_K_M GGUF with Q5_0, Q8_0, Q4_K and Q6_K tensors): next-token logits, heads' attention
// probabilities (every head of two sliding-window and two full layers on a short prompt; sampled rows beyond
// position 512 of a > 512-token prompt, where the 512-key window really cuts the row) and per-layer hidden maxima
// must equal HF transformers run on the same GGUF (eager attention, float32), from the fixture made by
// tests/fixtures/make_gemma3_reference.py.
//
// Tolerances (as for SmolLM2): logits |Δ| ≤ 5e-4 absolute over the top-20 and 256 probe ids, identical argmax;
// probabilities |Δ| ≤ 2e-5 absolute; hidden max ≤ 1e-3 relative. Measured maxima are printed.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

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

TEST(ForwardGemma3, LogitsSlidingAndFullMapsAndHiddenMatchTransformers)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kGemma3);
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/gemma3_reference.json");
    const nlohmann::json fx = nlohmann::json::parse(in);
    auto model = LoadedModel::open(path);
    const ModelConfig& cfg = model->config();
    ASSERT_EQ(cfg.nLayers, 18);
    ASSERT_EQ(cfg.vocabSize, fx["vocab_size"].get<int>());
    EXPECT_EQ(cfg.layers[0].mask, AttentionMask::sliding(512));
    EXPECT_EQ(cfg.layers[5].mask, AttentionMask::causal());
    cpu::CpuBackend backend(2);
    const auto probeIds = fx["probe_ids"].get<std::vector<int>>();
    double worstLogit = 0, worstProb = 0;
    int64_t windowCutRows = 0;

    for (const auto& c : fx["cases"]) {
        SCOPED_TRACE(c["kind"].get<std::string>());
        const auto ids = c["ids"].get<std::vector<int32_t>>();
        const int64_t T = static_cast<int64_t>(ids.size());
        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::Selected;
        for (const auto& h : c["heads"])
            spec.selected.insert({h["layer"].get<int>(), h["head"].get<int>()});
        spec.logits = CaptureSpec::Logits::Selected;
        for (const auto& p : c["positions"])
            spec.logitPositions.insert(p["position"].get<int64_t>());
        CollectingObserver obs(spec);
        runForward(*model, backend, ids, obs);

        ASSERT_EQ(obs.logits().size(), c["positions"].size());
        size_t pi = 0;
        for (const auto& p : c["positions"]) {
            const auto& [pos, logits] = obs.logits()[pi++];
            ASSERT_EQ(pos, p["position"].get<int64_t>());
            const auto argmax = std::max_element(logits.begin(), logits.end()) - logits.begin();
            EXPECT_EQ(argmax, p["argmax"].get<int64_t>()) << "position " << pos;
            double maxDiff = 0;
            const auto topIds = p["top_ids"].get<std::vector<int>>();
            const auto topLogits = p["top_logits"].get<std::vector<double>>();
            for (size_t i = 0; i < topIds.size(); ++i)
                maxDiff = std::max(maxDiff, std::fabs(logits[topIds[i]] - topLogits[i]));
            const auto probe = p["probe_logits"].get<std::vector<double>>();
            for (size_t i = 0; i < probeIds.size(); ++i)
                maxDiff = std::max(maxDiff, std::fabs(logits[probeIds[i]] - probe[i]));
            EXPECT_LE(maxDiff, 5e-4) << "position " << pos;
            worstLogit = std::max(worstLogit, maxDiff);
        }

        for (const auto& h : c["heads"]) {
            const int l = h["layer"], hd = h["head"];
            AttentionMapPtr m = obs.map(l, hd);
            ASSERT_TRUE(m) << "layer " << l << " head " << hd;
            ASSERT_EQ(m->tokens, T);
            double maxDiff = 0;
            const auto rows = h["rows"].get<std::vector<int64_t>>();
            for (size_t r = 0; r < rows.size(); ++r) {
                const int64_t i = rows[r];
                double rowSum = 0;
                for (int64_t j = 0; j < T; ++j) {
                    const double ref = h["probs"][r][j].get<double>();
                    maxDiff = std::max(maxDiff, std::fabs(m->at(i, j) - ref));
                    rowSum += m->at(i, j);
                    if (m->isMasked(i, j)) {
                        EXPECT_EQ(m->at(i, j), 0.f);
                        EXPECT_EQ(ref, 0.0) << "the reference puts weight on a key our mask removes";
                    }
                }
                EXPECT_NEAR(rowSum, 1.0, 1e-5);
                if (m->mask.kind == MaskKind::Sliding && i >= 512)
                    ++windowCutRows;
            }
            EXPECT_LE(maxDiff, 2e-5) << "layer " << l << " head " << hd;
            worstProb = std::max(worstProb, maxDiff);
        }

        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        ASSERT_EQ(obs.layerStats().size(), hidden.size());
        for (size_t l = 0; l + 1 < hidden.size(); ++l)   // the last HF hidden state is after the final norm
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-3 * hidden[l]) << "layer " << l;
    }
    EXPECT_GT(windowCutRows, 0) << "the long prompt must exercise rows the sliding window cuts";
    std::printf("[ measured ] Gemma 3 vs transformers: max |Δlogit| = %.2e, max |Δprob| = %.2e, %lld window-cut rows\n",
                worstLogit, worstProb, static_cast<long long>(windowCutRows));
}
