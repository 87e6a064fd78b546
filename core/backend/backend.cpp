// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend.h"

#include "core/util/error.h"

namespace attnscope {

const char* opKindName(OpKind k)
{
    switch (k) {
    case OpKind::Gemm: return "gemm";
    case OpKind::Norm: return "norm";
    case OpKind::Rope: return "rope";
    case OpKind::Activation: return "activation";
    case OpKind::GatedActivation: return "gated_activation";
    case OpKind::AddBias: return "add_bias";
    case OpKind::Add: return "add";
    case OpKind::Scale: return "scale";
    case OpKind::Gather: return "gather";
    case OpKind::Attention: return "attention";
    case OpKind::VariantAttention: return "variant_attention";
    case OpKind::HeadGroupMean: return "head_group_mean";
    case OpKind::IndexAdd: return "index_add";
    case OpKind::CausalConv1d: return "causal_conv1d";
    case OpKind::GatedDeltaRule: return "gated_delta_rule";
    case OpKind::MoeRoute: return "moe_route";
    case OpKind::Count: break;
    }
    return "unknown";
}

const char* normKindName(NormKind k)
{
    return k == NormKind::Rms ? "rms_norm" : "layer_norm";
}

const char* activationName(Activation a)
{
    switch (a) {
    case Activation::Silu: return "silu";
    case Activation::GeluErf: return "gelu";
    case Activation::GeluTanh: return "gelu_tanh";
    case Activation::Softcap: return "softcap";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Identity: return "identity";
    case Activation::ClampedSwiglu: return "clamped_swiglu";
    }
    return "unknown";
}

AttentionArgs attentionHeadSlice(const AttentionArgs& a, int64_t h)
{
    AttentionArgs s = a;
    const int64_t g = a.kvHeads > 0 && a.heads >= a.kvHeads ? h / (a.heads / a.kvHeads) : 0;
    s.heads = 1;
    s.kvHeads = 1;
    s.q = a.q + h * a.headDim;
    s.k = a.k + g * a.headDim;
    s.v = a.v + g * a.headDim;
    s.out = a.out + h * a.headDim;
    s.probs = a.probs ? a.probs + h : nullptr;
    s.lse = a.lse ? a.lse + h : nullptr;
    s.sinkLogits = a.sinkLogits ? a.sinkLogits + h : nullptr;
    s.sinkProbs = a.sinkProbs ? a.sinkProbs + h : nullptr;
    s.rowMax = a.rowMax ? a.rowMax + h : nullptr;
    s.rowLogSum = a.rowLogSum ? a.rowLogSum + h : nullptr;
    s.observerHeadBase = a.observerHeadBase + h;
    return s;
}

std::unique_ptr<Backend> BackendRegistry::create(const std::string& which, std::string& notes) const
{
    bool known = which == "auto";
    for (const auto& f : m_factories) {
        if (which != "auto" && f->name() != which)
            continue;
        known = true;
        std::string reason;
        if (f->probe(reason))
            return f->create();
        if (!notes.empty())
            notes += "; ";
        notes += f->name() + ": " + reason;
        if (which != "auto")
            throw Error(ErrorKind::Unsupported, "", "backend", -1, "backend '" + which + "' is unavailable: " + reason);
    }
    if (!known) {
        std::string names;
        for (const auto& f : m_factories)
            names += (names.empty() ? "" : ", ") + f->name();
        if (which == "cuda")   // a known backend this build left out
            throw Error(ErrorKind::Unsupported, "", "backend", -1,
                        "this build has no CUDA backend (nvcc was not found when it was configured); available: auto, " + names);
        throw Error(ErrorKind::Usage, "", "backend", -1, "unknown backend '" + which + "' (available: auto, " + names + ")");
    }
    throw Error(ErrorKind::Unsupported, "", "backend", -1, "no backend could be started: " + notes);
}

} // namespace attnscope
