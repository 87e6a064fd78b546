// Gate capture and the gate statistics on a hand-built gated Qwen3 (the Gated Attention paper's layout) whose
// numbers can be worked out by hand: every token embeds to x = (1, 1, 1, 1), so the normed input is x̂ ≈ x; zero
// q/k rows make the attention uniform over the causal keys, and every token's value is v = (3, 4) (|v| = 5), so
// each head's SDPA output is (3, 4) at every position. Gate rows pick one input dim each:
//   headwise     head 0: σ(ln 3) = 0.75      head 1: σ(−ln 19) = 0.05
//   elementwise  head 0: σ(ln 3), σ(0) = 0.75, 0.5      head 1: σ(−ln 19), σ(ln 4) = 0.05, 0.8
// Post-gate norms: headwise 3.75 and 0.25; elementwise |(2.25, 2)| and |(0.15, 3.2)|. The first-token share of a
// uniform causal map over 3 tokens is (1/2 + 1/3) / 2 over rows 1 and 2.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/metrics/layer_report.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "kernels/cpu/cpu_backend.h"
#include "tests/core/support/temp_dir.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace attnscope;

namespace {

constexpr int kVocab = 320;   // the tokenizer borrowed from a tiny fixture

/// A minimal float32 safetensors file: 8-byte header length, JSON header, data.
class Safetensors {
public:
    Safetensors& tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v)
    {
        const uint64_t begin = m_data.size() * sizeof(float);
        m_header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, begin + v.size() * sizeof(float)}}};
        m_data.insert(m_data.end(), v.begin(), v.end());
        return *this;
    }
    std::vector<uint8_t> bytes() const
    {
        std::string h = m_header.dump();
        while (h.size() % 8)
            h += ' ';
        std::vector<uint8_t> out(8 + h.size() + m_data.size() * sizeof(float));
        const uint64_t n = h.size();
        std::memcpy(out.data(), &n, 8);
        std::memcpy(out.data() + 8, h.data(), h.size());
        std::memcpy(out.data() + 8 + h.size(), m_data.data(), m_data.size() * sizeof(float));
        return out;
    }

private:
    nlohmann::json m_header = nlohmann::json::object();
    std::vector<float> m_data;
};

std::vector<float> zeros(size_t n)
{
    return std::vector<float>(n, 0.f);
}

std::string fixtureText(const std::string& rel)
{
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/" + rel, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// One layer: D 4, 2 heads of 2 sharing 1 KV head (G = 2: q_proj rows [q0 q0 q1 q1 | gates]), FFN 2 (zero MLP).
void writeModel(const test::TempDir& dir, bool elementwise)
{
    const float l3 = std::log(3.f), l19 = std::log(19.f), l4 = std::log(4.f);
    std::vector<float> q = zeros(4 * 4);   // query rows of both heads: zero, so every score is 0
    std::vector<float> g;
    if (!elementwise)
        g = {l3, 0, 0, 0, /**/ 0, 0, -l19, 0};
    else
        g = {l3, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, -l19, 0, /**/ 0, 0, 0, l4};
    q.insert(q.end(), g.begin(), g.end());
    const int64_t qRows = static_cast<int64_t>(q.size() / 4);
    std::vector<float> embed(kVocab * 4, 1.f);
    const std::string p = "model.layers.0.";
    Safetensors b;
    b.tensor("model.embed_tokens.weight", {kVocab, 4}, embed)
        .tensor("model.norm.weight", {4}, {1, 1, 1, 1})
        .tensor("lm_head.weight", {kVocab, 4}, zeros(kVocab * 4))
        .tensor(p + "input_layernorm.weight", {4}, {1, 1, 1, 1})
        .tensor(p + "self_attn.q_proj.weight", {qRows, 4}, q)
        .tensor(p + "self_attn.k_proj.weight", {2, 4}, zeros(8))
        .tensor(p + "self_attn.v_proj.weight", {2, 4}, {3, 0, 0, 0, 0, 4, 0, 0})
        .tensor(p + "self_attn.o_proj.weight", {4, 4}, zeros(16))
        .tensor(p + "self_attn.q_norm.weight", {2}, {1, 1})
        .tensor(p + "self_attn.k_norm.weight", {2}, {1, 1})
        .tensor(p + "post_attention_layernorm.weight", {4}, {1, 1, 1, 1})
        .tensor(p + "mlp.gate_proj.weight", {2, 4}, zeros(8))
        .tensor(p + "mlp.up_proj.weight", {2, 4}, zeros(8))
        .tensor(p + "mlp.down_proj.weight", {4, 2}, zeros(8));
    dir.write("model.safetensors", b.bytes());
    dir.write("config.json", std::string(R"({"model_type":"qwen3","num_hidden_layers":1,"hidden_size":4,
        "intermediate_size":2,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":2,"vocab_size":320,
        "rms_norm_eps":1e-6,"tie_word_embeddings":false,"use_qk_norm":true,)") +
                                (elementwise ? R"("elementwise_attn_output_gate":true})" : R"("headwise_attn_output_gate":true})"));
    dir.write("tokenizer.json", fixtureText("tiny/tiny-qwen3-gate-headwise/tokenizer.json"));
}

struct GatedRun {
    CaptureStore store;
    LayerReport report;
};

GatedRun runGated(bool elementwise)
{
    test::TempDir dir;
    writeModel(dir, elementwise);
    auto model = LoadedModel::open(dir.path().string());
    EXPECT_EQ(model->config().outputGate, elementwise ? OutputGate::Elementwise : OutputGate::Headwise);
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;
    spec.logits = CaptureSpec::Logits::None;
    spec.quantities = {Quantity::AttentionProbs, Quantity::Gate, Quantity::AttnOutNormPre, Quantity::AttnOutNormPost};
    CollectingObserver obs(spec);
    cpu::CpuBackend backend(1);
    const std::vector<int32_t> ids = {5, 6, 7};
    runForward(*model, backend, ids, obs);
    std::vector<AttentionMapPtr> maps;
    std::vector<CapturedSeriesPtr> series;
    for (int h = 0; h < 2; ++h) {
        maps.push_back(obs.store().map(0, h));
        for (Quantity q : {Quantity::Gate, Quantity::AttnOutNormPre, Quantity::AttnOutNormPost})
            series.push_back(obs.store().series(q, 0, h));
    }
    LayerReportBuilder builder(2);
    builder.addLayer(0, obs.layerStats().at(0), maps, series);
    return {obs.takeStore(), builder.report().layers.at(0)};
}

} // namespace

