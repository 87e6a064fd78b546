// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/model_config.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"

#include <cmath>
#include <filesystem>

namespace attnscope {

const char* ropePairingName(RopePairing p)
{
    return p == RopePairing::Adjacent ? "adjacent" : "split-half";
}

namespace {

// Architectures of the Llama family that the reference forward runs. The value says how q/k rows are laid out:
// llama.cpp's converter permutes q/k rows for `llama`, so GGUF llama files use adjacent-pair RoPE; Qwen2/3 are
// not permuted (FORMATS §3.8, VARIANTS §3).
bool isSupportedArchitecture(const std::string& a)
{
    return a == "llama" || a == "mistral" || a == "qwen2" || a == "qwen3";
}

const char* kSupportedList = "llama (Llama, SmolLM2), mistral, qwen2, qwen3";

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

double ggufFloat(const Checkpoint& c, const std::string& key, double fallback)
{
    const MetaValue* v = c.meta(key);
    if (!v)
        return fallback;
    if (v->type == MetaValue::Type::Float)
        return v->f;
    if (v->type == MetaValue::Type::UInt)
        return static_cast<double>(v->u);
    if (v->type == MetaValue::Type::Int)
        return static_cast<double>(v->i);
    modelError(c, key, "expected a number");
}

int64_t jsonInt(const Checkpoint& c, const nlohmann::json& j, const char* key, bool required, int64_t fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required)
            modelError(c, std::string("config.json:") + key, "required field is missing");
        return fallback;
    }
    if (!it->is_number_integer())
        modelError(c, std::string("config.json:") + key, "expected an integer");
    int64_t v = it->get<int64_t>();
    if (v < 0 || v > INT32_MAX)
        modelError(c, std::string("config.json:") + key, "value " + std::to_string(v) + " is out of range");
    return v;
}

double jsonFloat(const Checkpoint& c, const nlohmann::json& j, const char* key, double fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_number())
        modelError(c, std::string("config.json:") + key, "expected a number");
    return it->get<double>();
}

bool jsonBool(const nlohmann::json& j, const char* key, bool fallback)
{
    auto it = j.find(key);
    return (it != j.end() && it->is_boolean()) ? it->get<bool>() : fallback;
}

ModelConfig fromGguf(const Checkpoint& c)
{
    ModelConfig m;
    const MetaValue* arch = c.meta("general.architecture");
    if (!arch || arch->type != MetaValue::Type::String)
        modelError(c, "general.architecture", "required string key is missing");
    m.architecture = arch->s;
    if (!isSupportedArchitecture(m.architecture))
        throw Error(ErrorKind::Unsupported, c.path, "general.architecture", -1,
                    "architecture '" + m.architecture + "' cannot be run yet (supported: " + kSupportedList +
                        "); its metadata and tensors can still be inspected with `attnscope-cli info`");
    if (const MetaValue* n = c.meta("general.name"); n && n->type == MetaValue::Type::String)
        m.name = n->s;
    const std::string p = m.architecture + ".";
    m.nLayers = static_cast<int>(ggufInt(c, p + "block_count", true, 0));
    m.dModel = static_cast<int>(ggufInt(c, p + "embedding_length", true, 0));
    m.ffnDim = static_cast<int>(ggufInt(c, p + "feed_forward_length", true, 0));
    m.nHeads = static_cast<int>(ggufInt(c, p + "attention.head_count", true, 0));
    m.nKvHeads = static_cast<int>(ggufInt(c, p + "attention.head_count_kv", false, m.nHeads));
    m.contextLength = static_cast<int>(ggufInt(c, p + "context_length", false, 2048));
    int defaultHeadDim = m.nHeads > 0 ? m.dModel / m.nHeads : 0;
    m.headDim = static_cast<int>(ggufInt(c, p + "attention.key_length", false, defaultHeadDim));
    int valueLength = static_cast<int>(ggufInt(c, p + "attention.value_length", false, m.headDim));
    if (valueLength != m.headDim)
        modelError(c, p + "attention.value_length", "differs from key_length; not supported");
    m.ropeDims = static_cast<int>(ggufInt(c, p + "rope.dimension_count", false, m.headDim));
    m.ropeTheta = static_cast<float>(ggufFloat(c, p + "rope.freq_base", 10000.0));
    m.normEps = static_cast<float>(ggufFloat(c, p + "attention.layer_norm_rms_epsilon", 1e-5));
    m.slidingWindow = static_cast<int>(ggufInt(c, p + "attention.sliding_window", false, 0));
    m.ropePairing = (m.architecture == "llama" || m.architecture == "mistral") ? RopePairing::Adjacent
                                                                                : RopePairing::SplitHalf;
    m.qkNorm = m.architecture == "qwen3";
    m.qkvBias = m.architecture == "qwen2";
    m.tiedEmbeddings = c.find("output.weight") == nullptr;
    const TensorInfo* emb = c.find("token_embd.weight");
    if (!emb || emb->shape.size() != 2)
        modelError(c, "token_embd.weight", "missing or not a matrix");
    m.vocabSize = static_cast<int>(std::min<int64_t>(emb->shape[0], INT32_MAX));
    return m;
}

