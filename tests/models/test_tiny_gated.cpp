// Tiny random checkpoints with output-gated attention (tests/fixtures/make_gated_models.py): the Gated Attention
// paper's Qwen3 layout (gate rows per KV group, headwise and elementwise; reference forward written from the
// paper's formula and layout) and Qwen3-Next written and run by transformers (per-head [query | gate] q_proj,
// (1 + w) norms, partial RoPE, Gated DeltaNet layers, MoE MLPs with a gated shared expert). Token ids, logits at
// every position, every softmax head's map, the gate values, the SDPA output norms before/after the gate, the
// residual stream after every layer and the DeltaNet β, decay and SiLU(z) gate must equal the reference with the
// tolerances of the other tiny fixtures: logits 1e-4, probabilities and gates 1e-5, hidden states 1e-4 (absolute).
// The same checks run on the all-MoE Qwen3-Next of tests/fixtures/make_qwen3next_gguf.py, once from its HF folder and
// once from the GGUF llama.cpp's convert_hf_to_gguf.py wrote of it (docs/GATED.md "GGUF files"), against the one
// transformers reference.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/model/packed_projection.h"
#include "core/model/weight_store.h"
#include "core/attention/attention_spec.h"
#include "core/backend/backend_set.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

nlohmann::json readJson(const char* file)
{
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + file);
    return nlohmann::json::parse(in);
}

const nlohmann::json& reference()
{
    static const nlohmann::json j = readJson("reference_gated.json");
    return j;
}

/// The all-MoE Qwen3-Next of make_qwen3next_gguf.py: its HF folder ("folder") and llama.cpp's GGUF of it ("gguf").
const nlohmann::json& ggufReference()
{
    static const nlohmann::json j = readJson("reference_qwen3next_gguf.json");
    return j["models"][0];
}

std::string folder(const nlohmann::json& m)
{
    return std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + m["folder"].get<std::string>();
}

/// Parameters 0–2: reference_gated.json's models; 3: the all-MoE Qwen3-Next folder; 4: llama.cpp's GGUF of it.
constexpr int kGgufTwinFolder = 3, kGgufTwinFile = 4;

const nlohmann::json& modelOf(int param)
{
    return param < kGgufTwinFolder ? reference()["models"][param] : ggufReference();
}

std::string pathOf(int param)
{
    const nlohmann::json& m = modelOf(param);
    return param == kGgufTwinFile ? std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + m["gguf"].get<std::string>() : folder(m);
}

/// Max |a − b| over a captured [T] or [T, w] series and a reference [T] or [T][w].
double seriesError(const CapturedSeries& s, const nlohmann::json& ref)
{
    double e = 0;
    const size_t T = ref.size();
    const size_t w = T ? s.values.size() / T : 0;
    EXPECT_EQ(s.values.size(), T * w);
    for (size_t t = 0; t < T; ++t) {
        if (ref[t].is_array()) {
            EXPECT_EQ(ref[t].size(), w);
            for (size_t j = 0; j < w && j < ref[t].size(); ++j)
                e = std::max(e, std::fabs(s.values[t * w + j] - ref[t][j].get<double>()));
        } else {
            EXPECT_EQ(w, 1u);
            e = std::max(e, std::fabs(s.values[t] - ref[t].get<double>()));
        }
    }
    return e;
}

struct Measured {
    double logit = 0, prob = 0, gate = 0, norm = 0, hidden = 0, beta = 0, decay = 0, zgate = 0;
};

} // namespace

class TinyGated : public ::testing::TestWithParam<int> {};