TEST(GateCapture, HeadwiseGatesAndNormsByHand)
{
    const GatedRun r = runGated(false);
    const double want[2] = {0.75, 0.05}, post[2] = {3.75, 0.25};
    for (int h = 0; h < 2; ++h) {
        CapturedSeriesPtr g = r.store.series(Quantity::Gate, 0, h);
        ASSERT_TRUE(g);
        EXPECT_EQ(g->shape, (std::vector<int64_t>{3}));
        for (float v : g->values)
            EXPECT_NEAR(v, want[h], 1e-6) << "head " << h;
        for (float v : r.store.series(Quantity::AttnOutNormPre, 0, h)->values)
            EXPECT_NEAR(v, 5.0, 1e-5);
        for (float v : r.store.series(Quantity::AttnOutNormPost, 0, h)->values)
            EXPECT_NEAR(v, post[h], 1e-5);
    }
    // The stats `attnscope-cli stats` prints for this layer.
    ASSERT_TRUE(r.report.gateMean);
    EXPECT_NEAR(*r.report.gateMean, 0.4, 1e-6);
    EXPECT_DOUBLE_EQ(r.report.gateFracBelow.at(0.5), 0.5);
    EXPECT_DOUBLE_EQ(r.report.gateFracBelow.at(0.1), 0.5);
    EXPECT_DOUBLE_EQ(r.report.gateFracBelow.at(0.01), 0.0);
    EXPECT_NEAR(*r.report.attnOutNormBeforeGate, 5.0, 1e-5);
    EXPECT_NEAR(*r.report.attnOutNormAfterGate, (3.75 + 0.25) / 2, 1e-5);
    EXPECT_NEAR(*r.report.firstTokenShare, (1.0 / 2 + 1.0 / 3) / 2, 1e-6);
}

TEST(GateCapture, ElementwiseGatesPerDimensionByHand)
{
    const GatedRun r = runGated(true);
    const double want[2][2] = {{0.75, 0.5}, {0.05, 0.8}};
    for (int h = 0; h < 2; ++h) {
        CapturedSeriesPtr g = r.store.series(Quantity::Gate, 0, h);
        ASSERT_TRUE(g);
        EXPECT_EQ(g->shape, (std::vector<int64_t>{3, 2}));
        for (int t = 0; t < 3; ++t)
            for (int j = 0; j < 2; ++j)
                EXPECT_NEAR(g->values[size_t(t * 2 + j)], want[h][j], 1e-6) << "head " << h << " dim " << j;
        const double post = std::hypot(3 * want[h][0], 4 * want[h][1]);
        for (float v : r.store.series(Quantity::AttnOutNormPost, 0, h)->values)
            EXPECT_NEAR(v, post, 1e-5);
    }
    ASSERT_TRUE(r.report.gateMean);
    EXPECT_NEAR(*r.report.gateMean, (0.75 + 0.5 + 0.05 + 0.8) / 4, 1e-6);
    EXPECT_DOUBLE_EQ(r.report.gateFracBelow.at(0.5), 0.25);   // 0.05 (0.5 itself is not below)
    EXPECT_DOUBLE_EQ(r.report.gateFracBelow.at(0.1), 0.25);
    EXPECT_NEAR(*r.report.attnOutNormAfterGate, (std::hypot(2.25, 2.0) + std::hypot(0.15, 3.2)) / 2, 1e-5);
}
