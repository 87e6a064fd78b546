// The attention sub-block of a differential layer (docs/DIFFERENTIAL.md), pre-norm residual: x += O(DiffAttn(norm x)).
//
//   V1 (Ye et al., arXiv 2410.05258; microsoft/unilm Diff-Transformer/multihead_diffattn.py; transformers
//   DiffLlama): per head h, A1 = softmax(Q1 K1ᵀ/√d), A2 = softmax(Q2 K2ᵀ/√d), a value of 2d,
//       o_h = (1 − λ_init) · RMSNorm_2d(A1·V − λ·A2·V),  λ = exp(λq1·λk1) − exp(λq2·λk2) + λ_init,
//       λ_init = 0.8 − 0.6·exp(−0.3·layer), λ shared by the layer's heads.
//   V2 (Diff-Transformer-V2/multihead_flashdiffv2.py): query heads 2h and 2h+1 share a KV head, value d,
//       o_h = A1·V − σ(x·W_λ)_h·A2·V with λ per token and head; no norm, no scale.
//
// The two maps of every head come from two calls of the ordinary attention op (A1·V, then A2·V over the same
// values, of width 2d for V1), so the kernel stays one softmax kernel. The projections' rows are regrouped once
// in the weight store (core/model/weight_store.h, RowLayout) so that Q1 and Q2 (and K1, K2) are contiguous halves
// whatever the file's layout — the authors pair consecutive heads (2h, 2h+1), DiffLlama takes the first and second
// half of the heads — and DiffLlama's value halves V[g] | V[g + H_kv/2] sit next to each other as one 2d value.
// The combined map A1 − λ·A2 is derived on the host from the two captured maps, only for heads whose combined map
// is wanted (it is a view of what the layer computed, not a step of it).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"

#include "core/attention/attention_spec.h"
#include "core/util/error.h"

#include <cmath>
#include <vector>