ModelConfig fromHfConfig(const Checkpoint& c)
{
    const nlohmann::json& j = c.config;
    if (!j.is_object())
        modelError(c, "config.json", "missing or not a JSON object");
    ModelConfig m;
    auto mt = j.find("model_type");
    if (mt == j.end() || !mt->is_string())
        modelError(c, "config.json:model_type", "required string field is missing");
    m.architecture = mt->get<std::string>();
    if (!isSupportedArchitecture(m.architecture))
        throw Error(ErrorKind::Unsupported, c.path, "config.json:model_type", -1,
                    "model_type '" + m.architecture + "' cannot be run yet (supported: " + kSupportedList + ")");
    // `auto_map` (remote code) is never executed: a known model_type runs with our own implementation.
    m.name = std::filesystem::path(c.path).filename().string();
    m.nLayers = static_cast<int>(jsonInt(c, j, "num_hidden_layers", true, 0));
    m.dModel = static_cast<int>(jsonInt(c, j, "hidden_size", true, 0));
    m.ffnDim = static_cast<int>(jsonInt(c, j, "intermediate_size", true, 0));
    m.nHeads = static_cast<int>(jsonInt(c, j, "num_attention_heads", true, 0));
    m.nKvHeads = static_cast<int>(jsonInt(c, j, "num_key_value_heads", false, m.nHeads));
    m.vocabSize = static_cast<int>(jsonInt(c, j, "vocab_size", true, 0));
    m.contextLength = static_cast<int>(jsonInt(c, j, "max_position_embeddings", false, 2048));
    m.headDim = static_cast<int>(jsonInt(c, j, "head_dim", false, m.nHeads > 0 ? m.dModel / m.nHeads : 0));
    m.normEps = static_cast<float>(jsonFloat(c, j, "rms_norm_eps", 1e-6));
    // transformers v5 moved rope_theta into rope_parameters; read both (FORMATS §4).
    double theta = jsonFloat(c, j, "rope_theta", 10000.0);
    if (auto rp = j.find("rope_parameters"); rp != j.end() && rp->is_object())
        theta = jsonFloat(c, *rp, "rope_theta", theta);
    m.ropeTheta = static_cast<float>(theta);
    double partial = jsonFloat(c, j, "partial_rotary_factor", 1.0);
    m.ropeDims = static_cast<int>(std::lround(partial * m.headDim));
    m.ropePairing = RopePairing::SplitHalf;   // HF safetensors are never permuted
    m.qkNorm = m.architecture == "qwen3";
    m.qkvBias = m.architecture == "qwen2" || jsonBool(j, "attention_bias", false);
    m.outputBias = false;
    m.tiedEmbeddings = jsonBool(j, "tie_word_embeddings", false) || c.find("lm_head.weight") == nullptr;
    if (auto sw = j.find("sliding_window"); sw != j.end() && sw->is_number_integer())
        m.slidingWindow = static_cast<int>(std::clamp<int64_t>(sw->get<int64_t>(), 0, INT32_MAX));
    return m;
}

void validate(const Checkpoint& c, const ModelConfig& m)
{
    auto check = [&](bool ok, const char* field, const std::string& why) {
        if (!ok)
            modelError(c, field, why);
    };
    check(m.nLayers > 0 && m.nLayers <= kMaxLayers, "n_layers", "must be in 1.." + std::to_string(kMaxLayers) + ", got " + std::to_string(m.nLayers));
    check(m.nHeads > 0 && m.nHeads <= kMaxHeads, "n_heads", "must be in 1.." + std::to_string(kMaxHeads) + ", got " + std::to_string(m.nHeads));
    check(m.nKvHeads > 0 && m.nKvHeads <= m.nHeads && m.nHeads % m.nKvHeads == 0, "n_kv_heads",
          std::to_string(m.nKvHeads) + " KV heads do not divide " + std::to_string(m.nHeads) + " heads");
    check(m.headDim > 0 && m.headDim <= kMaxHeadDim && m.headDim % 2 == 0, "head_dim", "must be even and in 2.." + std::to_string(kMaxHeadDim) + ", got " + std::to_string(m.headDim));
    check(m.dModel > 0 && m.dModel <= kMaxDModel, "d_model", "out of range: " + std::to_string(m.dModel));
    check(m.ffnDim > 0 && m.ffnDim <= 16 * kMaxDModel, "ffn_dim", "out of range: " + std::to_string(m.ffnDim));
    check(m.vocabSize > 0 && m.vocabSize <= kMaxVocab, "vocab_size", "out of range: " + std::to_string(m.vocabSize));
    check(m.ropeDims > 0 && m.ropeDims <= m.headDim && m.ropeDims % 2 == 0, "rope_dims", "must be even and ≤ head_dim, got " + std::to_string(m.ropeDims));
    check(std::isfinite(m.ropeTheta) && m.ropeTheta > 1.f, "rope_theta", "must be a finite number > 1");
    check(std::isfinite(m.normEps) && m.normEps > 0.f && m.normEps < 1.f, "norm_eps", "must be in (0, 1)");
    check(m.contextLength > 0, "context_length", "must be positive");
}

} // namespace

ModelConfig modelConfigFromCheckpoint(const Checkpoint& ckpt)
{
    ModelConfig m = ckpt.format == CheckpointFormat::Gguf ? fromGguf(ckpt) : fromHfConfig(ckpt);
    validate(ckpt, m);
    return m;
}

} // namespace attnscope
