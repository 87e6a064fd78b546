// A Gated DeltaNet token mixer, Qwen3-Next's linear-attention layers (Yang, Kautz, Hatamizadeh, "Gated Delta
// Networks", arXiv 2412.06464), exactly as transformers' torch reference computes it
// (models/qwen3_next/modeling_qwen3_next.py, Qwen3NextGatedDeltaNet.forward without a cache):
//   [q | k | v], z, b, a = in_proj_qkvz(x), in_proj_ba(x)      (per key-head packing undone by the weight store;
//                                                               GGUF: attn_qkv(x), attn_gate(x), ssm_ba(x))
//   q, k, v = SiLU(causal depthwise conv1d([q | k | v]))         (kernel linear_conv_kernel_dim, no bias)
//   o = gated delta rule(q, k, v; β = σ(b), g = −exp(A_log)·softplus(a + dt_bias))   (L2-normalised q and k)
//   y = out_proj( RMSNorm_w(o) · SiLU(z) )                        (per value head; the norm weight is w, not 1 + w)
// There is no softmax map. Captured per value head: β (DeltaBeta), the decay exp(g) (DeltaDecay) and the output
// gate SiLU(z) (DeltaOutputGate).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"
#include "core/model/packed_projection.h"
#include "core/util/error.h"

#include <vector>

namespace attnscope {

namespace {

bool wantsAnyHead(const ForwardContext& c, Quantity q, int l, int heads)
{
    for (int h = 0; h < heads; ++h)
        if (c.observer.wants({q, l, h}))
            return true;
    return false;
}

/// Delivers the columns [h·width, (h + 1)·width) of a [T × heads·width] backend buffer as one series per wanted head.
void captureHeads(ForwardContext& c, Quantity q, int l, const float* buf, int heads, int64_t width)
{
    if (!wantsAnyHead(c, q, l, heads))
        return;
    const int64_t T = c.T, cols = heads * width;
    std::vector<float> copy;
    const float* host = buf;
    if (!c.backend.hostMemory()) {
        copy.resize(static_cast<size_t>(T * cols));
        c.download(copy.data(), buf, T * cols);
        host = copy.data();
    }
    for (int h = 0; h < heads; ++h) {
        if (!c.observer.wants({q, l, h}))
            continue;
        auto s = std::make_shared<CapturedSeries>();
        s->key = {q, l, h};
        s->shape = width == 1 ? std::vector<int64_t>{T} : std::vector<int64_t>{T, width};
        s->values.resize(static_cast<size_t>(T * width));
        for (int64_t t = 0; t < T; ++t)
            for (int64_t j = 0; j < width; ++j)
                s->values[static_cast<size_t>(t * width + j)] = host[t * cols + h * width + j];
        if (!c.observer.onSeries(std::move(s)))
            c.cancelled();
    }
}

} // namespace

void deltaNetSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const DeltaNetDims& dn = cfg.deltaNet;
    const int64_t T = c.T, D = cfg.dModel, Hv = dn.valueHeads, dv = dn.valueDim;
    const int64_t keyW = dn.keyWidth(), valueW = dn.valueWidth(), conv = dn.convChannels();
    using R = TensorRole;
    if (cfg.residual != ResidualLayout::PreNorm)
        throw Error(ErrorKind::Internal, "", "layer " + std::to_string(l), -1, "Gated DeltaNet layers are pre-norm only");

    const float* in = attentionInput(c, l);
    // The weight store rearranges the per-key-head packing once: in_proj_qkvz → [q | k | v | z], in_proj_ba → [b | a].
    // llama.cpp's GGUF already stores [q | k | v] (attn_qkv) and z (attn_gate) apart; its ssm_ba keeps HF's packing.
    const DeltaNetRows rows = deltaNetProjectionRows(dn);
    const float* wQkv = nullptr;
    const float* wZ = nullptr;
    if (const BoundTensor& packed = c.plan.get(R::DeltaInProjQkvz, l)) {
        wQkv = c.store.getRearranged(packed, concatenatedRows("qkv|z", {rows.qkv, rows.z}));
        wZ = wQkv + conv * D;
    } else {
        wQkv = c.weight(R::DeltaInProjQkv, l);
        wZ = c.weight(R::DeltaInProjZ, l);
    }
    const float* wBa = c.store.getRearranged(c.plan.get(R::DeltaInProjBa, l), concatenatedRows("b|a", {rows.b, rows.a}));
    RunBuffer mixed = c.allocate(static_cast<uint64_t>(T * conv), "DeltaNet q/k/v");
    RunBuffer convolved = c.allocate(static_cast<uint64_t>(T * conv), "DeltaNet convolved q/k/v");
    RunBuffer z = c.allocate(static_cast<uint64_t>(T * valueW), "DeltaNet output gate");
    RunBuffer bAndA = c.allocate(static_cast<uint64_t>(T * 2 * Hv), "DeltaNet β and decay inputs");
    RunBuffer out = c.allocate(static_cast<uint64_t>(T * valueW), "DeltaNet output");
    c.gemm(in, T, D, D, wQkv, conv, mixed.data(), conv, 0.f);
    c.gemm(in, T, D, D, wZ, valueW, z.data(), valueW, 0.f);
    c.gemm(in, T, D, D, wBa, 2 * Hv, bAndA.data(), 2 * Hv, 0.f);