TEST_P(TinyGated, MatchesReference)
{
    const nlohmann::json& m = modelOf(GetParam());
    const std::string path = pathOf(GetParam());
    const std::string name = path.substr(path.rfind('/') + 1);
    SCOPED_TRACE(name);
    auto model = LoadedModel::open(path);
    const ModelConfig& cfg = model->config();
    EXPECT_EQ(std::string(cfg.arch->name), m["architecture"].get<std::string>());
    EXPECT_EQ(outputGateName(cfg.outputGate), m["gate"].get<std::string>());
    EXPECT_EQ(gateLayoutName(cfg.gateLayout), m["gate_layout"].get<std::string>());
    cpu::CpuBackend backend(2);
    Measured worst;
    for (const auto& c : m["cases"]) {
        SCOPED_TRACE(c["text"].get<std::string>());
        const auto ids = c["ids"].get<std::vector<int32_t>>();
        EXPECT_EQ(model->tokenizer().encode(c["text"].get<std::string>()).ids, ids);
        const int64_t T = static_cast<int64_t>(ids.size());

        CaptureSpec spec;
        spec.heads = CaptureSpec::Heads::All;
        spec.logits = CaptureSpec::Logits::All;
        spec.quantities = {Quantity::AttentionProbs, Quantity::Gate, Quantity::AttnOutNormPre, Quantity::AttnOutNormPost,
                           Quantity::HiddenState, Quantity::DeltaBeta, Quantity::DeltaDecay, Quantity::DeltaOutputGate};
        CollectingObserver obs(spec);
        runForward(*model, backend, ids, obs);
        const CaptureStore& store = obs.store();

        ASSERT_EQ(obs.logits().size(), static_cast<size_t>(T));
        for (int64_t p = 0; p < T; ++p) {
            const auto& ref = c["logits"][p];
            const auto& got = obs.logits()[p].second;
            ASSERT_EQ(got.size(), ref.size());
            for (size_t v = 0; v < got.size(); ++v)
                worst.logit = std::max(worst.logit, std::fabs(got[v] - ref[v].get<double>()));
        }

        const auto softmaxLayers = c["softmax_layers"].get<std::vector<int>>();
        for (int l = 0; l < cfg.nLayers; ++l) {
            const bool softmax = std::find(softmaxLayers.begin(), softmaxLayers.end(), l) != softmaxLayers.end();
            EXPECT_EQ(cfg.layers[size_t(l)].hasSoftmaxMap(), softmax) << "layer " << l;
            if (!softmax) {
                for (int h = 0; h < cfg.nHeads; ++h)
                    EXPECT_FALSE(obs.map(l, h)) << "a Gated DeltaNet layer has no softmax map (layer " << l << ")";
                continue;
            }
            const size_t s = static_cast<size_t>(std::find(softmaxLayers.begin(), softmaxLayers.end(), l) - softmaxLayers.begin());
            for (int h = 0; h < cfg.nHeads; ++h) {
                if (c.contains("attentions")) {
                    AttentionMapPtr map = obs.map(l, h);
                    ASSERT_TRUE(map);
                    const auto& ref = c["attentions"][s][h];
                    for (int64_t i = 0; i < T; ++i)
                        for (int64_t j = 0; j < T; ++j)
                            worst.prob = std::max(worst.prob, std::fabs(map->at(i, j) - ref[i][j].get<double>()));
                }
                CapturedSeriesPtr g = store.series(Quantity::Gate, l, h);
                CapturedSeriesPtr pre = store.series(Quantity::AttnOutNormPre, l, h);
                CapturedSeriesPtr post = store.series(Quantity::AttnOutNormPost, l, h);
                ASSERT_TRUE(g && pre && post);
                EXPECT_EQ(g->shape.size(), cfg.outputGate == OutputGate::Headwise ? 1u : 2u);
                worst.gate = std::max(worst.gate, seriesError(*g, c["gates"][s][h]));
                // Norms are relative to their size: tiny-model SDPA outputs reach ~10.
                for (const auto& [series, key] : {std::pair{pre, "attn_out_norm_pre"}, std::pair{post, "attn_out_norm_post"}})
                    for (int64_t t = 0; t < T; ++t) {
                        const double ref = c[key][s][h][t].get<double>();
                        worst.norm = std::max(worst.norm, std::fabs(series->values[size_t(t)] - ref) / std::max(1.0, ref));
                    }
            }
        }
        if (c.contains("deltanet_layers")) {
            const auto dl = c["deltanet_layers"].get<std::vector<int>>();
            for (size_t s = 0; s < dl.size(); ++s)
                for (int h = 0; h < cfg.deltaNet.valueHeads; ++h) {
                    CapturedSeriesPtr beta = store.series(Quantity::DeltaBeta, dl[s], h);
                    CapturedSeriesPtr decay = store.series(Quantity::DeltaDecay, dl[s], h);
                    CapturedSeriesPtr z = store.series(Quantity::DeltaOutputGate, dl[s], h);
                    ASSERT_TRUE(beta && decay && z) << "layer " << dl[s] << " value head " << h;
                    worst.beta = std::max(worst.beta, seriesError(*beta, c["deltanet_beta"][s][h]));
                    worst.decay = std::max(worst.decay, seriesError(*decay, c["deltanet_decay"][s][h]));
                    worst.zgate = std::max(worst.zgate, seriesError(*z, c["deltanet_z_gate"][s][h]));
                }
        }
        // The residual stream after every layer but the last (HF's last hidden state is after the final norm).
        const auto& hidden = c["hidden_after_layer"];
        for (size_t l = 0; l < hidden.size(); ++l) {
            CapturedSeriesPtr h = store.series(Quantity::HiddenState, static_cast<int>(l), -1);
            ASSERT_TRUE(h);
            for (int64_t t = 0; t < T; ++t)
                for (int64_t k = 0; k < cfg.dModel; ++k)
                    worst.hidden = std::max(worst.hidden, std::fabs(h->values[size_t(t * cfg.dModel + k)] - hidden[l][t][k].get<double>()));
        }
        const auto maxima = c["hidden_max_abs_after_layer"].get<std::vector<double>>();
        for (size_t l = 0; l + 1 < maxima.size(); ++l)
            EXPECT_NEAR(obs.layerStats()[l].hiddenMaxAbs, maxima[l], 1e-4 * maxima[l]) << "layer " << l;
    }
    EXPECT_LE(worst.logit, 1e-4);
    EXPECT_LE(worst.prob, 1e-5);
    EXPECT_LE(worst.gate, 1e-5);
    EXPECT_LE(worst.norm, 1e-5);
    EXPECT_LE(worst.hidden, 1e-4);
    EXPECT_LE(worst.beta, 1e-5);
    EXPECT_LE(worst.decay, 1e-5);
    EXPECT_LE(worst.zgate, 1e-4);
    std::printf("[ measured ] %s max |Δ logit| %.2e |Δ prob| %.2e |Δ gate| %.2e |Δ norm| %.2e (rel) |Δ hidden| %.2e "
                "|Δ β| %.2e |Δ decay| %.2e |Δ SiLU(z)| %.2e\n",
                name.c_str(), worst.logit, worst.prob, worst.gate, worst.norm, worst.hidden, worst.beta, worst.decay,
                worst.zgate);
}

