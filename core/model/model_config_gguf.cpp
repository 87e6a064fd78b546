// ModelConfig from GGUF metadata (`{arch}.*` keys, docs/FORMATS.md). Keys llama.cpp requires are required here
// too; keys whose absence has a documented default (head_count_kv, rope.dimension_count, …) take it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/model_config.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

[[noreturn]] void modelError(const Checkpoint& c, const std::string& field, const std::string& reason)
{
    throw Error(ErrorKind::Model, c.path, field, -1, reason);
}

int64_t ggufInt(const Checkpoint& c, const std::string& key, bool required, int64_t fallback)
{
    const MetaValue* v = c.meta(key);
    if (!v) {
        if (required)
            modelError(c, key, "required metadata key is missing");
        return fallback;
    }
    if (v->type == MetaValue::Type::UInt) {
        if (v->u > static_cast<uint64_t>(INT32_MAX))
            modelError(c, key, "value " + std::to_string(v->u) + " is out of range");
        return static_cast<int64_t>(v->u);
    }
    if (v->type == MetaValue::Type::Int) {
        if (v->i < 0 || v->i > INT32_MAX)
            modelError(c, key, "value " + std::to_string(v->i) + " is out of range");
        return v->i;
    }
    modelError(c, key, "expected an integer");
}

double ggufFloat(const Checkpoint& c, const std::string& key, bool required, double fallback)
{
    const MetaValue* v = c.meta(key);
    if (!v) {
        if (required)
            modelError(c, key, "required metadata key is missing");
        return fallback;
    }
    if (v->type == MetaValue::Type::Float)
        return v->f;
    if (v->type == MetaValue::Type::UInt)
        return static_cast<double>(v->u);
    if (v->type == MetaValue::Type::Int)
        return static_cast<double>(v->i);
    modelError(c, key, "expected a number");
}

const std::string* ggufString(const Checkpoint& c, const std::string& key)
{
    const MetaValue* v = c.meta(key);
    if (!v)
        return nullptr;
    if (v->type != MetaValue::Type::String)
        modelError(c, key, "expected a string");
    return &v->s;
}

/// Qwen3-Next (llama.cpp LLM_ARCH_QWEN3NEXT, src/models/qwen3next.cpp load_arch_hparams / load_arch_tensors):
/// `attention.recurrent_layers` (one flag per block, true = Gated DeltaNet), else every
/// `full_attention_interval`-th layer (default 4) is softmax attention; the DeltaNet dims from the `ssm.*` keys
/// (state_size = key head dim, group_count = key heads, time_step_rank = value heads, inner_size = value heads ×
/// value head dim, conv_kernel); every layer's MLP is a MoE with a shared expert (llama.cpp has no dense layer
/// for this architecture and requires the experts), its top-k weights always renormalised (build_moe_ffn with
/// norm_w = true).
void readHybridGguf(const Checkpoint& c, const std::string& p, const ArchitectureDesc& a, ModelConfig& m)
{
    const size_t blocks = static_cast<size_t>(m.nLayers + m.mtpBlocks);
    if (const MetaValue* r = c.meta(p + "attention.recurrent_layers")) {
        if (r->type != MetaValue::Type::ArrayBool || r->au.size() != blocks)
            modelError(c, p + "attention.recurrent_layers", "expected one true/false per block (" + std::to_string(blocks) + ")");
        for (size_t i = 0; i < m.layers.size(); ++i)
            if (r->au[i])
                m.layers[i].mixer = TokenMixer::GatedDeltaNet;
    } else {
        const int64_t interval = ggufInt(c, p + "full_attention_interval", false, a.hybridInterval);
        if (interval < 1)
            modelError(c, p + "full_attention_interval", "must be at least 1");
        for (size_t i = 0; i < m.layers.size(); ++i)
            if ((static_cast<int64_t>(i) + 1) % interval != 0)
                m.layers[i].mixer = TokenMixer::GatedDeltaNet;
    }
    if (m.anyLayer(TokenMixer::GatedDeltaNet)) {
        DeltaNetDims& d = m.deltaNet;
        d.keyDim = static_cast<int>(ggufInt(c, p + "ssm.state_size", true, 0));
        d.keyHeads = static_cast<int>(ggufInt(c, p + "ssm.group_count", true, 0));
        d.valueHeads = static_cast<int>(ggufInt(c, p + "ssm.time_step_rank", true, 0));
        d.convKernel = static_cast<int>(ggufInt(c, p + "ssm.conv_kernel", true, 0));
        const int64_t inner = ggufInt(c, p + "ssm.inner_size", true, 0);
        if (d.valueHeads < 1 || inner % d.valueHeads)
            modelError(c, p + "ssm.inner_size", "must be a multiple of ssm.time_step_rank (the value heads)");
        d.valueDim = static_cast<int>(inner / d.valueHeads);
    }
    MoeDims& e = m.moe;
    e.experts = static_cast<int>(ggufInt(c, p + "expert_count", true, 0));
    e.topK = static_cast<int>(ggufInt(c, p + "expert_used_count", true, 0));
    e.expertFfn = static_cast<int>(ggufInt(c, p + "expert_feed_forward_length", true, 0));
    e.sharedFfn = static_cast<int>(ggufInt(c, p + "expert_shared_feed_forward_length", false, 0));
    if (e.sharedFfn == 0)   // llama.cpp: n_ff_shexp = 0 falls back to feed_forward_length
        e.sharedFfn = m.ffnDim;
    e.normTopK = true;
    if (e.experts < 1)
        modelError(c, p + "expert_count", "must be at least 1 (llama.cpp refuses qwen3next files without experts)");
    for (LayerConfig& l : m.layers)
        l.ffn = FfnKind::Moe;
}

} // namespace

