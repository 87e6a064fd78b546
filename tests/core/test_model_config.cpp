// Model-level validation after the container parse (docs/SECURITY.md "Model-level checks"): counts capped, KV
// heads dividing heads, every tensor present with the shape its role implies, tensors no role claims refused
// inside layers and reported outside them, values the engine cannot honour refused naming the field, unknown
// architectures refused by name; plus the per-layer attention rules of the architecture table.
// Checkpoints are described by hand (no file).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/model/layer_plan.h"
#include "core/model/model_config.h"
#include "core/util/error.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace attnscope;

namespace {

MetaValue u(uint64_t v)
{
    MetaValue m;
    m.type = MetaValue::Type::UInt;
    m.u = v;
    m.i = static_cast<int64_t>(v);
    m.f = static_cast<double>(v);
    return m;
}
MetaValue f(double v)
{
    MetaValue m;
    m.type = MetaValue::Type::Float;
    m.f = v;
    return m;
}
MetaValue s(const std::string& v)
{
    MetaValue m;
    m.type = MetaValue::Type::String;
    m.s = v;
    return m;
}

void addTensor(Checkpoint& c, const std::string& name, std::vector<int64_t> shape)
{
    TensorInfo t;
    t.name = name;
    t.dtype = DType::F32;
    t.shape = std::move(shape);
    c.tensors.push_back(t);
}

/// A consistent 2-layer llama GGUF description: D 16, 4 heads of 4, 2 KV heads, FFN 32, vocab 50.
Checkpoint smallLlama()
{
    Checkpoint c;
    c.format = CheckpointFormat::Gguf;
    c.path = "small.gguf";
    c.metadata["general.architecture"] = s("llama");
    c.metadata["llama.block_count"] = u(2);
    c.metadata["llama.embedding_length"] = u(16);
    c.metadata["llama.feed_forward_length"] = u(32);
    c.metadata["llama.attention.head_count"] = u(4);
    c.metadata["llama.attention.head_count_kv"] = u(2);
    c.metadata["llama.rope.freq_base"] = f(10000.0);
    c.metadata["llama.attention.layer_norm_rms_epsilon"] = f(1e-5);
    addTensor(c, "token_embd.weight", {50, 16});
    addTensor(c, "output_norm.weight", {16});
    for (int l = 0; l < 2; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        addTensor(c, p + "attn_norm.weight", {16});
        addTensor(c, p + "attn_q.weight", {16, 16});
        addTensor(c, p + "attn_k.weight", {8, 16});
        addTensor(c, p + "attn_v.weight", {8, 16});
        addTensor(c, p + "attn_output.weight", {16, 16});
        addTensor(c, p + "ffn_norm.weight", {16});
        addTensor(c, p + "ffn_gate.weight", {32, 16});
        addTensor(c, p + "ffn_up.weight", {32, 16});
        addTensor(c, p + "ffn_down.weight", {16, 32});
    }
    c.buildIndex();
    return c;
}

void expectError(const Checkpoint& c, ErrorKind kind, const std::string& needle)
{
    try {
        ModelConfig cfg = modelConfigFromCheckpoint(c);
        buildLayerPlan(c, cfg);
        FAIL() << "expected an error containing '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

} // namespace

TEST(ModelConfig, ConsistentLlamaDescriptionIsAccepted)
{
    Checkpoint c = smallLlama();
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_EQ(cfg.nLayers, 2);
    EXPECT_EQ(cfg.headDim, 4);
    EXPECT_EQ(cfg.groupSize(), 2);
    EXPECT_EQ(cfg.ropeDims, 4);
    EXPECT_EQ(cfg.vocabSize, 50);
    EXPECT_TRUE(cfg.tiedEmbeddings);   // no output.weight
    EXPECT_EQ(cfg.ropePairing, RopePairing::Adjacent);
    EXPECT_EQ(cfg.layerRulesSummary(), "0–1: full (causal), RoPE θ 10000");
    LayerPlan plan = buildLayerPlan(c, cfg);
    EXPECT_FALSE(plan.get(TensorRole::Output));   // tied: the lm head reuses the token embedding
    EXPECT_TRUE(plan.get(TensorRole::TokenEmbedding));
    EXPECT_EQ(plan.layers.size(), 2u);
    EXPECT_EQ(plan.get(TensorRole::Q, 1).info->name, "blk.1.attn_q.weight");
    EXPECT_TRUE(plan.unused.empty());
}

TEST(ModelConfig, BlockCountOverTheCapIsRefused)
{
    Checkpoint c = smallLlama();
    c.metadata["llama.block_count"] = u(513);
    expectError(c, ErrorKind::Model, "n_layers");
    c.metadata["llama.block_count"] = u(1ull << 40);
    expectError(c, ErrorKind::Model, "out of range");
}

TEST(ModelConfig, ZeroHeadsAndNonDividingKvHeadsAreRefused)
{
    Checkpoint c = smallLlama();
    c.metadata["llama.attention.head_count"] = u(0);
    expectError(c, ErrorKind::Model, "n_heads");
    c = smallLlama();
    c.metadata["llama.attention.head_count_kv"] = u(3);
    expectError(c, ErrorKind::Model, "do not divide");
    c.metadata["llama.attention.head_count_kv"] = u(8);
    expectError(c, ErrorKind::Model, "do not divide");
}

TEST(ModelConfig, MissingRequiredKeyAndWrongValueTypeAreNamed)
{
    Checkpoint c = smallLlama();
    c.metadata.erase("llama.embedding_length");
    expectError(c, ErrorKind::Model, "llama.embedding_length");
    c = smallLlama();
    c.metadata["llama.block_count"] = s("thirty");
    expectError(c, ErrorKind::Model, "expected an integer");
}

TEST(ModelConfig, UnknownArchitectureIsRefusedByName)
{
    Checkpoint c = smallLlama();
    c.metadata["general.architecture"] = s("rwkv7");
    expectError(c, ErrorKind::Unsupported, "'rwkv7'");
}

TEST(ModelConfig, NonFiniteOrAbsurdHyperparametersAreRefused)
{
    Checkpoint c = smallLlama();
    c.metadata["llama.rope.freq_base"] = f(std::numeric_limits<double>::infinity());
    expectError(c, ErrorKind::Model, "rope_theta");
    c = smallLlama();
    c.metadata["llama.attention.layer_norm_rms_epsilon"] = f(-1.0);
    expectError(c, ErrorKind::Model, "norm_eps");
    c = smallLlama();
    c.metadata["llama.rope.dimension_count"] = u(6);   // > head_dim 4
    expectError(c, ErrorKind::Model, "rope_dims");
}

TEST(LayerPlan, MissingTensorAndShapeMismatchAreNamed)
{
    Checkpoint c = smallLlama();
    c.tensors.erase(std::remove_if(c.tensors.begin(), c.tensors.end(),
                                   [](const TensorInfo& t) { return t.name == "blk.1.ffn_up.weight"; }),
                    c.tensors.end());
    c.buildIndex();
    expectError(c, ErrorKind::Model, "blk.1.ffn_up.weight");

    c = smallLlama();
    for (TensorInfo& t : c.tensors)
        if (t.name == "blk.0.attn_k.weight")
            t.shape = {16, 16};   // as if MHA although the config says 2 KV heads
    c.buildIndex();
    expectError(c, ErrorKind::Model, "does not match");
    expectError(c, ErrorKind::Model, "key projection");   // the role is named too
}

TEST(LayerPlan, IntegerDtypeWeightIsRefused)
{
    Checkpoint c = smallLlama();
    for (TensorInfo& t : c.tensors)
        if (t.name == "blk.0.attn_q.weight")
            t.dtype = DType::I32;
    c.buildIndex();
    expectError(c, ErrorKind::Unsupported, "I32");
}

TEST(ModelConfig, HfConfigReadsBothRopeForms)
{
    Checkpoint c;
    c.format = CheckpointFormat::HfFolder;
    c.path = "folder";
    c.config = nlohmann::json::parse(R"({"model_type":"qwen3","num_hidden_layers":1,"hidden_size":16,
        "intermediate_size":32,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":8,"vocab_size":10,
        "rope_parameters":{"rope_theta":5000.0,"rope_type":"default"}})");
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_FLOAT_EQ(cfg.ropeTheta, 5000.f);
    EXPECT_TRUE(cfg.qkNorm);
    EXPECT_EQ(cfg.ropePairing, RopePairing::SplitHalf);
    c.config.erase("rope_parameters");
    c.config["rope_theta"] = 20000.0;
    EXPECT_FLOAT_EQ(modelConfigFromCheckpoint(c).ropeTheta, 20000.f);
    c.config["num_attention_heads"] = -3;
    expectError(c, ErrorKind::Model, "out of range");
}

TEST(LayerPlan, TensorsOfLayersBeyondTheDeclaredCountAreRefused)
{
    Checkpoint c = smallLlama();
    c.metadata["llama.block_count"] = u(1);   // but two layers of tensors
    expectError(c, ErrorKind::Model, "belongs to layer 1 but the model declares 1 layer");
}

TEST(LayerPlan, ALayerTensorNoRoleClaimsIsRefusedNotIgnored)
{
    // A Gemma-style sandwich norm in a file that declares "llama": same shape as a norm, different meaning.
    Checkpoint c = smallLlama();
    addTensor(c, "blk.0.post_ffw_norm.weight", {16});
    c.buildIndex();
    expectError(c, ErrorKind::Model, "no role of architecture llama uses this layer tensor");
}

TEST(LayerPlan, UnclaimedModelWideTensorsAreReportedAsUnused)
{
    Checkpoint c = smallLlama();
    addTensor(c, "some_extra.weight", {3});
    addTensor(c, "blk.0.attn_rot_embd.weight", {2});   // known harmless buffer of old llama GGUFs
    c.buildIndex();
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    LayerPlan plan = buildLayerPlan(c, cfg);
    ASSERT_EQ(plan.unused.size(), 2u);
    EXPECT_EQ(plan.unused[0], "some_extra.weight");
}

TEST(LayerPlan, TensorsWhoseMathsIsNotImplementedAreRefused)
{
    Checkpoint c = smallLlama();
    addTensor(c, "rope_freqs.weight", {2});
    c.buildIndex();
    expectError(c, ErrorKind::Unsupported, "rope_freqs.weight");
}

TEST(ModelConfig, GgufRopeScalingOtherThanLinearIsRefused)
{
    Checkpoint c = smallLlama();
    c.metadata["llama.rope.scaling.type"] = s("longrope");
    expectError(c, ErrorKind::Unsupported, "'longrope' is not implemented");
    c.metadata["llama.rope.scaling.type"] = s("yarn");
    expectError(c, ErrorKind::Model, "required metadata key is missing");   // factor and original context
    c.metadata["llama.rope.scaling.factor"] = f(32.0);
    c.metadata["llama.rope.scaling.original_context_length"] = f(4096.0);
    c.metadata["llama.rope.scaling.attn_factor"] = f(2.0);
    expectError(c, ErrorKind::Unsupported, "extra attention factor");
    c.metadata.erase("llama.rope.scaling.attn_factor");
    EXPECT_FLOAT_EQ(modelConfigFromCheckpoint(c).layers[0].yarn.factor, 32.f);
    c.metadata["llama.rope.scaling.type"] = s("linear");
    c.metadata["llama.rope.scaling.factor"] = f(4.0);
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_FLOAT_EQ(cfg.layers[0].ropeLinearFactor, 4.f);
}

namespace {

Checkpoint hfConfig(const char* json)
{
    Checkpoint c;
    c.format = CheckpointFormat::HfFolder;
    c.path = "folder";
    c.config = nlohmann::json::parse(json);
    return c;
}

} // namespace

TEST(ModelConfig, MalformedRopeParametersAreRefusedNotDefaulted)
{
    const char* base = R"({"model_type":"llama","num_hidden_layers":1,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":2,"vocab_size":10})";
    Checkpoint c = hfConfig(base);
    c.config["rope_parameters"] = "500000";
    expectError(c, ErrorKind::Model, "rope_parameters");
    c.config["rope_parameters"] = nlohmann::json::parse(R"({"rope_theta":"500000","rope_type":"default"})");
    expectError(c, ErrorKind::Model, "rope_parameters.rope_theta");
    c.config["rope_parameters"] = nlohmann::json::parse(R"({"rope_theta":500000.0,"rope_type":"llama3","factor":8.0})");
    expectError(c, ErrorKind::Unsupported, "'llama3' is not implemented");
    c.config["rope_parameters"] = nlohmann::json::parse(R"({"rope_theta":500000.0,"rope_type":"default"})");
    EXPECT_FLOAT_EQ(modelConfigFromCheckpoint(c).layers[0].ropeTheta, 500000.f);
}