namespace attnscope {

namespace {

/// [0, 2, …, 2n−2, 1, 3, …, 2n−1]: consecutive pairs (2h, 2h+1) → all first halves, then all second halves.
std::vector<int32_t> unpairOrder(int64_t pairs)
{
    std::vector<int32_t> o;
    for (int s = 0; s < 2; ++s)
        for (int64_t h = 0; h < pairs; ++h)
            o.push_back(static_cast<int32_t>(2 * h + s));
    return o;
}

/// [0, n, 1, n+1, …]: blocks g and g + n side by side.
std::vector<int32_t> interleaveOrder(int64_t n)
{
    std::vector<int32_t> o;
    for (int64_t g = 0; g < n; ++g) {
        o.push_back(static_cast<int32_t>(g));
        o.push_back(static_cast<int32_t>(g + n));
    }
    return o;
}

/// Where the two softmax maps of each head read their queries and keys after the regrouping.
struct HalvesPlan {
    RowLayout q, k, v;           // blocks of head_dim rows; an empty order keeps the file's rows
    int64_t keyHeadsPerCall = 0; // K heads each call reads (head h reads K head h / (H / keyHeadsPerCall))
    int64_t k2Offset = 0;        // columns from K1 to K2 in the regrouped key projection
};

HalvesPlan halvesPlan(const ModelConfig& cfg)
{
    const int64_t H = cfg.nHeads, Hv = cfg.nKvHeads, d = cfg.headDim;
    HalvesPlan p;
    p.q = {"diff.q-halves", 1, false, d, {}};
    p.k = {"diff.k-halves", 1, false, d, {}};
    p.v = {"diff.v-pairs", 1, false, d, {}};
    if (cfg.diffLayout == DiffLayout::Paired)
        p.q.order = unpairOrder(H);
    if (cfg.diff == DiffVersion::V2) {
        p.keyHeadsPerCall = Hv;   // heads 2h and 2h+1 share KV head h / (H / H_kv)
        return p;
    }
    if (cfg.diffLayout == DiffLayout::HalfSplit) {
        // DiffLlama: pair j reads KV head j / G for A1 and j / G + H_kv/2 for A2 (G query heads per KV head), and
        // its 2d value is [V[j / G] | V[j / G + H_kv/2]] (torch.chunk of V over the KV heads).
        p.keyHeadsPerCall = Hv;
        p.k2Offset = Hv * d;
        p.v.order = interleaveOrder(Hv);
        return p;
    }
    // The authors' V1: q half-head i reads k half-head i / n_rep of the 2·H_kv halves (repeat_kv).
    const int64_t rep = H / Hv;
    if (rep == 1) {
        p.k.order = unpairOrder(Hv);   // K1 = even halves, K2 = odd halves
        p.keyHeadsPerCall = Hv;
        p.k2Offset = Hv * d;
    } else {
        p.keyHeadsPerCall = 2 * Hv;    // even n_rep: both halves of head h read k half-head h / (n_rep / 2)
        p.k2Offset = 0;
    }
    return p;
}

const float* rearranged(ForwardContext& c, TensorRole r, int l, const RowLayout& layout)
{
    const BoundTensor& b = c.plan.get(r, l);
    return layout.order.empty() ? c.store.get(b) : c.store.getRearranged(b, layout);
}

RowLayout biasLayout(const RowLayout& w)
{
    RowLayout b = w;
    b.key += ".bias";
    return b;
}

double lambdaInit(int layer)
{
    return 0.8 - 0.6 * std::exp(-0.3 * layer);
}

/// λ of a V1 layer as the reference computes it in fp32: exp(Σ λq1·λk1) − exp(Σ λq2·λk2) + λ_init.
float lambdaV1(ForwardContext& c, int l)
{
    const int64_t d = c.cfg.headDim;
    std::vector<float> v[4];
    const TensorRole roles[4] = {TensorRole::DiffLambdaQ1, TensorRole::DiffLambdaK1, TensorRole::DiffLambdaQ2,
                                 TensorRole::DiffLambdaK2};
    for (int i = 0; i < 4; ++i) {
        v[i].resize(static_cast<size_t>(d));
        c.download(v[i].data(), c.weight(roles[i], l), d);
    }
    float s1 = 0.f, s2 = 0.f;
    for (int64_t i = 0; i < d; ++i) {
        s1 += v[0][i] * v[1][i];
        s2 += v[2][i] * v[3][i];
    }
    return std::exp(s1) - std::exp(s2) + static_cast<float>(lambdaInit(l));
}

void deliverLambda(ForwardContext& c, int l, int h, std::vector<float> values)
{
    auto s = std::make_shared<CapturedSeries>();
    s->key = {Quantity::Lambda, l, h};
    s->shape = {static_cast<int64_t>(values.size())};
    s->values = std::move(values);
    if (!c.observer.onSeries(std::move(s)))
        c.cancelled();
}

/// D = A1 − λ_i·A2 on the valid cells (masked cells stay 0); λ per row (V2) or one value (V1).
void deliverCombined(ForwardContext& c, const AttentionMap& a1, const AttentionMap& a2, const float* lambdaRows,
                     int64_t lambdaStride)
{
    auto m = std::make_shared<AttentionMap>();
    m->quantity = Quantity::AttentionCombined;
    m->layer = a1.layer;
    m->head = a1.head;
    m->kvHead = a1.kvHead;
    m->tokens = a1.tokens;
    m->mask = a1.mask;
    m->maskedRows = a1.maskedRows;
    const int64_t T = a1.tokens;
    m->probs.resize(static_cast<size_t>(T * T));
    for (int64_t i = 0; i < T; ++i) {
        const float lam = lambdaRows[i * lambdaStride];
        const float* r1 = a1.row(i);
        const float* r2 = a2.row(i);
        float* out = m->probs.data() + i * T;
        for (int64_t j = 0; j < T; ++j)
            out[j] = r1[j] - lam * r2[j];
    }
    if (!c.observer.onMap(std::move(m)))
        c.cancelled();
}

} // namespace

void runDifferentialAttention(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    using R = TensorRole;
    if (cfg.residual != ResidualLayout::PreNorm)
        throw Error(ErrorKind::Internal, "", "differential attention", -1, "only the pre-norm layout is implemented");
    if (c.options.variant && c.options.variant->appliesTo(l))
        throw Error(ErrorKind::Unsupported, "", "variant", -1,
                    "what-if attention variants are not implemented for differential layers (layer " + std::to_string(l) + ")");
    const int64_t T = c.T, D = cfg.dModel, H = cfg.nHeads, d = cfg.headDim, dv = cfg.valueDim();
    const int64_t qw = cfg.qWidth(), kw = cfg.kWidth(), vw = cfg.vWidth(), ow = cfg.attnWidth();
    const HalvesPlan p = halvesPlan(cfg);

    c.norm(c.x.data(), T, D, D, c.weight(R::AttnNorm, l), c.weight(R::AttnNormBias, l), c.xn.data(), D);
    c.gemm(c.xn.data(), T, D, D, rearranged(c, R::Q, l, p.q), qw, c.q.data(), qw, 0.f);
    c.gemm(c.xn.data(), T, D, D, rearranged(c, R::K, l, p.k), kw, c.k.data(), kw, 0.f);
    c.gemm(c.xn.data(), T, D, D, rearranged(c, R::V, l, p.v), vw, c.v.data(), vw, 0.f);
    c.addBias(c.q.data(), T, qw, qw, rearranged(c, R::QBias, l, biasLayout(p.q)));   // DiffLlama attention_bias
    c.addBias(c.k.data(), T, kw, kw, rearranged(c, R::KBias, l, biasLayout(p.k)));
    c.addBias(c.v.data(), T, vw, vw, rearranged(c, R::VBias, l, biasLayout(p.v)));
    // RoPE rotates within each head of d dims, so it commutes with the regrouping of whole heads.
    c.rotary(c.q.data(), qw / d, qw, l);
    c.rotary(c.k.data(), kw / d, kw, l);
    c.checkStop();

    std::vector<char> needBoth(static_cast<size_t>(H), 0);
    bool anyCombined = false;
    for (int h = 0; h < H; ++h) {
        needBoth[static_cast<size_t>(h)] = c.observer.wants({Quantity::AttentionCombined, l, h}) ? 1 : 0;
        anyCombined = anyCombined || needBoth[static_cast<size_t>(h)];
    }
    AttentionCall call;
    call.q = c.q.data(); call.ldq = qw;
    call.k = c.k.data(); call.ldk = kw;
    call.v = c.v.data(); call.ldv = vw;
    call.out = c.attn.data(); call.ldo = ow;
    call.kvHeads = p.keyHeadsPerCall;
    call.valueDim = dv;
    call.valueHeads = cfg.nKvHeads;
    call.materialise = needBoth;
    const std::vector<AttentionMapPtr> a1 = runAttention(c, l, call);
    call.q = c.q.data() + H * d;
    call.k = c.k.data() + p.k2Offset;
    call.out = c.attn2.data();
    call.quantity = Quantity::AttentionProbs2;
    const std::vector<AttentionMapPtr> a2 = runAttention(c, l, call);

    // attn −= λ · attn2
    std::vector<float> lambdaHost;   // V1: one value; V2: [T × H]
    if (cfg.diff == DiffVersion::V1) {
        const float lambda = lambdaV1(c, l);
        lambdaHost = {lambda};
        c.scale(c.attn2.data(), T * ow, -lambda);
    } else {
        c.gemm(c.xn.data(), T, D, D, c.weight(R::DiffLambdaProj, l), H, c.lambda.data(), H, 0.f);
        c.activation(c.lambda.data(), T * H, Activation::Sigmoid);
        c.scaleGroups(c.lambda.data(), c.attn2.data(), T * ow, dv);
        c.scale(c.attn2.data(), T * ow, -1.f);
        bool wantLambda = anyCombined;
        for (int h = 0; h < H && !wantLambda; ++h)
            wantLambda = c.observer.wants({Quantity::Lambda, l, h});
        if (wantLambda) {
            lambdaHost.resize(static_cast<size_t>(T * H));
            c.download(lambdaHost.data(), c.lambda.data(), T * H);
        }
    }
    c.add(c.attn2.data(), c.attn.data(), T * ow);
    if (cfg.diff == DiffVersion::V1) {
        NormArgs n;
        n.kind = NormKind::Rms;
        n.rows = T * H; n.cols = dv;
        n.x = c.attn.data(); n.ldx = dv;
        n.weight = c.weight(R::DiffSubNorm, l);   // null for DiffLlama (no affine part)
        n.eps = cfg.diffSubNormEps;
        n.y = c.attn.data(); n.ldy = dv;
        c.check(c.backend.norm(n), OpKind::Norm);
        c.scale(c.attn.data(), T * ow, static_cast<float>(1.0 - lambdaInit(l)));
    }

    // Captures: λ per head, the combined maps.
    for (int h = 0; h < H; ++h) {
        if (c.observer.wants({Quantity::Lambda, l, h})) {
            if (cfg.diff == DiffVersion::V1) {
                deliverLambda(c, l, h, lambdaHost);
            } else {
                std::vector<float> col(static_cast<size_t>(T));
                for (int64_t t = 0; t < T; ++t)
                    col[static_cast<size_t>(t)] = lambdaHost[static_cast<size_t>(t * H + h)];
                deliverLambda(c, l, h, std::move(col));
            }
        }
        if (needBoth[static_cast<size_t>(h)]) {
            const bool v1 = cfg.diff == DiffVersion::V1;
            deliverCombined(c, *a1[static_cast<size_t>(h)], *a2[static_cast<size_t>(h)],
                            v1 ? lambdaHost.data() : lambdaHost.data() + h, v1 ? 0 : H);
        }
    }

    c.gemm(c.attn.data(), T, ow, ow, c.weight(R::O, l), D, c.x.data(), D, 1.f);   // x += attn · Woᵀ
    c.addBias(c.x.data(), T, D, D, c.weight(R::OBias, l));
}

} // namespace attnscope
