// ModelConfig from HF config.json, with the keys of the architecture's row (GPT-2 says n_embd, BERT
// layer_norm_eps). Reads both RoPE forms: top-level rope_theta + rope_scaling (older files) and the
// rope_parameters dict of transformers v5, which Gemma 3 nests per layer type. Anything the engine cannot honour
// is refused naming the field (docs/SECURITY.md, "silently accepted nonsense").
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/model_config.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

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

int64_t jsonInt(const Checkpoint& c, const Json& j, const char* key, bool required, int64_t fallback)
{
    if (!key)
        return fallback;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required)
            modelError(c, key, "required field is missing");
        return fallback;
    }
    if (!it->is_number_integer())
        modelError(c, key, "expected an integer");
    const int64_t v = it->get<int64_t>();
    if (v < 0 || v > INT32_MAX)
        modelError(c, key, "value " + std::to_string(v) + " is out of range");
    return v;
}

double jsonFloat(const Checkpoint& c, const Json& j, const std::string& key, const std::string& field, double fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_number())
        modelError(c, field, "expected a number");
    return it->get<double>();
}

bool jsonBool(const Checkpoint& c, const Json& j, const char* key, bool fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        modelError(c, key, "expected true or false");
    return it->get<bool>();
}

struct Rope {
    float theta = 10000.f;
    float linear = 1.f;
};

/// One RoPE parameter object ({"rope_type": …, "rope_theta": …, "factor": …}) or a legacy rope_scaling object.
/// `field` names it in errors. Types other than default/linear are refused: their maths is not implemented.
Rope readRopeObject(const Checkpoint& c, const Json& o, const std::string& field, Rope base)
{
    if (!o.is_object())
        modelError(c, field, "expected an object");
    std::string type = "default";
    for (const char* k : {"rope_type", "type"})
        if (auto it = o.find(k); it != o.end() && !it->is_null()) {
            if (!it->is_string())
                modelError(c, field + "." + k, "expected a string");
            type = it->get<std::string>();
        }
    base.theta = static_cast<float>(jsonFloat(c, o, "rope_theta", field + ".rope_theta", base.theta));
    if (type == "linear") {
        const double f = jsonFloat(c, o, "factor", field + ".factor", NAN);
        if (!(f > 0) || !std::isfinite(f))
            modelError(c, field + ".factor", "linear RoPE scaling needs a positive factor");
        base.linear = static_cast<float>(f);
    } else if (type != "default") {
        unsupported(c, field + ".rope_type", "RoPE scaling " + quotedValue(type) + " is not implemented (supported: default, linear)");
    }
    return base;
}

/// The RoPE of a layer kind ("full_attention" / "sliding_attention" for Gemma 3; empty for uniform models).
Rope readRope(const Checkpoint& c, const Json& j, const std::string& layerKind, float defaultTheta)
{
    Rope r;
    r.theta = static_cast<float>(jsonFloat(c, j, "rope_theta", "rope_theta", defaultTheta));
    if (auto rs = j.find("rope_scaling"); rs != j.end() && !rs->is_null())
        r = readRopeObject(c, *rs, "rope_scaling", r);
    if (auto rp = j.find("rope_parameters"); rp != j.end() && !rp->is_null()) {
        if (!rp->is_object())
            modelError(c, "rope_parameters", "expected an object");
        if (!layerKind.empty() && rp->contains(layerKind))
            r = readRopeObject(c, (*rp)[layerKind], "rope_parameters." + layerKind, r);
        else if (!rp->contains("full_attention") && !rp->contains("sliding_attention"))
            r = readRopeObject(c, *rp, "rope_parameters", r);
    }
    return r;
}

} // namespace