ModelConfig modelConfigFromGguf(const Checkpoint& c)
{
    ModelConfig m;
    const MetaValue* archKey = c.meta("general.architecture");
    if (!archKey || archKey->type != MetaValue::Type::String)
        modelError(c, "general.architecture", "required string key is missing");
    m.architecture = archKey->s;
    m.arch = findArchitectureByGguf(m.architecture);
    if (!m.arch)
        throw Error(ErrorKind::Unsupported, c.path, "general.architecture", -1,
                    "architecture " + quotedValue(m.architecture) + " cannot be run (supported: " + supportedArchitectureList() +
                        "); its metadata and tensors can still be inspected with `attnscope-cli info`");
    const ArchitectureDesc& a = *m.arch;
    if (const std::string* n = ggufString(c, "general.name"))
        m.name = *n;
    const std::string p = m.architecture + ".";
    m.nLayers = static_cast<int>(ggufInt(c, p + "block_count", true, 0));
    if (a.layerRule == LayerRule::HybridLinear) {
        // llama.cpp counts the multi-token-prediction blocks in block_count (Qwen3-Next: one, after the last layer).
        m.mtpBlocks = static_cast<int>(ggufInt(c, p + "nextn_predict_layers", false, 0));
        if (m.mtpBlocks >= m.nLayers)
            modelError(c, p + "nextn_predict_layers", "must be smaller than block_count (" + std::to_string(m.nLayers) + ")");
        m.nLayers -= m.mtpBlocks;
    }
    m.dModel = static_cast<int>(ggufInt(c, p + "embedding_length", true, 0));
    m.ffnDim = static_cast<int>(ggufInt(c, p + "feed_forward_length", true, 0));
    m.nHeads = static_cast<int>(ggufInt(c, p + "attention.head_count", true, 0));
    m.nKvHeads = static_cast<int>(ggufInt(c, p + "attention.head_count_kv", false, m.nHeads));
    m.contextLength = static_cast<int>(ggufInt(c, p + "context_length", false, 0));
    const int defaultHeadDim = m.nHeads > 0 ? m.dModel / m.nHeads : 0;
    m.headDim = static_cast<int>(ggufInt(c, p + "attention.key_length", false, defaultHeadDim));
    const int valueLength = static_cast<int>(ggufInt(c, p + "attention.value_length", false, m.headDim));
    if (valueLength != m.headDim)
        throw Error(ErrorKind::Unsupported, c.path, p + "attention.value_length", -1,
                    "a value head size (" + std::to_string(valueLength) + ") different from the key head size (" +
                        std::to_string(m.headDim) + ") is not supported");
    m.norm = a.norm;
    m.normEps = static_cast<float>(ggufFloat(
        c, p + (a.norm == NormKind::Rms ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"), true, 0));
    m.normWeightOffset = a.normOffsetGguf;
    m.mlp = a.mlp;
    m.activation = a.activation;
    m.position = a.position;
    m.residual = a.residual;
    m.ropePairing = a.ropeGguf;
    m.ropeDims = static_cast<int>(ggufInt(c, p + "rope.dimension_count", false, m.headDim));
    m.ropeTheta = static_cast<float>(ggufFloat(c, p + "rope.freq_base", false, 10000.0));
    float linear = 1.f;
    RopeYarn yarn;
    if (const std::string* t = ggufString(c, p + "rope.scaling.type"); t && *t != "none") {
        if (*t == "linear") {
            linear = static_cast<float>(ggufFloat(c, p + "rope.scaling.factor", true, 1.0));
            if (!(linear > 0.f))
                modelError(c, p + "rope.scaling.factor", "must be a positive number");
        } else if (*t == "yarn") {
            // The frequencies transformers computes for the same model (modeling_rope_utils.py); llama.cpp's
            // extra YaRN knobs change that maths and are refused when set.
            const double factor = ggufFloat(c, p + "rope.scaling.factor", true, 0.0);
            const double orig = ggufFloat(c, p + "rope.scaling.original_context_length", true, 0.0);
            const double fast = ggufFloat(c, p + "rope.scaling.yarn_beta_fast", false, 32.0);
            const double slow = ggufFloat(c, p + "rope.scaling.yarn_beta_slow", false, 1.0);
            if (ggufFloat(c, p + "rope.scaling.attn_factor", false, 1.0) != 1.0)
                throw Error(ErrorKind::Unsupported, c.path, p + "rope.scaling.attn_factor", -1,
                            "YaRN with an extra attention factor is not implemented");
            if (ggufFloat(c, p + "rope.scaling.yarn_log_multiplier", false, 0.0) != 0.0)
                throw Error(ErrorKind::Unsupported, c.path, p + "rope.scaling.yarn_log_multiplier", -1,
                            "YaRN with a log multiplier is not implemented");
            if (!(factor >= 1) || !std::isfinite(factor) || !(orig >= 1) || !std::isfinite(orig) || !(fast > 0) ||
                !(slow > 0) || !std::isfinite(fast) || !std::isfinite(slow))
                modelError(c, p + "rope.scaling.factor", "YaRN needs a factor ≥ 1, the original context length and positive betas");
            const int dims = static_cast<int>(ggufInt(c, p + "rope.dimension_count", false, m.headDim));
            yarn = yarnParameters(m.ropeTheta, dims, factor, orig, fast, slow, NAN, 0, 0, a.ggufYarnTruncate);
        } else {
            throw Error(ErrorKind::Unsupported, c.path, p + "rope.scaling.type", -1,
                        "RoPE scaling " + quotedValue(*t) + " is not implemented (supported: none, linear, yarn)");
        }
    }
    if (const MetaValue* sc = c.meta(p + "attn_logit_softcapping"); sc && ggufFloat(c, p + "attn_logit_softcapping", false, 0) > 0)
        throw Error(ErrorKind::Unsupported, c.path, p + "attn_logit_softcapping", -1,
                    "attention logit soft-capping is not implemented");
    m.finalLogitSoftcap = static_cast<float>(ggufFloat(c, p + "final_logit_softcapping", false, 0.0));
    m.qkNorm = a.qkNorm;
    m.hasLmHead = a.hasLmHead;
    m.embeddingScale = a.embeddingScaleSqrtD ? std::sqrt(static_cast<float>(m.dModel)) : 1.f;
    // llama.cpp (gemma3): f_attention_scale = 1/√head_dim, which equals query_pre_attn_scalar^-1/2 for the released
    // sizes up to 12B; the 27B model's scalar differs (d_model / heads) and is read from the key when present.
    m.attnScale = 1.0f / std::sqrt(static_cast<float>(m.headDim));
    if (a.queryPreAttnScalar) {
        if (const MetaValue* q = c.meta(p + "attention.scale"); q)
            m.attnScale = static_cast<float>(ggufFloat(c, p + "attention.scale", false, m.attnScale));
    }
    m.tiedEmbeddings = c.find("output.weight") == nullptr;
    const TensorInfo* emb = c.find("token_embd.weight");
    if (!emb || emb->shape.size() != 2)
        modelError(c, "token_embd.weight", "missing or not a matrix");
    m.vocabSize = static_cast<int>(std::min<int64_t>(emb->shape[0], INT32_MAX));
    if (a.position == PositionKind::Learned) {
        if (const TensorInfo* pos = c.find("position_embd.weight"); pos && pos->shape.size() == 2)
            m.contextLength = m.contextLength ? std::min<int>(m.contextLength, static_cast<int>(std::min<int64_t>(pos->shape[0], INT32_MAX)))
                                              : static_cast<int>(std::min<int64_t>(pos->shape[0], INT32_MAX));
        if (const TensorInfo* tt = c.find("token_types.weight"); tt && tt->shape.size() == 2)
            m.typeVocab = static_cast<int>(std::min<int64_t>(tt->shape[0], INT32_MAX));
    }

    // Per-layer rules.
    m.layers.assign(static_cast<size_t>(std::clamp(m.nLayers, 0, kMaxLayers)), LayerConfig{});
    for (LayerConfig& l : m.layers) {
        l.ropeTheta = m.ropeTheta;
        l.ropeLinearFactor = linear;
        l.yarn = yarn;
    }
    switch (a.layerRule) {
    case LayerRule::AllCausal:
        break;
    case LayerRule::AllBidirectional:
        for (LayerConfig& l : m.layers)
            l.mask = AttentionMask::bidirectional();
        break;
    case LayerRule::SlidingPattern: {
        m.slidingWindow = static_cast<int>(ggufInt(c, p + "attention.sliding_window", true, 0));
        const int pattern = static_cast<int>(ggufInt(c, p + "attention.sliding_window_pattern", false, a.slidingPattern));
        if (pattern < 1)
            modelError(c, p + "attention.sliding_window_pattern", "must be at least 1");
        for (int i = 0; i < static_cast<int>(m.layers.size()); ++i) {
            LayerConfig& l = m.layers[static_cast<size_t>(i)];
            if ((i + 1) % pattern != 0) {
                l.mask = AttentionMask::sliding(m.slidingWindow);
                if (a.slidingOwnRope) {   // Gemma 3: local base, no scaling (llama.cpp scales only the global layers)
                    l.ropeTheta = a.ggufLocalRopeTheta > 0.f ? a.ggufLocalRopeTheta : m.ropeTheta;
                    l.ropeLinearFactor = 1.f;
                    l.yarn = {};
                }
            }
        }
        break;
    }
    case LayerRule::HybridLinear:
        readHybridGguf(c, p, a, m);
        break;
    }
    if (a.gptOssExperts) {
        // llama.cpp LLM_ARCH_OPENAI_MOE: the clamped SwiGLU's alpha 1.702 and limit 7 are fixed in its graph.
        m.gptOssExperts = static_cast<int>(ggufInt(c, p + "expert_count", true, 0));
        m.gptOssExpertsUsed = static_cast<int>(ggufInt(c, p + "expert_used_count", true, 0));
        m.ffnDim = static_cast<int>(ggufInt(c, p + "expert_feed_forward_length", false, m.ffnDim));
        if (m.gptOssExperts < 1 || m.gptOssExperts > 4096 || m.gptOssExpertsUsed < 1 || m.gptOssExpertsUsed > m.gptOssExperts)
            modelError(c, p + "expert_used_count", "needs 1 ≤ expert_used_count ≤ expert_count ≤ 4096");
    }
    m.outputGate = a.outputGate;
    m.gateLayout = a.gateLayout;
    return m;
}

} // namespace attnscope
