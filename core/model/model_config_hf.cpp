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
    // YaRN, as written in the config; turned into frequencies by yarnFor() once the rotated dims are known.
    bool yarn = false;
    double yarnFactor = 0, betaFast = 32, betaSlow = 1, attentionFactor = NAN, mscale = 0, mscaleAllDim = 0;
    double originalMax = 0;
    bool truncate = true;
};

RopeYarn yarnFor(const Rope& r, int dim)
{
    if (!r.yarn)
        return {};
    return yarnParameters(r.theta, dim, r.yarnFactor, r.originalMax, r.betaFast, r.betaSlow, r.attentionFactor, r.mscale,
                          r.mscaleAllDim, r.truncate);
}

/// One RoPE parameter object ({"rope_type": …, "rope_theta": …, "factor": …}) or a legacy rope_scaling object.
/// `field` names it in errors. Types other than default/linear/yarn are refused: their maths is not implemented.
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
    } else if (type == "yarn") {
        // transformers: factor is required (else max_position_embeddings / original), original_max_position_embeddings
        // defaults to the top-level key or max_position_embeddings, beta_fast/beta_slow to 32/1 (also when 0),
        // truncate to true.
        const Json& j = c.config;
        const double top = jsonFloat(c, j, "original_max_position_embeddings", "original_max_position_embeddings",
                                     jsonFloat(c, j, "max_position_embeddings", "max_position_embeddings", NAN));
        base.yarn = true;
        base.originalMax = jsonFloat(c, o, "original_max_position_embeddings", field + ".original_max_position_embeddings", top);
        base.yarnFactor = jsonFloat(c, o, "factor", field + ".factor",
                                    jsonFloat(c, j, "max_position_embeddings", "max_position_embeddings", NAN) / base.originalMax);
        const double bf = jsonFloat(c, o, "beta_fast", field + ".beta_fast", 0.0);
        const double bs = jsonFloat(c, o, "beta_slow", field + ".beta_slow", 0.0);
        base.betaFast = bf != 0 ? bf : 32.0;
        base.betaSlow = bs != 0 ? bs : 1.0;
        base.attentionFactor = jsonFloat(c, o, "attention_factor", field + ".attention_factor", NAN);
        base.mscale = jsonFloat(c, o, "mscale", field + ".mscale", 0.0);
        base.mscaleAllDim = jsonFloat(c, o, "mscale_all_dim", field + ".mscale_all_dim", 0.0);
        base.truncate = jsonBool(c, o, "truncate", true);
        if (!(base.originalMax >= 1) || !std::isfinite(base.originalMax))
            modelError(c, field + ".original_max_position_embeddings", "YaRN needs the original context length");
        if (!(base.yarnFactor >= 1) || !std::isfinite(base.yarnFactor))
            modelError(c, field + ".factor", "YaRN needs a finite factor ≥ 1");
        if (!std::isnan(base.attentionFactor) && !(base.attentionFactor > 0 && std::isfinite(base.attentionFactor)))
            modelError(c, field + ".attention_factor", "must be a positive number");
        if (!std::isfinite(base.betaFast) || !std::isfinite(base.betaSlow) || base.betaFast <= 0 || base.betaSlow <= 0 ||
            !std::isfinite(base.mscale) || !std::isfinite(base.mscaleAllDim))
            modelError(c, field, "YaRN beta_fast, beta_slow, mscale and mscale_all_dim must be finite (betas positive)");
    } else if (type != "default") {
        unsupported(c, field + ".rope_type", "RoPE scaling " + quotedValue(type) + " is not implemented (supported: default, linear, yarn)");
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

/// Differential attention heads (docs/DIFFERENTIAL.md). DiffLlama's config counts query and KV heads of head_dim
/// (both halves), so a differential head is a pair: nHeads and nKvHeads are halved. The authors' V1 layout pairs
/// (2h, 2h+1) and lets q half-head i read k half-head i / n_rep (repeat_kv over the 2·H_kv halves): with n_rep = 1
/// A1 and A2 read K1 and K2 of the same KV head, with an even n_rep both halves of head h read k half-head
/// h / (n_rep / 2); an odd n_rep > 1 would pair halves across heads and is refused.
void readDifferential(const Checkpoint& c, ModelConfig& m)
{
    const ArchitectureDesc& a = *m.arch;
    m.diff = a.diff;
    m.diffLayout = a.diffLayout;
    if (a.diff == DiffVersion::None)
        return;
    const Json& j = c.config;
    if (a.diffLayout == DiffLayout::HalfSplit) {
        if (m.nHeads % 2 || m.nKvHeads % 2)
            modelError(c, "num_key_value_heads", "DiffLlama pairs heads: num_attention_heads (" + std::to_string(m.nHeads) +
                                                     ") and num_key_value_heads (" + std::to_string(m.nKvHeads) + ") must be even");
        m.nHeads /= 2;
        m.nKvHeads /= 2;
        if (jsonFloat(c, j, "attention_dropout", "attention_dropout", 0.0) != 0.0)
            unsupported(c, "attention_dropout", "DiffLlama refuses attention dropout (transformers does too)");
    }
    if (m.nKvHeads > 0 && m.nHeads % m.nKvHeads == 0 && a.diff == DiffVersion::V1 && a.diffLayout == DiffLayout::Paired) {
        const int rep = m.nHeads / m.nKvHeads;
        if (rep > 1 && rep % 2)
            unsupported(c, "num_key_value_heads", "the DIFF V1 reference pairs query half-heads with key half-heads "
                                                  "i / n_rep; n_rep = " + std::to_string(rep) + " (odd, > 1) is not implemented");
    }
    m.diffSubNormEps = a.diffSubNormFromConfigEps ? m.normEps : 1e-5f;   // multihead_diffattn.py: RMSNorm(2d, eps=1e-5)
    if (m.ropeDims != m.headDim)
        unsupported(c, "partial_rotary_factor", "partial rotary differential heads are not implemented");
}

/// gpt-oss experts (transformers GptOssConfig): num_local_experts, num_experts_per_tok, swiglu_alpha/limit.
/// Quantised checkpoints (the released MXFP4 files) are refused: their experts are stored as blocks and scales.
void readGptOssExperts(const Checkpoint& c, ModelConfig& m)
{
    const Json& j = c.config;
    if (auto q = j.find("quantization_config"); q != j.end() && !q->is_null()) {
        std::string method = "unknown";
        if (q->is_object() && q->contains("quant_method") && (*q)["quant_method"].is_string())
            method = (*q)["quant_method"].get<std::string>();
        unsupported(c, "quantization_config", "quantised HF checkpoints (quant_method " + quotedValue(method) +
                                                  ") are not supported; use a bf16/fp16/fp32 checkpoint (for gpt-oss: "
                                                  "dequantised MXFP4 experts)");
    }
    if (!m.arch->gptOssExperts)
        return;
    m.gptOssExperts = static_cast<int>(jsonInt(c, j, "num_local_experts", true, 0));
    m.gptOssExpertsUsed = static_cast<int>(jsonInt(c, j, "num_experts_per_tok", true, 0));
    if (m.gptOssExperts < 1 || m.gptOssExperts > 4096 || m.gptOssExpertsUsed < 1 || m.gptOssExpertsUsed > m.gptOssExperts)
        modelError(c, "num_experts_per_tok", "needs 1 ≤ num_experts_per_tok ≤ num_local_experts ≤ 4096, got " +
                                                 std::to_string(m.gptOssExpertsUsed) + " of " + std::to_string(m.gptOssExperts));
    const double alpha = jsonFloat(c, j, "swiglu_alpha", "swiglu_alpha", 1.702);
    const double limit = jsonFloat(c, j, "swiglu_limit", "swiglu_limit", 7.0);
    if (!std::isfinite(alpha) || !(limit > 0) || !std::isfinite(limit))
        modelError(c, "swiglu_limit", "swiglu_alpha must be finite and swiglu_limit positive");
    m.swigluAlpha = static_cast<float>(alpha);
    m.swigluLimit = static_cast<float>(limit);
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
    m.ropePairing = a.ropeHf;   // HF safetensors are never permuted; the DIFF reference code rotates adjacent pairs
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
    const Rope global = readRope(c, j, a.layerRule == LayerRule::SlidingPattern ? "full_attention" : "", a.hfDefaultRopeTheta);
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
        l.yarn = yarnFor(global, static_cast<int>(partial * m.headDim));   // HF: int(head_dim · partial_rotary_factor)
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
        Rope local = a.slidingOwnRope ? readRope(c, j, "sliding_attention",
                                                 static_cast<float>(jsonFloat(c, j, "rope_local_base_freq",
                                                                              "rope_local_base_freq", 10000.0)))
                                      : global;
        if (a.slidingOwnRope && (!j.contains("rope_parameters") || !j["rope_parameters"].contains("sliding_attention"))) {
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
                m.layers[i].yarn = yarnFor(local, static_cast<int>(partial * m.headDim));
            }
        break;
    }
    case LayerRule::HybridLinear:
        break;   // layer kinds: readHybridHfConfig
    }
    readDifferential(c, m);
    readGptOssExperts(c, m);
    readHybridHfConfig(c, m);
    return m;
}

} // namespace attnscope
