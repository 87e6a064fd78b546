// Shared validation of both readers' output (docs/SECURITY.md "Model-level checks") and the per-layer summary.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/model_config.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope {

namespace {

void validate(const Checkpoint& c, const ModelConfig& m)
{
    auto check = [&](bool ok, const char* field, const std::string& why) {
        if (!ok)
            throw Error(ErrorKind::Model, c.path, field, -1, why);
    };
    check(m.nLayers > 0 && m.nLayers <= kMaxLayers, "n_layers", "must be in 1.." + std::to_string(kMaxLayers) + ", got " + std::to_string(m.nLayers));
    check(m.nHeads > 0 && m.nHeads <= kMaxHeads, "n_heads", "must be in 1.." + std::to_string(kMaxHeads) + ", got " + std::to_string(m.nHeads));
    check(m.nKvHeads > 0 && m.nKvHeads <= m.nHeads && m.nHeads % m.nKvHeads == 0, "n_kv_heads",
          std::to_string(m.nKvHeads) + " KV heads do not divide " + std::to_string(m.nHeads) + " heads");
    check(m.headDim > 0 && m.headDim <= kMaxHeadDim && m.headDim % 2 == 0, "head_dim", "must be even and in 2.." + std::to_string(kMaxHeadDim) + ", got " + std::to_string(m.headDim));
    check(m.dModel > 0 && m.dModel <= kMaxDModel, "d_model", "out of range: " + std::to_string(m.dModel));
    check(m.ffnDim > 0 && m.ffnDim <= 16 * kMaxDModel, "ffn_dim", "out of range: " + std::to_string(m.ffnDim));
    check(m.vocabSize > 0 && m.vocabSize <= kMaxVocab, "vocab_size", "out of range: " + std::to_string(m.vocabSize));
    check(m.contextLength >= 0 && m.contextLength <= kMaxContext, "context_length", "out of range: " + std::to_string(m.contextLength));
    check(m.typeVocab >= 0 && m.typeVocab <= 1024, "type_vocab_size", "out of range: " + std::to_string(m.typeVocab));
    check(std::isfinite(m.normEps) && m.normEps > 0.f && m.normEps < 1.f, "norm_eps", "must be in (0, 1)");
    check(std::isfinite(m.finalLogitSoftcap) && m.finalLogitSoftcap >= 0.f, "final_logit_softcapping", "must be a non-negative number");
    check(std::isfinite(m.attnScale) && m.attnScale > 0.f, "attention_scale", "must be a positive number");
    if (m.position == PositionKind::Rope) {
        check(m.ropeDims > 0 && m.ropeDims <= m.headDim && m.ropeDims % 2 == 0, "rope_dims", "must be even and ≤ head_dim, got " + std::to_string(m.ropeDims));
        for (const LayerConfig& l : m.layers) {
            check(std::isfinite(l.ropeTheta) && l.ropeTheta > 1.f, "rope_theta", "must be a finite number > 1");
            check(std::isfinite(l.ropeLinearFactor) && l.ropeLinearFactor > 0.f, "rope_scaling.factor", "must be a positive number");
        }
    }
    for (const LayerConfig& l : m.layers)
        if (l.mask.kind == MaskKind::Sliding)
            check(l.mask.window >= 1 && l.mask.window <= kMaxContext, "sliding_window",
                  "must be in 1.." + std::to_string(kMaxContext) + ", got " + std::to_string(l.mask.window));
    check(static_cast<int>(m.layers.size()) == m.nLayers, "n_layers", "per-layer rules do not cover every layer");
    if (m.anyLayer(TokenMixer::GatedDeltaNet)) {
        const DeltaNetDims& d = m.deltaNet;
        check(d.keyHeads > 0 && d.keyHeads <= kMaxHeads, "linear_num_key_heads", "must be in 1.." + std::to_string(kMaxHeads));
        check(d.valueHeads > 0 && d.valueHeads <= kMaxHeads && d.valueHeads % d.keyHeads == 0, "linear_num_value_heads",
              "must be a multiple of linear_num_key_heads and at most " + std::to_string(kMaxHeads));
        check(d.keyDim > 0 && d.keyDim <= kMaxHeadDim, "linear_key_head_dim", "must be in 1.." + std::to_string(kMaxHeadDim));
        check(d.valueDim > 0 && d.valueDim <= kMaxHeadDim, "linear_value_head_dim", "must be in 1.." + std::to_string(kMaxHeadDim));
        check(d.convKernel > 0 && d.convKernel <= 64, "linear_conv_kernel_dim", "must be in 1..64");
    }
    if (m.anyLayer(FfnKind::Moe)) {
        check(m.moe.experts > 0 && m.moe.experts <= 4096, "num_experts", "must be in 1..4096");
        check(m.moe.topK > 0 && m.moe.topK <= m.moe.experts, "num_experts_per_tok", "must be in 1..num_experts");
        check(m.moe.expertFfn > 0 && m.moe.expertFfn <= 16 * kMaxDModel, "moe_intermediate_size", "out of range");
        check(m.moe.sharedFfn > 0 && m.moe.sharedFfn <= 16 * kMaxDModel, "shared_expert_intermediate_size", "out of range");
    }
}

std::string formatTheta(float t)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", static_cast<double>(t));
    return buf;
}

} // namespace

