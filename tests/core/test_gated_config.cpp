// Gated attention, hybrid linear-attention layers and MoE MLPs in the model description (docs/GATED.md):
// the packed-projection row layouts by hand (the paper's per-KV-group q_proj, Qwen3-Next's per-head interleaving,
// the Gated DeltaNet in_proj_qkvz / in_proj_ba packing), the gate chosen from the config flags and checked against
// q_proj's row count, Qwen3-Next's layer kinds from layer_types or full_attention_interval, its partial RoPE
// default, which layers are MoE, and a DeltaNet layer carrying attention tensors refused. Checkpoints are
// described by hand (no file).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/model/layer_plan.h"
#include "core/model/model_config.h"
#include "core/model/packed_projection.h"
#include "core/util/error.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

using Rows = std::vector<RowRange>;

void addTensor(Checkpoint& c, const std::string& name, std::vector<int64_t> shape)
{
    TensorInfo t;
    t.name = name;
    t.dtype = DType::F32;
    t.shape = std::move(shape);
    c.tensors.push_back(t);
}

Checkpoint hf(const std::string& json)
{
    Checkpoint c;
    c.format = CheckpointFormat::HfFolder;
    c.path = "folder";
    c.config = nlohmann::json::parse(json);
    return c;
}

/// The paper's gated Qwen3, 1 layer: D 16, 4 heads of 4 over 2 KV heads, FFN 32, vocab 10; q_proj of `qRows` rows.
Checkpoint gatedQwen3(const std::string& flags, int64_t qRows)
{
    Checkpoint c = hf(R"({"model_type":"qwen3","num_hidden_layers":1,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":4,"num_key_value_heads":2,"head_dim":4,"vocab_size":10)" + flags + "}");
    addTensor(c, "model.embed_tokens.weight", {10, 16});
    addTensor(c, "model.norm.weight", {16});
    const std::string p = "model.layers.0.";
    addTensor(c, p + "input_layernorm.weight", {16});
    addTensor(c, p + "self_attn.q_proj.weight", {qRows, 16});
    addTensor(c, p + "self_attn.k_proj.weight", {8, 16});
    addTensor(c, p + "self_attn.v_proj.weight", {8, 16});
    addTensor(c, p + "self_attn.o_proj.weight", {16, 16});
    addTensor(c, p + "self_attn.q_norm.weight", {4});
    addTensor(c, p + "self_attn.k_norm.weight", {4});
    addTensor(c, p + "post_attention_layernorm.weight", {16});
    addTensor(c, p + "mlp.gate_proj.weight", {32, 16});
    addTensor(c, p + "mlp.up_proj.weight", {32, 16});
    addTensor(c, p + "mlp.down_proj.weight", {16, 32});
    c.buildIndex();
    return c;
}

