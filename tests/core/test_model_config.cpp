// Model-level validation after the container parse (NUMERICS-AND-SAFETY §4 rule 9, §5 corpus items that belong
// to the model, not the file format): counts capped, KV heads dividing heads, every tensor present with the
// shape the config implies, unknown architectures refused by name. Checkpoints are described by hand (no file).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/model/layer_plan.h"
#include "core/model/model_config.h"
#include "core/util/error.h"

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
    LayerPlan plan = buildLayerPlan(c, cfg);
    EXPECT_EQ(plan.output, plan.tokenEmbedding);
    EXPECT_EQ(plan.layers.size(), 2u);
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
