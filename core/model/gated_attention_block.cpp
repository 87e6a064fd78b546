// Softmax attention with an output gate (Qiu et al., "Gated Attention for Large Language Models", arXiv
// 2505.06708, Eq. 5, position G1; docs/GATED.md): each head's SDPA output is multiplied by σ(x W_θ) before o_proj,
// where x is the same normed input as the q/k/v projections and W_θ are gate rows packed into q_proj:
//   qiuzh20/gated_attention modeling_qwen3.py   headwise (one gate per head and token) or elementwise (one per
//                                               head, token and dim), rows per KV group
//   transformers qwen3_next Qwen3NextAttention  elementwise, [query | gate] per head
// The weight store rearranges q_proj once into [query rows | gate rows] (core/model/packed_projection.h), so the
// gate is one extra GEMM over the second part. The softmax maps are the ordinary ones (the gate does not change them). Captured
// per head: the gate values (Gate: [T] or [T, d]) and the L2 norm of the SDPA output per token before and after
// the gate (AttnOutNormPre / AttnOutNormPost) — the inputs of the gate statistics (core/metrics/layer_report.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"
#include "core/model/packed_projection.h"

#include <cmath>
#include <vector>

namespace attnscope {

namespace {

double msSince(ForwardContext::Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - t0).count();
}

/// The head's SDPA output norm per token: sqrt(Σ_j o[t, h·d + j]²).
std::vector<float> headNorms(const float* attn, int64_t T, int64_t ld, int64_t h, int64_t d)
{
    std::vector<float> out(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) {
        const float* o = attn + t * ld + h * d;
        double ss = 0;
        for (int64_t j = 0; j < d; ++j)
            ss += double(o[j]) * double(o[j]);
        out[static_cast<size_t>(t)] = static_cast<float>(std::sqrt(ss));
    }
    return out;
}

void deliver(ForwardContext& c, Quantity q, int layer, int head, std::vector<int64_t> shape, std::vector<float> values)
{
    auto s = std::make_shared<CapturedSeries>();
    s->key = {q, layer, head};
    s->shape = std::move(shape);
    s->values = std::move(values);
    if (!c.observer.onSeries(std::move(s)))
        c.cancelled();
}

/// A host view of a backend buffer: the buffer itself on host-memory backends, else a downloaded copy.
const float* hostView(ForwardContext& c, const float* p, int64_t n, std::vector<float>& copy)
{
    if (c.backend.hostMemory())
        return p;
    copy.resize(static_cast<size_t>(n));
    c.download(copy.data(), p, n);
    return copy.data();
}

/// Delivers one capture per wanted head: AttnOutNormPre / AttnOutNormPost from ctx.attn.
void captureNorms(ForwardContext& c, int l, Quantity q)
{
    const int64_t T = c.T, H = c.cfg.nHeads, d = c.cfg.headDim, qw = H * d;
    bool any = false;
    for (int h = 0; h < H && !any; ++h)
        any = c.observer.wants({q, l, h});
    if (!any)
        return;
    std::vector<float> copy;
    const float* attn = hostView(c, c.attn.data(), T * qw, copy);
    for (int h = 0; h < H; ++h)
        if (c.observer.wants({q, l, h}))
            deliver(c, q, l, h, {T}, headNorms(attn, T, qw, h, d));
}

void captureGates(ForwardContext& c, int l, const float* gate, int64_t gw)
{
    const int64_t T = c.T, H = c.cfg.nHeads, cols = H * gw;
    bool any = false;
    for (int h = 0; h < H && !any; ++h)
        any = c.observer.wants({Quantity::Gate, l, h});
    if (!any)
        return;
    std::vector<float> copy;
    const float* g = hostView(c, gate, T * cols, copy);
    for (int h = 0; h < H; ++h) {
        if (!c.observer.wants({Quantity::Gate, l, h}))
            continue;
        std::vector<float> v(static_cast<size_t>(T * gw));
        for (int64_t t = 0; t < T; ++t)
            for (int64_t j = 0; j < gw; ++j)
                v[static_cast<size_t>(t * gw + j)] = g[t * cols + h * gw + j];
        deliver(c, Quantity::Gate, l, h, gw == 1 ? std::vector<int64_t>{T} : std::vector<int64_t>{T, gw}, std::move(v));
    }
}

} // namespace

void gatedAttentionSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel, H = cfg.nHeads, Hkv = cfg.nKvHeads, d = cfg.headDim;
    const int64_t qw = H * d, kvw = Hkv * d, gw = gateWidth(cfg.outputGate, d), gateCols = H * gw;
    using R = TensorRole;

    const float* in = attentionInput(c, l);
    const std::vector<RowRange> queryRows = packedQueryRows(cfg.gateLayout, cfg.outputGate, H, Hkv, d);
    const std::vector<RowRange> gateRows = packedGateRows(cfg.gateLayout, cfg.outputGate, H, Hkv, d);
    const RowLayout split = concatenatedRows(std::string("query|gate ") + outputGateName(cfg.outputGate) + " " +
                                                 gateLayoutName(cfg.gateLayout), {queryRows, gateRows});
    const float* wq = c.store.getRearranged(c.plan.get(R::Q, l), split);
    RunBuffer gate = c.allocate(static_cast<uint64_t>(T * gateCols), "output gate");
    c.gemm(in, T, D, D, wq, qw, c.q.data(), qw, 0.f);
    c.gemm(in, T, D, D, wq + qw * D, gateCols, gate.data(), gateCols, 0.f);
    c.gemm(in, T, D, D, c.weight(R::K, l), kvw, c.k.data(), kvw, 0.f);
    c.gemm(in, T, D, D, c.weight(R::V, l), kvw, c.v.data(), kvw, 0.f);
    if (const float* qb = c.store.getRearranged(c.plan.get(R::QBias, l), split)) {
        c.addBias(c.q.data(), T, qw, qw, qb);
        c.addBias(gate.data(), T, gateCols, gateCols, qb + qw);
    }
    c.addBias(c.k.data(), T, kvw, kvw, c.weight(R::KBias, l));
    c.addBias(c.v.data(), T, kvw, kvw, c.weight(R::VBias, l));
    normAndRotateQk(c, l, c.q.data(), qw, c.k.data(), kvw);
    c.checkStop();
    deliverQueriesAndKeys(c, l, c.q.data(), qw, c.k.data(), kvw);
    softmaxAttention(c, l, c.q.data(), qw, c.k.data(), c.v.data(), kvw);

    // Y' = Y ⊙ σ(gate): one gate value per head (repeated over its d dims) or per dim.
    c.activation(gate.data(), T * gateCols, Activation::Sigmoid);
    auto t0 = ForwardContext::Clock::now();
    captureGates(c, l, gate.data(), gw);
    captureNorms(c, l, Quantity::AttnOutNormPre);
    c.timings.gateCaptureMs += msSince(t0);
    c.gatedActivation(gate.data(), c.attn.data(), c.attn.data(), T * qw, Activation::Identity, gw == 1 ? d : 1);
    t0 = ForwardContext::Clock::now();
    captureNorms(c, l, Quantity::AttnOutNormPost);
    c.timings.gateCaptureMs += msSince(t0);
    attentionOutput(c, l);
}

} // namespace attnscope
