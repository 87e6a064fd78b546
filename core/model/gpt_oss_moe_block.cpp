// gpt-oss's mixture-of-experts MLP (transformers models/gpt_oss GptOssMLP; docs/ARCHITECTURES.md), pre-norm
// residual: x += Σ_k w_k · E_k(norm x) over the top-k experts of each token.
//   router    logits = x·W_rᵀ + b_r over E experts; the k largest (torch.topk; ties to the lower index) are
//             softmax'd among themselves into the routing weights w
//   expert e  [g | u] = x·W_eᵀ + b_e, y = ((clamp(u, ±limit) + 1) · g'·σ(alpha·g')) · W_dᵀ + b_d, g' = min(g, limit)
// The routing decision (top-k of T × E logits and the softmax over k values) is made on the host from the
// downloaded router logits; everything with the model's width is a backend op: each expert gathers the rows
// routed to it, runs its three projections and the clamped SwiGLU, and adds its weighted rows back (index_add).
// HF stores the experts stacked [E, in, out] with gate and up interleaved in gate_up_proj (even columns gate, odd
// up); the weight store transposes each expert and splits the interleaved rows once (RowLayout). GGUF files
// (llama.cpp LLM_ARCH_OPENAI_MOE) store gate, up and down apart, already [E, out, in].
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"

#include "core/util/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace attnscope {

namespace {

/// Even rows (gate), then odd rows (up), within each expert's [2F, D] matrix.
RowLayout gateUpLayout(int64_t experts, int64_t F, bool transposed, const char* key)
{
    RowLayout l;
    l.key = key;
    l.batch = experts;
    l.transposeEach = transposed;
    l.blockRows = 1;
    for (int s = 0; s < 2; ++s)
        for (int64_t f = 0; f < F; ++f)
            l.order.push_back(static_cast<int32_t>(2 * f + s));
    return l;
}

struct ExpertWeights {
    const float* gate = nullptr;      // [E, F, D]
    const float* up = nullptr;        // [E, F, D]
    const float* gateBias = nullptr;  // [E, F]
    const float* upBias = nullptr;    // [E, F]
    int64_t gateStride = 0;           // floats from expert e to e + 1 in gate/up (F·D, or 2F·D when fused)
    int64_t biasStride = 0;
    const float* down = nullptr;      // [E, D, F]
    const float* downBias = nullptr;  // [E, D]
};

ExpertWeights expertWeights(ForwardContext& c, int l)
{
    using R = TensorRole;
    const int64_t E = c.cfg.gptOssExperts, F = c.cfg.ffnDim, D = c.cfg.dModel;
    ExpertWeights w;
    if (const BoundTensor& gu = c.plan.get(R::MoeGateUp, l)) {
        const float* m = c.store.getRearranged(gu, gateUpLayout(E, F, gu.transposed, "moe.gate|up"));
        w.gate = m;
        w.up = m + F * D;
        w.gateStride = 2 * F * D;
        const float* b = c.store.getRearranged(c.plan.get(R::MoeGateUpBias, l), gateUpLayout(E, F, false, "moe.gate|up.bias"));
        w.gateBias = b;
        w.upBias = b ? b + F : nullptr;
        w.biasStride = 2 * F;
    } else {
        w.gate = c.weight(R::MoeGate, l);
        w.up = c.weight(R::MoeUp, l);
        w.gateBias = c.weight(R::MoeGateBias, l);
        w.upBias = c.weight(R::MoeUpBias, l);
        w.gateStride = F * D;
        w.biasStride = F;
    }
    const BoundTensor& down = c.plan.get(R::MoeDown, l);
    if (down.transposed) {
        RowLayout t;
        t.key = "moe.down";
        t.batch = E;
        t.transposeEach = true;
        w.down = c.store.getRearranged(down, t);
    } else {
        w.down = c.store.get(down);
    }
    w.downBias = c.weight(R::MoeDownBias, l);
    if (!w.gate || !w.up || !w.down)
        throw Error(ErrorKind::Model, c.ckpt.path, "experts", -1, "layer " + std::to_string(l) + " has no expert projections");
    return w;
}

struct Routing {
    std::vector<std::vector<int32_t>> tokens;   // per expert: the tokens routed to it, ascending
    std::vector<std::vector<float>> weights;    // per expert: their routing weights
};

/// torch.topk over each row (largest first; equal values keep the lower index first), then softmax in fp32 over
/// the k selected logits (max subtracted, as torch does).
Routing route(const std::vector<float>& logits, int64_t T, int64_t E, int64_t k)
{
    Routing r;
    r.tokens.resize(static_cast<size_t>(E));
    r.weights.resize(static_cast<size_t>(E));
    std::vector<int32_t> idx(static_cast<size_t>(E));
    std::vector<float> w(static_cast<size_t>(k));
    for (int64_t t = 0; t < T; ++t) {
        const float* row = logits.data() + t * E;
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [row](int32_t a, int32_t b) {
            return row[a] > row[b] || (row[a] == row[b] && a < b);
        });
        const float m = row[idx[0]];
        float z = 0.f;
        for (int64_t j = 0; j < k; ++j) {
            w[static_cast<size_t>(j)] = std::exp(row[idx[static_cast<size_t>(j)]] - m);
            z += w[static_cast<size_t>(j)];
        }
        for (int64_t j = 0; j < k; ++j) {
            const int32_t e = idx[static_cast<size_t>(j)];
            r.tokens[static_cast<size_t>(e)].push_back(static_cast<int32_t>(t));
            r.weights[static_cast<size_t>(e)].push_back(w[static_cast<size_t>(j)] / z);
        }
    }
    return r;
}

} // namespace

