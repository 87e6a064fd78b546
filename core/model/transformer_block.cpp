// The block of the table's transformer family (docs/ARCHITECTURES.md "Block"): one attention sub-block and one
// MLP sub-block, each wrapped by the row's residual layout —
//   pre-norm   x += f(norm(x))
//   sandwich   x += postNorm(f(preNorm(x)))
//   post-norm  x = norm(x + f(x))
// with separate or fused q/k/v projections, optional biases, optional q/k RMSNorm, RoPE or learned positions, the
// layer's mask, and a gated (SwiGLU/GeGLU) or plain (GELU) MLP. Every operation is a backend op.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"

#include "core/util/error.h"

#include <vector>

namespace attnscope {

namespace {

void attentionSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel, H = cfg.nHeads, Hkv = cfg.nKvHeads, d = cfg.headDim;
    const int64_t qw = H * d, kvw = Hkv * d;
    using R = TensorRole;

    // Input of the projections: the normed stream (pre-norm, sandwich) or the stream itself (post-norm).
    const float* in = c.x.data();
    if (cfg.residual != ResidualLayout::PostNorm) {
        c.norm(c.x.data(), T, D, D, c.weight(R::AttnNorm, l), c.weight(R::AttnNormBias, l), c.xn.data(), D);
        in = c.xn.data();
    }

    float *q, *k, *v;
    int64_t ldq, ldkv;
    if (c.plan.get(R::Qkv, l)) {
        // Fused q|k|v (GPT-2): one GEMM, then strided views.
        const int64_t w = qw + 2 * kvw;
        c.gemm(in, T, D, D, c.weight(R::Qkv, l), w, c.q.data(), w, 0.f);
        c.addBias(c.q.data(), T, w, w, c.weight(R::QkvBias, l));
        q = c.q.data();
        k = q + qw;
        v = k + kvw;
        ldq = ldkv = w;
    } else {
        c.gemm(in, T, D, D, c.weight(R::Q, l), qw, c.q.data(), qw, 0.f);
        c.gemm(in, T, D, D, c.weight(R::K, l), kvw, c.k.data(), kvw, 0.f);
        c.gemm(in, T, D, D, c.weight(R::V, l), kvw, c.v.data(), kvw, 0.f);
        c.addBias(c.q.data(), T, qw, qw, c.weight(R::QBias, l));
        c.addBias(c.k.data(), T, kvw, kvw, c.weight(R::KBias, l));
        c.addBias(c.v.data(), T, kvw, kvw, c.weight(R::VBias, l));
        q = c.q.data();
        k = c.k.data();
        v = c.v.data();
        ldq = qw;
        ldkv = kvw;
    }
    if (cfg.qkNorm) {
        // RMSNorm over head_dim of every head (the fused layout never carries q/k norms).
        c.norm(q, T * H, d, d, c.weight(R::QNorm, l), nullptr, q, d);
        c.norm(k, T * Hkv, d, d, c.weight(R::KNorm, l), nullptr, k, d);
    }
    if (cfg.position == PositionKind::Rope) {
        c.rotary(q, H, ldq, l);
        c.rotary(k, Hkv, ldkv, l);
    }
    c.checkStop();
    AttentionCall call;
    call.q = q; call.ldq = ldq;
    call.k = k; call.ldk = ldkv;
    call.v = v; call.ldv = ldkv;
    call.out = c.attn.data(); call.ldo = qw;
    call.sinkLogits = c.weight(R::AttnSinks, l);   // gpt-oss: learned per-head sink logits
    runAttention(c, l, call);

    // Output projection and residual.
    switch (cfg.residual) {
    case ResidualLayout::PreNorm:
        c.gemm(c.attn.data(), T, qw, qw, c.weight(R::O, l), D, c.x.data(), D, 1.f);   // x += attn · Woᵀ
        c.addBias(c.x.data(), T, D, D, c.weight(R::OBias, l));
        break;
    case ResidualLayout::Sandwich:
        c.gemm(c.attn.data(), T, qw, qw, c.weight(R::O, l), D, c.tmp.data(), D, 0.f);
        c.addBias(c.tmp.data(), T, D, D, c.weight(R::OBias, l));
        c.norm(c.tmp.data(), T, D, D, c.weight(R::PostAttnNorm, l), nullptr, c.tmp.data(), D);
        c.add(c.tmp.data(), c.x.data(), T * D);
        break;
    case ResidualLayout::PostNorm:
        c.gemm(c.attn.data(), T, qw, qw, c.weight(R::O, l), D, c.x.data(), D, 1.f);
        c.addBias(c.x.data(), T, D, D, c.weight(R::OBias, l));
        c.norm(c.x.data(), T, D, D, c.weight(R::AttnResidualNorm, l), c.weight(R::AttnResidualNormBias, l), c.x.data(), D);
        break;
    }
}

void mlpSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel, F = cfg.ffnDim;
    using R = TensorRole;

    const float* in = c.x.data();
    if (cfg.residual != ResidualLayout::PostNorm) {
        c.norm(c.x.data(), T, D, D, c.weight(R::FfnNorm, l), c.weight(R::FfnNormBias, l), c.xn.data(), D);
        in = c.xn.data();
    }
    if (cfg.mlp == MlpKind::Gated) {
        c.gemm(in, T, D, D, c.weight(R::Gate, l), F, c.ffnA.data(), F, 0.f);
        c.gemm(in, T, D, D, c.weight(R::Up, l), F, c.ffnB.data(), F, 0.f);
        c.gatedActivation(c.ffnA.data(), c.ffnB.data(), T * F, cfg.activation);
    } else {
        c.gemm(in, T, D, D, c.weight(R::Up, l), F, c.ffnA.data(), F, 0.f);
        c.addBias(c.ffnA.data(), T, F, F, c.weight(R::UpBias, l));
        c.activation(c.ffnA.data(), T * F, cfg.activation);
    }
    switch (cfg.residual) {
    case ResidualLayout::PreNorm:
        c.gemm(c.ffnA.data(), T, F, F, c.weight(R::Down, l), D, c.x.data(), D, 1.f);   // x += mlp
        c.addBias(c.x.data(), T, D, D, c.weight(R::DownBias, l));
        break;
    case ResidualLayout::Sandwich:
        c.gemm(c.ffnA.data(), T, F, F, c.weight(R::Down, l), D, c.tmp.data(), D, 0.f);
        c.addBias(c.tmp.data(), T, D, D, c.weight(R::DownBias, l));
        c.norm(c.tmp.data(), T, D, D, c.weight(R::PostFfnNorm, l), nullptr, c.tmp.data(), D);
        c.add(c.tmp.data(), c.x.data(), T * D);
        break;
    case ResidualLayout::PostNorm:
        c.gemm(c.ffnA.data(), T, F, F, c.weight(R::Down, l), D, c.x.data(), D, 1.f);
        c.addBias(c.x.data(), T, D, D, c.weight(R::DownBias, l));
        c.norm(c.x.data(), T, D, D, c.weight(R::FfnResidualNorm, l), c.weight(R::FfnResidualNormBias, l), c.x.data(), D);
        break;
    }
}

} // namespace

void runTransformerBlock(ForwardContext& c, int layer)
{
    if (c.cfg.diff != DiffVersion::None)
        runDifferentialAttention(c, layer);
    else
        attentionSubBlock(c, layer);
    if (c.cfg.gptOssExperts > 0)
        runGptOssExperts(c, layer);
    else
        mlpSubBlock(c, layer);
}

} // namespace attnscope
