// The HF config keys of gated attention, hybrid linear-attention layers and mixture-of-experts MLPs
// (docs/GATED.md), read after the common keys (model_config_hf.cpp):
//   - output gate: the row's own gate (Qwen3-Next: elementwise, [query | gate] per head), or qwen3 +
//     `headwise_attn_output_gate` / `elementwise_attn_output_gate` (qiuzh20/gated_attention configuration_qwen3.py:
//     gate rows per KV group; when both flags are set its modeling code takes the headwise branch, and so do we),
//     `use_qk_norm` (default true there) and `qkv_bias`;
//   - layer kinds: `layer_types` ("full_attention" / "linear_attention"), else every Nth layer full
//     (`full_attention_interval`, default 4, as Qwen3NextConfig.__post_init__ does);
//   - Gated DeltaNet dims: linear_num_key_heads, linear_num_value_heads, linear_key_head_dim,
//     linear_value_head_dim, linear_conv_kernel_dim;
//   - MoE: num_experts (0 = every MLP dense), num_experts_per_tok, moe_intermediate_size,
//     shared_expert_intermediate_size, norm_topk_prob, and which layers are sparse — Qwen3NextDecoderLayer:
//     layer l is MoE iff l ∉ mlp_only_layers and num_experts > 0 and (l + 1) mod decoder_sparse_step = 0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/model_config.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

namespace attnscope {

namespace {

using Json = nlohmann::json;

[[noreturn]] void modelError(const Checkpoint& c, const std::string& field, const std::string& reason)
{
    throw Error(ErrorKind::Model, c.path, "config.json:" + field, -1, reason);
}

[[noreturn]] void unsupported(const Checkpoint& c, const std::string& field, const std::string& reason)
{
    throw Error(ErrorKind::Unsupported, c.path, "config.json:" + field, -1, reason);
}

bool flag(const Checkpoint& c, const Json& j, const char* key, bool fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        modelError(c, key, "expected true or false");
    return it->get<bool>();
}

int count(const Checkpoint& c, const Json& j, const char* key, bool required, int fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required)
            modelError(c, key, "required field is missing");
        return fallback;
    }
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > INT32_MAX)
        modelError(c, key, "expected a non-negative integer");
    return static_cast<int>(it->get<int64_t>());
}

void readOutputGate(const Checkpoint& c, const Json& j, ModelConfig& m)
{
    const ArchitectureDesc& a = *m.arch;
    m.outputGate = a.outputGate;
    m.gateLayout = a.gateLayout;
    if (!a.gateFromConfigFlags)
        return;
    const bool headwise = flag(c, j, "headwise_attn_output_gate", false);
    const bool elementwise = flag(c, j, "elementwise_attn_output_gate", false);
    if (headwise || elementwise) {
        m.outputGate = headwise ? OutputGate::Headwise : OutputGate::Elementwise;
        m.gateLayout = GateLayout::PerKvGroup;
    }
    // The paper's configuration_qwen3.py: q/k norms can be switched off, and its modeling code puts `qkv_bias`
    // biases on q/k/v/o (the gate rows included), which this row does not map.
    m.qkNorm = flag(c, j, "use_qk_norm", m.qkNorm);
    if (flag(c, j, "qkv_bias", false))
        unsupported(c, "qkv_bias", "biases on the attention projections of qwen3 are not implemented");
}

void readLayerKinds(const Checkpoint& c, const Json& j, ModelConfig& m)
{
    const ArchitectureDesc& a = *m.arch;
    if (a.layerRule != LayerRule::HybridLinear)
        return;
    if (auto lt = j.find("layer_types"); lt != j.end() && !lt->is_null()) {
        if (!lt->is_array() || lt->size() != m.layers.size())
            modelError(c, "layer_types", "expected one entry per layer (" + std::to_string(m.layers.size()) + ")");
        for (size_t i = 0; i < lt->size(); ++i) {
            const Json& t = (*lt)[i];
            if (t == "linear_attention")
                m.layers[i].mixer = TokenMixer::GatedDeltaNet;
            else if (t != "full_attention")
                unsupported(c, "layer_types[" + std::to_string(i) + "]",
                            "layer type " + quotedValue(t.dump()) + " is not implemented (supported: full_attention, linear_attention)");
        }
        return;
    }
    const int interval = count(c, j, "full_attention_interval", false, a.hybridInterval);
    if (interval < 1)
        modelError(c, "full_attention_interval", "must be at least 1");
    for (size_t i = 0; i < m.layers.size(); ++i)
        if ((static_cast<int64_t>(i) + 1) % interval != 0)
            m.layers[i].mixer = TokenMixer::GatedDeltaNet;
}

void readDeltaNet(const Checkpoint& c, const Json& j, ModelConfig& m)
{
    if (!m.anyLayer(TokenMixer::GatedDeltaNet))
        return;
    DeltaNetDims& d = m.deltaNet;
    d.keyHeads = count(c, j, "linear_num_key_heads", true, 0);
    d.valueHeads = count(c, j, "linear_num_value_heads", true, 0);
    d.keyDim = count(c, j, "linear_key_head_dim", true, 0);
    d.valueDim = count(c, j, "linear_value_head_dim", true, 0);
    d.convKernel = count(c, j, "linear_conv_kernel_dim", false, 4);
}

void readMoe(const Checkpoint& c, const Json& j, ModelConfig& m)
{
    if (!m.arch->moeFromConfig)
        return;
    const int experts = count(c, j, "num_experts", false, 0);
    if (experts == 0)
        return;
    MoeDims& e = m.moe;
    e.experts = experts;
    e.topK = count(c, j, "num_experts_per_tok", true, 0);
    e.expertFfn = count(c, j, "moe_intermediate_size", true, 0);
    e.sharedFfn = count(c, j, "shared_expert_intermediate_size", true, 0);
    e.normTopK = flag(c, j, "norm_topk_prob", true);
    const int step = count(c, j, "decoder_sparse_step", false, 1);
    if (step < 1)
        modelError(c, "decoder_sparse_step", "must be at least 1");
    std::vector<bool> denseOnly(m.layers.size(), false);
    if (auto ml = j.find("mlp_only_layers"); ml != j.end() && !ml->is_null()) {
        if (!ml->is_array())
            modelError(c, "mlp_only_layers", "expected a list of layer indices");
        for (const Json& v : *ml) {
            if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= static_cast<int64_t>(m.layers.size()))
                modelError(c, "mlp_only_layers", "entry " + quotedValue(v.dump()) + " is not a layer index (0.." +
                                                     std::to_string(m.layers.size() - 1) + ")");
            denseOnly[static_cast<size_t>(v.get<int64_t>())] = true;
        }
    }
    for (size_t i = 0; i < m.layers.size(); ++i)
        if (!denseOnly[i] && (static_cast<int64_t>(i) + 1) % step == 0)
            m.layers[i].ffn = FfnKind::Moe;
}

} // namespace

void readHybridHfConfig(const Checkpoint& c, ModelConfig& m)
{
    const Json& j = c.config;
    readOutputGate(c, j, m);
    readLayerKinds(c, j, m);
    readDeltaNet(c, j, m);
    readMoe(c, j, m);
}

} // namespace attnscope