/// Qwen3-Next, 2 layers [linear, full]: D 16, 4 heads of 8 (q_proj 2·H·d = 64 rows) over 2 KV heads; DeltaNet 2
/// key heads of 4, 4 value heads of 2, conv 4; layer 0 MoE (3 experts of 8, shared 12), layer 1 dense (mlp_only).
Checkpoint tinyNext()
{
    Checkpoint c = hf(R"({"model_type":"qwen3_next","num_hidden_layers":2,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,"vocab_size":10,
        "layer_types":["linear_attention","full_attention"],"linear_num_key_heads":2,"linear_num_value_heads":4,
        "linear_key_head_dim":4,"linear_value_head_dim":2,"linear_conv_kernel_dim":4,"num_experts":3,
        "num_experts_per_tok":2,"moe_intermediate_size":8,"shared_expert_intermediate_size":12,"mlp_only_layers":[1]})");
    addTensor(c, "model.embed_tokens.weight", {10, 16});
    addTensor(c, "model.norm.weight", {16});
    addTensor(c, "lm_head.weight", {10, 16});
    addTensor(c, "mtp.fc.weight", {16, 32});
    for (int l = 0; l < 2; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        addTensor(c, p + "input_layernorm.weight", {16});
        addTensor(c, p + "post_attention_layernorm.weight", {16});
    }
    const std::string a = "model.layers.0.linear_attn.";
    addTensor(c, a + "in_proj_qkvz.weight", {2 * 8 + 2 * 8, 16});
    addTensor(c, a + "in_proj_ba.weight", {8, 16});
    addTensor(c, a + "conv1d.weight", {24, 1, 4});
    addTensor(c, a + "dt_bias", {4});
    addTensor(c, a + "A_log", {4});
    addTensor(c, a + "norm.weight", {2});
    addTensor(c, a + "out_proj.weight", {16, 8});
    const std::string m = "model.layers.0.mlp.";
    addTensor(c, m + "gate.weight", {3, 16});
    for (int e = 0; e < 3; ++e) {
        addTensor(c, m + "experts." + std::to_string(e) + ".gate_proj.weight", {8, 16});
        addTensor(c, m + "experts." + std::to_string(e) + ".up_proj.weight", {8, 16});
        addTensor(c, m + "experts." + std::to_string(e) + ".down_proj.weight", {16, 8});
    }
    addTensor(c, m + "shared_expert.gate_proj.weight", {12, 16});
    addTensor(c, m + "shared_expert.up_proj.weight", {12, 16});
    addTensor(c, m + "shared_expert.down_proj.weight", {16, 12});
    addTensor(c, m + "shared_expert_gate.weight", {1, 16});
    const std::string s = "model.layers.1.self_attn.";
    addTensor(c, s + "q_proj.weight", {64, 16});
    addTensor(c, s + "k_proj.weight", {16, 16});
    addTensor(c, s + "v_proj.weight", {16, 16});
    addTensor(c, s + "o_proj.weight", {16, 32});
    addTensor(c, s + "q_norm.weight", {8});
    addTensor(c, s + "k_norm.weight", {8});
    addTensor(c, "model.layers.1.mlp.gate_proj.weight", {32, 16});
    addTensor(c, "model.layers.1.mlp.up_proj.weight", {32, 16});
    addTensor(c, "model.layers.1.mlp.down_proj.weight", {16, 32});
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

TEST(PackedProjection, PaperLayoutKeepsEachKvGroupsQueriesThenGates)
{
    // H = 4, H_kv = 2 (G = 2), d = 2. Headwise: per group 2·2 query rows then 2 gate rows (chunk 6).
    EXPECT_EQ(packedQueryRowCount(OutputGate::Headwise, 4, 2), 12);
    EXPECT_EQ(packedQueryRows(GateLayout::PerKvGroup, OutputGate::Headwise, 4, 2, 2), (Rows{{0, 4}, {6, 4}}));
    EXPECT_EQ(packedGateRows(GateLayout::PerKvGroup, OutputGate::Headwise, 4, 2, 2), (Rows{{4, 2}, {10, 2}}));
    // Elementwise: per group 4 query rows then 4 gate rows (chunk 8).
    EXPECT_EQ(packedQueryRowCount(OutputGate::Elementwise, 4, 2), 16);
    EXPECT_EQ(packedQueryRows(GateLayout::PerKvGroup, OutputGate::Elementwise, 4, 2, 2), (Rows{{0, 4}, {8, 4}}));
    EXPECT_EQ(packedGateRows(GateLayout::PerKvGroup, OutputGate::Elementwise, 4, 2, 2), (Rows{{4, 4}, {12, 4}}));
    // Ungated: all rows are queries.
    EXPECT_EQ(packedQueryRows(GateLayout::PerKvGroup, OutputGate::None, 4, 2, 2), (Rows{{0, 8}}));
    EXPECT_TRUE(packedGateRows(GateLayout::PerKvGroup, OutputGate::None, 4, 2, 2).empty());
}

TEST(PackedProjection, Qwen3NextInterleavesQueryAndGatePerHead)
{
    EXPECT_EQ(packedQueryRows(GateLayout::PerHeadInterleaved, OutputGate::Elementwise, 4, 2, 2),
              (Rows{{0, 2}, {4, 2}, {8, 2}, {12, 2}}));
    EXPECT_EQ(packedGateRows(GateLayout::PerHeadInterleaved, OutputGate::Elementwise, 4, 2, 2),
              (Rows{{2, 2}, {6, 2}, {10, 2}, {14, 2}}));
    // Same row count as the paper's elementwise layout, different rows: the layout must come from the config.
    EXPECT_NE(packedGateRows(GateLayout::PerHeadInterleaved, OutputGate::Elementwise, 4, 2, 2),
              packedGateRows(GateLayout::PerKvGroup, OutputGate::Elementwise, 4, 2, 2));
    // With one head per KV group the two layouts coincide.
    EXPECT_EQ(packedGateRows(GateLayout::PerHeadInterleaved, OutputGate::Elementwise, 4, 4, 2),
              packedGateRows(GateLayout::PerKvGroup, OutputGate::Elementwise, 4, 4, 2));
}