TEST(ModelConfig, UnknownActivationIsRefusedNamingTheField)
{
    Checkpoint c = hfConfig(R"({"model_type":"llama","num_hidden_layers":1,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":2,"vocab_size":10,"hidden_act":"relu_squared"})");
    expectError(c, ErrorKind::Unsupported, "hidden_act");
    c.config["hidden_act"] = "gelu";
    EXPECT_EQ(modelConfigFromCheckpoint(c).activation, Activation::GeluErf);
}

TEST(ModelConfig, Gemma3LayerRulesFromLayerTypesAndFromThePattern)
{
    Checkpoint c = hfConfig(R"({"model_type":"gemma3_text","num_hidden_layers":7,"hidden_size":16,
        "intermediate_size":32,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":8,"vocab_size":10,
        "sliding_window":4,"query_pre_attn_scalar":64,
        "rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":1000000.0},
                           "sliding_attention":{"rope_type":"default","rope_theta":10000.0}}})");
    ModelConfig cfg = modelConfigFromCheckpoint(c);   // no layer_types: every 6th layer is full
    for (int l = 0; l < 7; ++l) {
        const bool full = l == 5;
        EXPECT_EQ(cfg.layers[l].mask.kind, full ? MaskKind::Causal : MaskKind::Sliding) << l;
        EXPECT_FLOAT_EQ(cfg.layers[l].ropeTheta, full ? 1e6f : 1e4f) << l;
    }
    EXPECT_EQ(cfg.layers[0].mask.window, 4);
    EXPECT_FLOAT_EQ(cfg.normWeightOffset, 1.f);
    EXPECT_FLOAT_EQ(cfg.attnScale, 0.125f);
    EXPECT_NEAR(cfg.embeddingScale, 4.f, 1e-6);
    EXPECT_EQ(cfg.residual, ResidualLayout::Sandwich);
    c.config["layer_types"] = nlohmann::json::array({"full_attention", "sliding_attention", "full_attention",
                                                     "sliding_attention", "sliding_attention", "sliding_attention",
                                                     "full_attention"});
    cfg = modelConfigFromCheckpoint(c);
    EXPECT_EQ(cfg.layers[0].mask.kind, MaskKind::Causal);
    EXPECT_EQ(cfg.layers[1].mask.kind, MaskKind::Sliding);
    EXPECT_EQ(cfg.layerRulesSummary(),
              "0: full (causal), RoPE θ 1000000; 1: sliding window 4, RoPE θ 10000; 2: full (causal), RoPE θ 1000000; "
              "3–5: sliding window 4, RoPE θ 10000; 6: full (causal), RoPE θ 1000000");
    c.config["layer_types"] = nlohmann::json::array({"full_attention"});
    expectError(c, ErrorKind::Model, "layer_types");
}

