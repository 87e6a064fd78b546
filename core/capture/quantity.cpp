// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/quantity.h"

#include <array>

namespace attnscope {

namespace {

constexpr std::array<QuantityInfo, static_cast<size_t>(Quantity::Count)> kSchema = {{
    {Quantity::AttentionProbs, "attention.probs", "attention probabilities", QuantityShape::HeadMap,
     ValueDomain::Probability, ViewHint::Heatmap},
    {Quantity::AttentionProbs2, "attention.probs2", "second softmax map (A2)", QuantityShape::HeadMap,
     ValueDomain::Probability, ViewHint::Heatmap},
    {Quantity::AttentionCombined, "attention.combined", "combined map (A1 − λ·A2)", QuantityShape::HeadMap,
     ValueDomain::Signed, ViewHint::DivergingHeatmap},
    {Quantity::Gate, "gate", "output gate σ(xW)", QuantityShape::HeadSeries, ValueDomain::Gate, ViewHint::Series},
    {Quantity::SinkProb, "sink.prob", "sink probability per row", QuantityShape::HeadSeries, ValueDomain::Probability,
     ViewHint::Series},
    {Quantity::AttnOutNormPre, "attn_out.norm_pre_gate", "|attention output| before the gate",
     QuantityShape::HeadSeries, ValueDomain::NonNegative, ViewHint::Series},
    {Quantity::AttnOutNormPost, "attn_out.norm_post_gate", "|attention output| after the gate",
     QuantityShape::HeadSeries, ValueDomain::NonNegative, ViewHint::Series},
    {Quantity::Lambda, "lambda", "differential λ", QuantityShape::HeadSeries, ValueDomain::Signed, ViewHint::Series},
    {Quantity::HiddenState, "hidden.state", "residual stream after the layer", QuantityShape::LayerSeries,
     ValueDomain::Signed, ViewHint::DivergingHeatmap},
    {Quantity::FinalHidden, "hidden.final", "output hidden state", QuantityShape::LayerSeries, ValueDomain::Signed,
     ViewHint::DivergingHeatmap},
    {Quantity::Queries, "attention.queries", "queries after norm and RoPE", QuantityShape::LayerSeries,
     ValueDomain::Signed, ViewHint::DivergingHeatmap},
    {Quantity::Keys, "attention.keys", "keys after norm and RoPE", QuantityShape::LayerSeries, ValueDomain::Signed,
     ViewHint::DivergingHeatmap},
    {Quantity::RowLogSumExp, "attention.lse", "per-row log-sum-exp", QuantityShape::HeadSeries, ValueDomain::Signed,
     ViewHint::Series},
    {Quantity::HeadScores, "head.scores", "head scores computed row by row", QuantityShape::HeadSeries,
     ValueDomain::Signed, ViewHint::Series},
    {Quantity::CoarseMax, "attention.coarse_max", "map max-pooled to ≤ 256²", QuantityShape::HeadSeries,
     ValueDomain::Probability, ViewHint::Heatmap},
    {Quantity::CoarseMean, "attention.coarse_mean", "map mean-pooled to ≤ 256²", QuantityShape::HeadSeries,
     ValueDomain::Probability, ViewHint::Heatmap},
    {Quantity::DeltaBeta, "deltanet.beta", "Gated DeltaNet write strength β", QuantityShape::HeadSeries,
     ValueDomain::Gate, ViewHint::Series},
    {Quantity::DeltaDecay, "deltanet.decay", "Gated DeltaNet state decay exp(g)", QuantityShape::HeadSeries,
     ValueDomain::Gate, ViewHint::Series},
    {Quantity::DeltaOutputGate, "deltanet.z_gate", "Gated DeltaNet output gate SiLU(z)", QuantityShape::HeadSeries,
     ValueDomain::Signed, ViewHint::Series},
}};

static_assert([] {
    for (size_t i = 0; i < kSchema.size(); ++i)
        if (static_cast<size_t>(kSchema[i].quantity) != i)
            return false;
    return true;
}(), "the schema rows must be in enum order");

} // namespace

std::span<const QuantityInfo> quantitySchema()
{
    return kSchema;
}

const QuantityInfo& quantityInfo(Quantity q)
{
    return kSchema[static_cast<size_t>(q)];
}

bool quantityFromKey(const std::string& key, Quantity& out)
{
    for (const QuantityInfo& q : kSchema)
        if (key == q.key) {
            out = q.quantity;
            return true;
        }
    return false;
}

} // namespace attnscope