TEST(PackedProjection, DeltaNetInProjectionsUnpackPerKeyHead)
{
    // 2 key heads of 3, 4 value heads of 2 (2 per key head): per key head [q 3 | k 3 | v 4 | z 4] = 14 rows and
    // [b 2 | a 2] = 4 rows.
    DeltaNetDims d;
    d.keyHeads = 2; d.valueHeads = 4; d.keyDim = 3; d.valueDim = 2; d.convKernel = 4;
    const DeltaNetRows r = deltaNetProjectionRows(d);
    EXPECT_EQ(r.qkv, (Rows{{0, 3}, {14, 3}, {3, 3}, {17, 3}, {6, 4}, {20, 4}}));
    EXPECT_EQ(r.z, (Rows{{10, 4}, {24, 4}}));
    EXPECT_EQ(r.b, (Rows{{0, 2}, {4, 2}}));
    EXPECT_EQ(r.a, (Rows{{2, 2}, {6, 2}}));
}

TEST(GatedConfig, PaperFlagsChooseTheGateAndQProjMustHaveItsRows)
{
    Checkpoint head = gatedQwen3(R"(,"headwise_attn_output_gate":true)", 16 + 4);
    ModelConfig cfg = modelConfigFromCheckpoint(head);
    EXPECT_EQ(cfg.outputGate, OutputGate::Headwise);
    EXPECT_EQ(cfg.gateLayout, GateLayout::PerKvGroup);
    EXPECT_NO_THROW(buildLayerPlan(head, cfg));

    Checkpoint elem = gatedQwen3(R"(,"elementwise_attn_output_gate":true)", 32);
    cfg = modelConfigFromCheckpoint(elem);
    EXPECT_EQ(cfg.outputGate, OutputGate::Elementwise);
    EXPECT_NO_THROW(buildLayerPlan(elem, cfg));

    // The reference code takes the headwise branch when both flags are set; the row count then must be H·d + H.
    EXPECT_EQ(modelConfigFromCheckpoint(gatedQwen3(R"(,"headwise_attn_output_gate":true,"elementwise_attn_output_gate":true)", 20)).outputGate,
              OutputGate::Headwise);
    // A q_proj whose rows do not match the flags is refused, never re-interpreted from its shape.
    expectError(gatedQwen3(R"(,"headwise_attn_output_gate":true)", 32), ErrorKind::Model, "[20, 16]");
    expectError(gatedQwen3("", 20), ErrorKind::Model, "[16, 16]");
    expectError(gatedQwen3(R"(,"elementwise_attn_output_gate":true)", 16), ErrorKind::Model, "[32, 16]");
    // No flags: an ordinary Qwen3.
    EXPECT_EQ(modelConfigFromCheckpoint(gatedQwen3("", 16)).outputGate, OutputGate::None);
}

TEST(GatedConfig, PaperQkNormSwitchAndBiasesAreHonouredOrRefused)
{
    Checkpoint c = gatedQwen3(R"(,"headwise_attn_output_gate":true,"use_qk_norm":false)", 20);
    EXPECT_FALSE(modelConfigFromCheckpoint(c).qkNorm);
    // The file still has q_norm / k_norm tensors that the config switched off: refused, not silently ignored.
    expectError(c, ErrorKind::Model, "q_norm");
    expectError(gatedQwen3(R"(,"headwise_attn_output_gate":true,"qkv_bias":true)", 20), ErrorKind::Unsupported, "qkv_bias");
}