    CausalConv1dArgs ca;
    ca.tokens = T; ca.channels = conv; ca.kernel = dn.convKernel;
    ca.x = mixed.data(); ca.ldx = conv;
    ca.weight = c.weight(R::DeltaConv, l);   // [channels, 1, K] = [channels × K]
    ca.y = convolved.data(); ca.ldy = conv;
    ca.act = cfg.activation;                 // Qwen3NextGatedDeltaNet: activation = config.hidden_act
    c.check(c.backend.causalConv1d(ca), OpKind::CausalConv1d);
    c.checkStop();

    const bool wantBeta = wantsAnyHead(c, Quantity::DeltaBeta, l, static_cast<int>(Hv));
    const bool wantDecay = wantsAnyHead(c, Quantity::DeltaDecay, l, static_cast<int>(Hv));
    RunBuffer beta, decay;
    if (wantBeta)
        beta = c.allocate(static_cast<uint64_t>(T * Hv), "DeltaNet β");
    if (wantDecay)
        decay = c.allocate(static_cast<uint64_t>(T * Hv), "DeltaNet decay");
    GatedDeltaRuleArgs g;
    g.tokens = T; g.keyHeads = dn.keyHeads; g.valueHeads = Hv; g.keyDim = dn.keyDim; g.valueDim = dv;
    g.q = convolved.data(); g.k = convolved.data() + keyW; g.ldqk = conv;
    g.v = convolved.data() + 2 * keyW; g.ldv = conv;
    g.b = bAndA.data(); g.a = bAndA.data() + Hv; g.ldab = 2 * Hv;
    g.aLog = c.weight(R::DeltaALog, l);   // HF: A_log; GGUF: A = −exp(A_log) (ssm_a)
    g.negA = c.weight(R::DeltaA, l);
    g.dtBias = c.weight(R::DeltaDtBias, l);
    g.out = out.data(); g.ldo = valueW;
    g.beta = beta.data(); g.decay = decay.data();
    g.stop = c.options.stop;
    const auto t0 = ForwardContext::Clock::now();
    c.check(c.backend.gatedDeltaRule(g), OpKind::GatedDeltaRule);
    c.timings.attentionMs += std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - t0).count();
    auto tc = ForwardContext::Clock::now();
    if (wantBeta)
        captureHeads(c, Quantity::DeltaBeta, l, beta.data(), static_cast<int>(Hv), 1);
    if (wantDecay)
        captureHeads(c, Quantity::DeltaDecay, l, decay.data(), static_cast<int>(Hv), 1);
    c.timings.gateCaptureMs += std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - tc).count();

    // Qwen3NextRMSNormGated: w · RMSNorm(o) per value head, times SiLU(z).
    c.rmsNorm(out.data(), T * Hv, dv, dv, c.weight(R::DeltaNorm, l), 0.f, out.data(), dv);
    c.activation(z.data(), T * valueW, Activation::Silu);
    tc = ForwardContext::Clock::now();
    captureHeads(c, Quantity::DeltaOutputGate, l, z.data(), static_cast<int>(Hv), dv);
    c.timings.gateCaptureMs += std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - tc).count();
    c.gatedActivation(z.data(), out.data(), out.data(), T * valueW, Activation::Identity, 1);
    c.gemm(out.data(), T, valueW, valueW, c.weight(R::DeltaOutProj, l), D, c.x.data(), D, 1.f);   // x += y
}

} // namespace attnscope
