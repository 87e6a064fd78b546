// SmolLM2-135M-Instruct (Q4_1 GGUF): next-token logits, sampled heads' attention probabilities and per-layer
// hidden maxima must equal HF transformers run on the same GGUF (eager attention, float32), from the fixture
// made by tests/fixtures/make_smollm2_reference.py.
//
// Tolerances (stated): logits |Δ| ≤ 5e-4 absolute (logits are O(10); both sides accumulate in fp32 but sum in
// different orders), identical argmax; probabilities |Δ| ≤ 2e-5 absolute; hidden max |Δ| ≤ 1e-3 relative.
// Measured on the reference machine: max |Δlogit| 5.6e-5, max |Δprob| 2.7e-6 (printed by the test).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

nlohmann::json loadFixture()
{
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/smollm2_reference.json");
    return nlohmann::json::parse(in);
}

} // namespace

TEST(ForwardSmolLM2, LogitsAttentionAndHiddenMatchTransformers)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kSmolLM2);
    const nlohmann::json fx = loadFixture();
    auto model = LoadedModel::open(path);
    ASSERT_EQ(model->config().nLayers, 30);
    ASSERT_EQ(model->config().vocabSize, fx["vocab_size"].get<int>());
    cpu::CpuBackend backend(2);
    const auto probeIds = fx["probe_ids"].get<std::vector<int>>();
    double worstLogit = 0, worstProb = 0;

    for (const auto& c : fx["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
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

        // --- logits ---
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
            // log-sum-exp over the whole vocabulary checks every logit at once
            double mx = *std::max_element(logits.begin(), logits.end()), z = 0;
            for (float l : logits)
                z += std::exp(double(l) - mx);
            EXPECT_NEAR(mx + std::log(z), p["logsumexp"].get<double>(), 5e-4) << "position " << pos;
        }

        // --- attention probabilities ---
        for (const auto& h : c["heads"]) {
            const int l = h["layer"], hd = h["head"];
            AttentionMapPtr m = obs.map(l, hd);
            ASSERT_TRUE(m) << "layer " << l << " head " << hd;
            ASSERT_EQ(m->tokens, T);
            double maxDiff = 0;
            for (int64_t i = 0; i < T; ++i) {
                double rowSum = 0;
                for (int64_t j = 0; j < T; ++j) {
                    const double ref = h["probs"][i][j].get<double>();
                    maxDiff = std::max(maxDiff, std::fabs(m->at(i, j) - ref));
                    rowSum += m->at(i, j);
                    if (j > i) {
                        EXPECT_EQ(m->at(i, j), 0.f);
                    }
                }
                EXPECT_NEAR(rowSum, 1.0, 1e-5);
            }
            EXPECT_LE(maxDiff, 2e-5) << "layer " << l << " head " << hd;
            worstProb = std::max(worstProb, maxDiff);
        }

        // --- massive activations: residual-stream max per layer ---
        const auto hidden = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        ASSERT_EQ(obs.layerStats().size(), hidden.size());
        for (size_t l = 0; l + 1 < hidden.size(); ++l)   // the last HF hidden state is after the final norm
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, hidden[l], 1e-3 * hidden[l]) << "layer " << l;
    }
    // Reported so the margin to the tolerances stays visible in test logs.
    std::printf("SmolLM2 vs transformers: max |Δlogit| = %.2e, max |Δprob| = %.2e\n", worstLogit, worstProb);
}

TEST(ForwardSmolLM2, CancelStopsBetweenLayersWithoutResult)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kSmolLM2);
    auto model = LoadedModel::open(path);
    cpu::CpuBackend backend(2);
    std::vector<int32_t> ids(64, 28);
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;
    CollectingObserver obs(spec);
    int layersSeen = 0;
    obs.layerCallback = [&](const LayerStats&) { return ++layersSeen < 3; };   // observer says stop after 3
    try {
        runForward(*model, backend, ids, obs);
        FAIL() << "expected cancellation";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    EXPECT_EQ(layersSeen, 3);
    EXPECT_TRUE(obs.logits().empty());

    std::stop_source src;
    src.request_stop();
    ForwardOptions opt;
    opt.stop = src.get_token();
    CollectingObserver obs2(spec);
    EXPECT_THROW(runForward(*model, backend, ids, obs2, opt), Error);
    EXPECT_TRUE(obs2.layerStats().empty());
}

TEST(ForwardSmolLM2, RejectsOutOfVocabularyIdsAndEmptyInput)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kSmolLM2);
    auto model = LoadedModel::open(path);
    cpu::CpuBackend backend(1);
    CollectingObserver obs({});
    std::vector<int32_t> bad = {1, 49152};
    try {
        runForward(*model, backend, bad, obs);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("outside the vocabulary"), std::string::npos);
    }
    std::vector<int32_t> none;
    EXPECT_THROW(runForward(*model, backend, none, obs), Error);
}