TEST(ModelConfig, BertIsBidirectionalPostNormWithoutALmHead)
{
    Checkpoint c = hfConfig(R"({"model_type":"bert","num_hidden_layers":2,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":2,"vocab_size":10,"max_position_embeddings":12,"type_vocab_size":2,
        "layer_norm_eps":1e-12,"hidden_act":"gelu"})");
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_FALSE(cfg.hasLmHead);
    EXPECT_FALSE(cfg.causal());
    EXPECT_EQ(cfg.residual, ResidualLayout::PostNorm);
    EXPECT_EQ(cfg.norm, NormKind::Layer);
    EXPECT_EQ(cfg.position, PositionKind::Learned);
    EXPECT_EQ(cfg.layerRulesSummary(), "0–1: bidirectional");
    c.config["position_embedding_type"] = "relative_key";
    expectError(c, ErrorKind::Unsupported, "position_embedding_type");
}

TEST(ModelConfig, Gpt2KeysAndUnsupportedSwitches)
{
    Checkpoint c = hfConfig(R"({"model_type":"gpt2","n_layer":2,"n_embd":16,"n_head":2,"n_inner":null,
        "vocab_size":10,"n_positions":32,"layer_norm_epsilon":1e-5,"activation_function":"gelu_new"})");
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_EQ(cfg.ffnDim, 64);   // n_inner null = 4·n_embd
    EXPECT_EQ(cfg.contextLength, 32);
    EXPECT_EQ(cfg.activation, Activation::GeluTanh);
    EXPECT_EQ(cfg.mlp, MlpKind::Plain);
    c.config["scale_attn_by_inverse_layer_idx"] = true;
    expectError(c, ErrorKind::Unsupported, "scale_attn_by_inverse_layer_idx");
}