void runGptOssExperts(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    using R = TensorRole;
    const int64_t T = c.T, D = cfg.dModel, F = cfg.ffnDim, E = cfg.gptOssExperts;
    c.norm(c.x.data(), T, D, D, c.weight(R::FfnNorm, l), c.weight(R::FfnNormBias, l), c.xn.data(), D);

    // Router logits [T × E].
    RunBuffer logitsBuf = c.allocate(static_cast<uint64_t>(T * E), "router logits");
    c.gemm(c.xn.data(), T, D, D, c.weight(R::MoeRouter, l), E, logitsBuf.data(), E, 0.f);
    c.addBias(logitsBuf.data(), T, E, E, c.weight(R::MoeRouterBias, l));
    std::vector<float> logits(static_cast<size_t>(T * E));
    c.download(logits.data(), logitsBuf.data(), T * E);
    const Routing routing = route(logits, T, E, cfg.gptOssExpertsUsed);

    const ExpertWeights w = expertWeights(c, l);
    for (int64_t e = 0; e < E; ++e) {
        const std::vector<int32_t>& tok = routing.tokens[static_cast<size_t>(e)];
        const int64_t n = static_cast<int64_t>(tok.size());
        if (n == 0)
            continue;
        c.checkStop();
        c.check(c.backend.upload(c.rowIds.buf->data(), tok.data(), static_cast<uint64_t>(n) * sizeof(int32_t)), OpKind::Gather);
        c.check(c.backend.upload(c.rowWeights.data(), routing.weights[static_cast<size_t>(e)].data(),
                                 static_cast<uint64_t>(n) * sizeof(float)), OpKind::IndexAdd);
        const int32_t* ids = static_cast<const int32_t*>(c.rowIds.buf->data());
        GatherArgs g;   // the expert's input rows
        g.count = n; g.cols = D;
        g.ids = ids;
        g.table = c.xn.data(); g.ldTable = D; g.tableRows = T;
        g.out = c.tmp.data(); g.ldOut = D;
        c.check(c.backend.gather(g), OpKind::Gather);
        c.gemm(c.tmp.data(), n, D, D, w.gate + e * w.gateStride, F, c.ffnA.data(), F, 0.f);
        c.gemm(c.tmp.data(), n, D, D, w.up + e * w.gateStride, F, c.ffnB.data(), F, 0.f);
        if (w.gateBias)
            c.addBias(c.ffnA.data(), n, F, F, w.gateBias + e * w.biasStride);
        if (w.upBias)
            c.addBias(c.ffnB.data(), n, F, F, w.upBias + e * w.biasStride);
        c.clampedSwiglu(c.ffnA.data(), c.ffnB.data(), n * F, cfg.swigluAlpha, cfg.swigluLimit);
        c.gemm(c.ffnA.data(), n, F, F, w.down + e * D * F, D, c.expertOut.data(), D, 0.f);
        if (w.downBias)
            c.addBias(c.expertOut.data(), n, D, D, w.downBias + e * D);
        IndexAddArgs a;   // x[token] += w · y
        a.rows = n; a.cols = D;
        a.ids = ids;
        a.w = c.rowWeights.data();
        a.x = c.expertOut.data(); a.ldx = D;
        a.y = c.x.data(); a.ldy = D; a.yRows = T;
        c.check(c.backend.indexAdd(a), OpKind::IndexAdd);
    }
}

} // namespace attnscope