ModelConfig modelConfigFromHf(const Checkpoint& c)
{
    const Json& j = c.config;
    if (!j.is_object())
        modelError(c, "config.json", "missing or not a JSON object");
    ModelConfig m;
    auto mt = j.find("model_type");
    if (mt == j.end() || !mt->is_string())
        modelError(c, "model_type", "required string field is missing");
    m.architecture = mt->get<std::string>();
    m.arch = findArchitectureByHfType(m.architecture);
    if (!m.arch)
        unsupported(c, "model_type", "model_type " + quotedValue(m.architecture) + " cannot be run (supported: " +
                                         supportedArchitectureList() + ")");
    const ArchitectureDesc& a = *m.arch;
    const HfKeys& k = a.hf;
    // `auto_map` (remote code) is never executed: a known model_type runs with our own implementation.
    m.name = std::filesystem::path(c.path).filename().string();
    m.nLayers = static_cast<int>(jsonInt(c, j, k.nLayers, true, 0));
    m.dModel = static_cast<int>(jsonInt(c, j, k.dModel, true, 0));
    m.nHeads = static_cast<int>(jsonInt(c, j, k.nHeads, true, 0));
    // GPT-2: n_inner = null means 4·n_embd.
    m.ffnDim = static_cast<int>(jsonInt(c, j, k.ffnDim, a.mlp == MlpKind::Gated, int64_t(4) * m.dModel));
    m.nKvHeads = static_cast<int>(jsonInt(c, j, k.nKvHeads, false, m.nHeads));
    m.vocabSize = static_cast<int>(jsonInt(c, j, k.vocab, true, 0));
    m.contextLength = static_cast<int>(jsonInt(c, j, k.context, false, 0));
    m.headDim = static_cast<int>(jsonInt(c, j, k.headDim, false, m.nHeads > 0 ? m.dModel / m.nHeads : 0));
    m.typeVocab = static_cast<int>(jsonInt(c, j, k.typeVocab, false, a.position == PositionKind::Learned && k.typeVocab ? 2 : 0));
    m.norm = a.norm;
    const double defaultEps = a.norm == NormKind::Rms ? 1e-6 : (std::string(a.name) == "bert" ? 1e-12 : 1e-5);
    m.normEps = static_cast<float>(jsonFloat(c, j, k.normEps, k.normEps, defaultEps));
    m.normWeightOffset = a.normOffsetHf;
    m.mlp = a.mlp;
    m.activation = a.activation;
    if (k.activation) {
        if (auto it = j.find(k.activation); it != j.end() && !it->is_null()) {
            if (!it->is_string() || !activationFromName(it->get<std::string>(), m.activation))
                unsupported(c, k.activation, "activation " + quotedValue(it->dump()) +
                                                 " is not implemented (supported: silu, gelu, gelu_new, gelu_pytorch_tanh)");
        }
    }
    m.position = a.position;
    m.residual = a.residual;
    m.ropePairing = RopePairing::SplitHalf;   // HF safetensors are never permuted
    m.qkNorm = a.qkNorm;
    m.hasLmHead = a.hasLmHead;
    m.embeddingScale = a.embeddingScaleSqrtD ? std::sqrt(static_cast<float>(m.dModel)) : 1.f;
    m.attnScale = m.headDim > 0 ? 1.0f / std::sqrt(static_cast<float>(m.headDim)) : 1.f;
    if (a.queryPreAttnScalar) {
        const double s = jsonFloat(c, j, "query_pre_attn_scalar", "query_pre_attn_scalar", 256.0);
        if (!(s > 0) || !std::isfinite(s))
            modelError(c, "query_pre_attn_scalar", "must be a positive number");
        m.attnScale = static_cast<float>(1.0 / std::sqrt(s));
    }
    m.attentionBias = jsonBool(c, j, "attention_bias", false);
    if (jsonBool(c, j, "mlp_bias", false))
        unsupported(c, "mlp_bias", "biases on the MLP projections of this architecture are not implemented");
    if (auto sc = jsonFloat(c, j, "attn_logit_softcapping", "attn_logit_softcapping", 0.0); sc > 0)
        unsupported(c, "attn_logit_softcapping", "attention logit soft-capping is not implemented");
    m.finalLogitSoftcap = static_cast<float>(jsonFloat(c, j, "final_logit_softcapping", "final_logit_softcapping", 0.0));
    // Architecture-specific switches whose other settings change the maths.
    if (jsonBool(c, j, "scale_attn_by_inverse_layer_idx", false))
        unsupported(c, "scale_attn_by_inverse_layer_idx", "scaling attention by the inverse layer index is not implemented");
    if (!jsonBool(c, j, "scale_attn_weights", true))
        unsupported(c, "scale_attn_weights", "unscaled attention logits are not implemented");
    if (jsonBool(c, j, "is_decoder", false) && a.layerRule == LayerRule::AllBidirectional)
        unsupported(c, "is_decoder", "a BERT used as a causal decoder is not implemented");
    if (auto pe = j.find("position_embedding_type"); pe != j.end() && !pe->is_null() && *pe != "absolute")
        unsupported(c, "position_embedding_type", "position embedding type " + quotedValue(pe->dump()) + " is not implemented (supported: absolute)");
    if (jsonBool(c, j, "use_sliding_window", false))
        unsupported(c, "use_sliding_window", "per-layer sliding windows of this architecture are not implemented");
    if (jsonBool(c, j, "use_bidirectional_attention", false))
        unsupported(c, "use_bidirectional_attention", "bidirectional attention in a decoder is not implemented");

    const bool tiedSaid = jsonBool(c, j, "tie_word_embeddings", a.hasLmHead && a.position == PositionKind::Learned);
    const bool lmHeadPresent = c.find("lm_head.weight") != nullptr;
    if (a.hasLmHead && !tiedSaid && !lmHeadPresent && !c.tensors.empty() && j.contains("tie_word_embeddings"))
        modelError(c, "tie_word_embeddings", "is false but the checkpoint has no lm_head.weight");
    m.tiedEmbeddings = a.hasLmHead && (tiedSaid || !lmHeadPresent);

    // Per-layer rules.
    const Rope global = readRope(c, j, a.layerRule == LayerRule::SlidingPattern ? "full_attention" : "", 10000.f);
    m.ropeTheta = global.theta;
    // partial_rotary_factor: top level (older files) or inside rope_parameters (transformers v5), else the row's
    // default (Qwen3-Next: 0.25, as Qwen3NextConfig sets it).
    double partial = a.defaultPartialRotary;
    if (auto rp = j.find("rope_parameters"); rp != j.end() && rp->is_object() && rp->contains("partial_rotary_factor"))
        partial = jsonFloat(c, *rp, "partial_rotary_factor", "rope_parameters.partial_rotary_factor", partial);
    partial = jsonFloat(c, j, "partial_rotary_factor", "partial_rotary_factor", partial);
    if (!(partial > 0.0 && partial <= 1.0))
        modelError(c, "partial_rotary_factor", "must be in (0, 1]");
    m.ropeDims = static_cast<int>(std::lround(partial * m.headDim));
    m.layers.assign(static_cast<size_t>(std::clamp(m.nLayers, 0, kMaxLayers)), LayerConfig{});
    for (LayerConfig& l : m.layers) {
        l.ropeTheta = global.theta;
        l.ropeLinearFactor = global.linear;
    }
    switch (a.layerRule) {
    case LayerRule::AllCausal:
        if (a.slidingWindowFromConfig) {
            const int64_t w = jsonInt(c, j, "sliding_window", false, 0);
            if (w > 0) {
                m.slidingWindow = static_cast<int>(w);
                for (LayerConfig& l : m.layers)
                    l.mask = AttentionMask::sliding(w);
            }
        }
        break;
    case LayerRule::AllBidirectional:
        for (LayerConfig& l : m.layers)
            l.mask = AttentionMask::bidirectional();
        break;
    case LayerRule::SlidingPattern: {
        m.slidingWindow = static_cast<int>(jsonInt(c, j, "sliding_window", true, 0));
        Rope local = readRope(c, j, "sliding_attention", static_cast<float>(jsonFloat(c, j, "rope_local_base_freq",
                                                                                       "rope_local_base_freq", 10000.0)));
        if (!j.contains("rope_parameters") || !j["rope_parameters"].contains("sliding_attention")) {
            local.theta = static_cast<float>(jsonFloat(c, j, "rope_local_base_freq", "rope_local_base_freq", 10000.0));
            local.linear = 1.f;   // legacy configs: rope_scaling applies to the global layers only
        }
        std::vector<bool> sliding(m.layers.size(), false);
        if (auto lt = j.find("layer_types"); lt != j.end() && !lt->is_null()) {
            if (!lt->is_array() || lt->size() != m.layers.size())
                modelError(c, "layer_types", "expected one entry per layer (" + std::to_string(m.layers.size()) + ")");
            for (size_t i = 0; i < lt->size(); ++i) {
                const Json& t = (*lt)[i];
                if (t == "sliding_attention")
                    sliding[i] = true;
                else if (t != "full_attention")
                    unsupported(c, "layer_types[" + std::to_string(i) + "]", "layer type " + quotedValue(t.dump()) +
                                                                               " is not implemented (supported: full_attention, sliding_attention)");
            }
        } else {
            const int64_t pattern = jsonInt(c, j, "sliding_window_pattern", false, a.slidingPattern);
            if (pattern < 1)
                modelError(c, "sliding_window_pattern", "must be at least 1");
            for (size_t i = 0; i < sliding.size(); ++i)
                sliding[i] = (static_cast<int64_t>(i) + 1) % pattern != 0;
        }
        for (size_t i = 0; i < m.layers.size(); ++i)
            if (sliding[i]) {
                m.layers[i].mask = AttentionMask::sliding(m.slidingWindow);
                m.layers[i].ropeTheta = local.theta;
                m.layers[i].ropeLinearFactor = local.linear;
            }
        break;
    }
    case LayerRule::HybridLinear:
        break;   // layer kinds: readHybridHfConfig
    }
    readHybridHfConfig(c, m);
    return m;
}

} // namespace attnscope