RopeYarn yarnParameters(double theta, int dim, double factor, double originalMax, double betaFast, double betaSlow,
                        double attentionFactor, double mscale, double mscaleAllDim, bool truncate)
{
    auto mscaleOf = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
    if (std::isnan(attentionFactor))
        attentionFactor = (mscale != 0 && mscaleAllDim != 0) ? mscaleOf(factor, mscale) / mscaleOf(factor, mscaleAllDim)
                                                             : mscaleOf(factor, 1.0);
    auto correctionDim = [&](double rotations) {
        return (dim * std::log(originalMax / (rotations * 2 * M_PI))) / (2 * std::log(theta));
    };
    double low = correctionDim(betaFast), high = correctionDim(betaSlow);
    if (truncate) {
        low = std::floor(low);
        high = std::ceil(high);
    }
    RopeYarn y;
    y.factor = static_cast<float>(factor);
    y.rampLow = std::max(low, 0.0);
    y.rampHigh = std::min(high, static_cast<double>(dim - 1));
    y.attentionFactor = static_cast<float>(attentionFactor);
    return y;
}

bool ModelConfig::mayProduce(Quantity q) const
{
    switch (q) {
    case Quantity::AttentionProbs2:
    case Quantity::AttentionCombined:
    case Quantity::Lambda: return diff != DiffVersion::None;
    default: return true;   // sink probabilities too: a what-if sink variant adds a sink column to any model
    }
}

bool ModelConfig::causal() const
{
    for (const LayerConfig& l : layers)
        if (l.mask.isCausal())
            return true;
    return false;
}

bool ModelConfig::anyLayer(TokenMixer mx) const
{
    for (const LayerConfig& l : layers)
        if (l.mixer == mx)
            return true;
    return false;
}

bool ModelConfig::anyLayer(FfnKind f) const
{
    for (const LayerConfig& l : layers)
        if (l.ffn == f)
            return true;
    return false;
}

std::string ModelConfig::layerRule(size_t i) const
{
    const LayerConfig& l = layers.at(i);
    if (!l.hasSoftmaxMap())
        return "Gated DeltaNet (linear attention, no softmax map)";
    std::string d = l.mask.kind == MaskKind::Causal ? "full (causal)" : l.mask.describe();
    if (position == PositionKind::Rope) {
        d += ", RoPE θ " + formatTheta(l.ropeTheta);
        if (l.ropeLinearFactor != 1.f)
            d += " / " + formatTheta(l.ropeLinearFactor);
        if (l.yarn.factor > 0.f)
            d += ", YaRN ×" + formatTheta(l.yarn.factor);
    }
    return d;
}

std::string ModelConfig::layerRulesSummary() const
{
    std::string out;
    auto describe = [this](const LayerConfig& l) { return layerRule(static_cast<size_t>(&l - layers.data())); };
    size_t i = 0;
    while (i < layers.size()) {
        size_t k = i + 1;
        const std::string d = describe(layers[i]);
        while (k < layers.size() && describe(layers[k]) == d)
            ++k;
        if (!out.empty())
            out += "; ";
        out += (k - i == 1 ? std::to_string(i) : std::to_string(i) + "–" + std::to_string(k - 1)) + ": " + d;
        i = k;
    }
    return out;
}

ModelConfig modelConfigFromCheckpoint(const Checkpoint& ckpt)
{
    ModelConfig m = ckpt.format == CheckpointFormat::Gguf ? modelConfigFromGguf(ckpt) : modelConfigFromHf(ckpt);
    validate(ckpt, m);
    return m;
}

} // namespace attnscope