TEST(ModelConfig, YarnParametersEqualTransformers)
{
    // transformers _compute_yarn_parameters (find_correction_range, get_mscale) evaluated in Python:
    // θ 150000, 64 dims, factor 32 over 4096 positions, β 32/1, truncate false (gpt-oss) → [8.0928, 17.3980];
    // θ 10000, 128 dims, truncate true → [20, 46]; attention factor 0.1·ln 32 + 1 = 1.34657 in both.
    RopeYarn y = yarnParameters(150000.0, 64, 32.0, 4096.0, 32.0, 1.0, NAN, 0, 0, false);
    EXPECT_NEAR(y.rampLow, 8.092779115512402, 1e-12);
    EXPECT_NEAR(y.rampHigh, 17.39802450158856, 1e-12);
    EXPECT_NEAR(y.attentionFactor, 1.3465735902799727, 1e-6);
    y = yarnParameters(10000.0, 128, 32.0, 4096.0, 32.0, 1.0, NAN, 0, 0, true);
    EXPECT_EQ(y.rampLow, 20.0);
    EXPECT_EQ(y.rampHigh, 46.0);
    y = yarnParameters(10000.0, 128, 32.0, 4096.0, 32.0, 1.0, 0.5, 0, 0, true);
    EXPECT_FLOAT_EQ(y.attentionFactor, 0.5f) << "an explicit attention_factor wins";
    y = yarnParameters(10000.0, 128, 40.0, 4096.0, 32.0, 1.0, NAN, 1.0, 0.5, true);   // DeepSeek-style mscales
    EXPECT_NEAR(y.attentionFactor, (0.1 * std::log(40.0) + 1) / (0.05 * std::log(40.0) + 1), 1e-6);
}