std::string gatedName(const ::testing::TestParamInfo<int>& i)
{
    static const char* names[] = {"PaperHeadwise", "PaperElementwise", "Qwen3Next", "Qwen3NextMoeHf", "Qwen3NextMoeGguf"};
    return names[i.param];
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyGated, ::testing::Values(0, 1, 2, kGgufTwinFolder, kGgufTwinFile), gatedName);

TEST(WeightStoreRows, ConcatenatedPartsAreTheRowsOfTheConvertedTensorAndStreamingFreesThem)
{
    auto model = LoadedModel::open(folder(reference()["models"][0]));   // headwise: q_proj [4·16 + 4, 48]
    cpu::CpuBackend backend(1);
    WeightStore store(*model, backend);
    ASSERT_TRUE(store.resident());
    const BoundTensor& q = model->plan().get(TensorRole::Q, 0);
    const int64_t rows = q.info->shape[0], cols = q.info->shape[1];
    const std::vector<float> whole(store.get(q), store.get(q) + q.info->elementCount());
    // Parts [64, 68) then [0, 64): the gate rows first, then every query row.
    const RowLayout layout = concatenatedRows("test", {{{64, 4}}, {{0, 64}}});
    ASSERT_EQ(rowCount({{64, 4}}) + rowCount({{0, 64}}), rows);
    const float* r = store.getRearranged(q, layout);
    for (int64_t c = 0; c < cols; ++c) {
        EXPECT_EQ(r[c], whole[size_t(64 * cols + c)]);
        EXPECT_EQ(r[3 * cols + c], whole[size_t(67 * cols + c)]);
        EXPECT_EQ(r[4 * cols + c], whole[size_t(c)]);
    }
    EXPECT_EQ(store.getRearranged(q, layout), r) << "a layout is converted once and kept";
    const BoundTensor& norm = model->plan().get(TensorRole::QNorm, 0);   // a vector: rows are elements
    const RowLayout swap = concatenatedRows("swap", {{{8, 8}}, {{0, 8}}});
    EXPECT_EQ(store.getRearranged(norm, swap)[0], store.get(norm)[8]);
    EXPECT_THROW(store.getRearranged(q, concatenatedRows("short", {{{0, 10}}})), Error) << "parts must cover every row";

    WeightStore streaming(*model, backend, 1);
    ASSERT_FALSE(streaming.resident());
    streaming.getRearranged(q, layout);
    EXPECT_GT(streaming.heldBytes(), 0u);
    streaming.endLayer();
    EXPECT_EQ(streaming.heldBytes(), 0u);
}