TEST(GatedConfig, Qwen3NextLayerKindsGateRopeAndMoe)
{
    Checkpoint c = tinyNext();
    ModelConfig cfg = modelConfigFromCheckpoint(c);
    EXPECT_EQ(cfg.outputGate, OutputGate::Elementwise);
    EXPECT_EQ(cfg.gateLayout, GateLayout::PerHeadInterleaved);
    EXPECT_FLOAT_EQ(cfg.normWeightOffset, 1.f);
    EXPECT_EQ(cfg.ropeDims, 2) << "partial_rotary_factor defaults to 0.25 of head_dim 8";
    EXPECT_EQ(cfg.layers[0].mixer, TokenMixer::GatedDeltaNet);
    EXPECT_FALSE(cfg.layers[0].hasSoftmaxMap());
    EXPECT_TRUE(cfg.layers[1].hasSoftmaxMap());
    EXPECT_EQ(cfg.layers[0].ffn, FfnKind::Moe);
    EXPECT_EQ(cfg.layers[1].ffn, FfnKind::Dense) << "mlp_only_layers";
    EXPECT_EQ(cfg.deltaNet.convChannels(), 2 * 8 + 8);
    EXPECT_EQ(cfg.moe.topK, 2);
    EXPECT_TRUE(cfg.moe.normTopK);
    EXPECT_EQ(cfg.layerRule(0), "Gated DeltaNet (linear attention, no softmax map)");
    const LayerPlan plan = buildLayerPlan(c, cfg);
    EXPECT_TRUE(plan.expert(0, 2).down);
    EXPECT_TRUE(plan.experts[1].empty());
    EXPECT_FALSE(plan.get(TensorRole::Q, 0)) << "a DeltaNet layer binds no attention role";
    EXPECT_EQ(plan.unused, (std::vector<std::string>{"mtp.fc.weight"}));

    // rope_parameters.partial_rotary_factor (transformers v5) and the top-level key (older files).
    c.config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}, {"partial_rotary_factor", 0.5}};
    EXPECT_EQ(modelConfigFromCheckpoint(c).ropeDims, 4);
    c.config["partial_rotary_factor"] = 1.0;
    EXPECT_EQ(modelConfigFromCheckpoint(c).ropeDims, 8);
}

TEST(GatedConfig, Qwen3NextLayerKindsFromTheIntervalAndSparseStep)
{
    Checkpoint c = hf(R"({"model_type":"qwen3_next","num_hidden_layers":8,"hidden_size":16,"intermediate_size":32,
        "num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,"vocab_size":10,"linear_num_key_heads":2,
        "linear_num_value_heads":4,"linear_key_head_dim":4,"linear_value_head_dim":2,"num_experts":3,
        "num_experts_per_tok":2,"moe_intermediate_size":8,"shared_expert_intermediate_size":12,"decoder_sparse_step":2})");
    ModelConfig cfg = modelConfigFromCheckpoint(c);   // no layer_types: every 4th layer full (interval 4)
    for (int l = 0; l < 8; ++l) {
        EXPECT_EQ(cfg.layers[l].hasSoftmaxMap(), l == 3 || l == 7) << l;
        EXPECT_EQ(cfg.layers[l].ffn, (l + 1) % 2 == 0 ? FfnKind::Moe : FfnKind::Dense) << l;
    }
    EXPECT_EQ(cfg.deltaNet.convKernel, 4) << "linear_conv_kernel_dim defaults to 4";
    c.config["full_attention_interval"] = 2;
    cfg = modelConfigFromCheckpoint(c);
    EXPECT_TRUE(cfg.layers[1].hasSoftmaxMap());
    EXPECT_FALSE(cfg.layers[2].hasSoftmaxMap());
    c.config["num_experts"] = 0;
    EXPECT_FALSE(modelConfigFromCheckpoint(c).anyLayer(FfnKind::Moe)) << "num_experts 0: every MLP dense";
    c.config["num_experts"] = 3;
    c.config["num_experts_per_tok"] = 4;
    expectError(c, ErrorKind::Model, "num_experts_per_tok");
    c.config["num_experts_per_tok"] = 2;
    c.config["linear_num_value_heads"] = 3;
    expectError(c, ErrorKind::Model, "linear_num_value_heads");
    c.config["linear_num_value_heads"] = 4;
    c.config["layer_types"] = nlohmann::json::array({"linear_attention", "mamba", "full_attention", "full_attention",
                                                     "full_attention", "full_attention", "full_attention", "full_attention"});
    expectError(c, ErrorKind::Unsupported, "layer_types[1]");
}

TEST(GatedConfig, DeltaNetLayerWithAttentionTensorsIsRefused)
{
    Checkpoint c = tinyNext();
    addTensor(c, "model.layers.0.self_attn.q_proj.weight", {64, 16});
    c.buildIndex();
    expectError(c, ErrorKind::Model, "no role of architecture qwen3_next uses this layer tensor");
    Checkpoint d = tinyNext();
    d.tensors.erase(std::remove_if(d.tensors.begin(), d.tensors.end(),
                                   [](const TensorInfo& t) { return t.name == "model.layers.0.mlp.experts.1.up_proj.weight"; }),
                    d.tensors.end());
    d.buildIndex();
    expectError(d, ErrorKind::Model, "MoE expert up projection");
}