TEST(TinyGatedRules, InfoSaysWhichLayersHaveNoSoftmaxMap)
{
    auto model = LoadedModel::open(folder(reference()["models"][2]));
    EXPECT_EQ(model->config().layerRulesSummary(),
              "0: Gated DeltaNet (linear attention, no softmax map); 1: full (causal), RoPE θ 10000; "
              "2: Gated DeltaNet (linear attention, no softmax map); 3: full (causal), RoPE θ 10000");
}

TEST(TinyGatedRules, Qwen3NextStreamingWeightsGiveTheSameLogits)
{
    // Streaming mode converts each layer's tensors (and only the experts the router picked) and frees them.
    auto model = LoadedModel::open(folder(reference()["models"][2]));
    const auto ids = reference()["models"][2]["cases"][0]["ids"].get<std::vector<int32_t>>();
    cpu::CpuBackend backend(2);
    CaptureSpec spec;
    spec.logits = CaptureSpec::Logits::All;
    CollectingObserver resident(spec), streamed(spec);
    runForward(*model, backend, ids, resident);
    WeightStore streaming(*model, backend, 1);
    runForward(*model, backend, ids, streamed, {}, &streaming);
    ASSERT_EQ(resident.logits().size(), streamed.logits().size());
    for (size_t p = 0; p < resident.logits().size(); ++p)
        EXPECT_EQ(resident.logits()[p].second, streamed.logits()[p].second) << p;
    EXPECT_EQ(streaming.heldBytes(), 0u);
}

TEST(TinyGatedRules, AVariantOnAHybridModelSaysTheDeltaNetLayersRunUnchanged)
{
    auto model = LoadedModel::open(folder(reference()["models"][2]));
    BackendSet backends;
    backends.primary = std::make_unique<cpu::CpuBackend>(1);
    RunRequest req;
    req.text = "Gates close where heads attend to the first token.";
    req.keepLogits = true;
    const RunResult base = executeRun(model, backends, req);
    req.variant = AttentionSpec::parse("sliding:window=4");
    const RunResult windowed = executeRun(model, backends, req);
    bool said = false;
    for (const std::string& n : windowed.notes)
        said = said || n.find("Gated DeltaNet layers have no softmax to replace") != std::string::npos;
    EXPECT_TRUE(said);
    ASSERT_EQ(base.logits.size(), 1u);
    EXPECT_NE(base.logits[0].logits, windowed.logits[0].logits) << "the gated softmax layers did change";
}
