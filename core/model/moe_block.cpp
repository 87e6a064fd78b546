// A mixture-of-experts MLP with a gated shared expert, as transformers computes Qwen3-Next's
// (models/qwen3_next/modeling_qwen3_next.py, Qwen3NextSparseMoeBlock):
//   p = softmax(x W_router) per token; the top k experts (renormalised to sum 1 when norm_topk_prob)
//   routed(x) = Σ_k p_k · down_e(SiLU(gate_e x) · up_e x)
//   shared(x) = σ(x w_shared_gate) · down_s(SiLU(gate_s x) · up_s x)
//   x ← x + (routed(x) + shared(x))
// Routing decisions come back to the host to group each expert's tokens; an expert runs on its tokens only
// (gathered rows), and its weighted output is index-added back. Experts no token chose are never converted.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"
#include "core/util/error.h"

#include <algorithm>
#include <vector>

namespace attnscope {

namespace {

RunBuffer allocateInts(ForwardContext& c, uint64_t n, const char* what)
{
    RunBuffer b;
    b.buf = c.backend.allocate(std::max<uint64_t>(n, 1) * sizeof(int32_t));
    if (!b.buf)
        throw Error(ErrorKind::Resource, "", what, -1, "out of memory on " + c.backend.name());
    return b;
}

const int32_t* ints(const RunBuffer& b)
{
    return static_cast<const int32_t*>(b.buf->data());
}

} // namespace

void moeSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const MoeDims& moe = cfg.moe;
    const int64_t T = c.T, D = cfg.dModel, E = moe.experts, K = moe.topK, Fe = moe.expertFfn, Fs = moe.sharedFfn;
    using R = TensorRole;
    if (cfg.residual != ResidualLayout::PreNorm)
        throw Error(ErrorKind::Internal, "", "layer " + std::to_string(l), -1, "MoE MLPs are pre-norm only");

    c.norm(c.x.data(), T, D, D, c.weight(R::FfnNorm, l), c.weight(R::FfnNormBias, l), c.xn.data(), D);
    const float* in = c.xn.data();

    // Routed experts accumulate into a zeroed buffer, as Qwen3NextExperts does (then + shared, then the residual).
    RunBuffer acc = c.allocate(static_cast<uint64_t>(T * D), "MoE output");
    {
        const std::vector<float> zeros(static_cast<size_t>(T * D), 0.f);
        c.check(c.backend.upload(acc.data(), zeros.data(), zeros.size() * sizeof(float)), OpKind::Gather);
    }
    RunBuffer logits = c.allocate(static_cast<uint64_t>(T * E), "router logits");
    c.gemm(in, T, D, D, c.weight(R::MoeRouter, l), E, logits.data(), E, 0.f);
    RunBuffer ids = allocateInts(c, static_cast<uint64_t>(T * K), "expert choices");
    RunBuffer weights = c.allocate(static_cast<uint64_t>(T * K), "expert weights");
    MoeRouteArgs ra;
    ra.tokens = T; ra.experts = E; ra.k = K;
    ra.logits = logits.data(); ra.ldLogits = E;
    ra.normalize = moe.normTopK;
    ra.ids = static_cast<int32_t*>(ids.buf->data());
    ra.weights = weights.data();
    c.check(c.backend.moeRoute(ra), OpKind::MoeRoute);

    // Group the (token, weight) pairs by expert on the host.
    std::vector<int32_t> hostIds(static_cast<size_t>(T * K));
    std::vector<float> hostWeights(static_cast<size_t>(T * K));
    c.check(c.backend.download(hostIds.data(), ids.buf->data(), hostIds.size() * sizeof(int32_t)), OpKind::MoeRoute);
    c.download(hostWeights.data(), weights.data(), T * K);
    std::vector<std::vector<int32_t>> tokensOf(static_cast<size_t>(E));
    std::vector<std::vector<float>> weightsOf(static_cast<size_t>(E));
    for (int64_t t = 0; t < T; ++t)
        for (int64_t r = 0; r < K; ++r) {
            const int32_t e = hostIds[static_cast<size_t>(t * K + r)];
            if (e < 0 || e >= E)
                throw Error(ErrorKind::Internal, "", "layer " + std::to_string(l), -1, "router chose expert " + std::to_string(e));
            tokensOf[static_cast<size_t>(e)].push_back(static_cast<int32_t>(t));
            weightsOf[static_cast<size_t>(e)].push_back(hostWeights[static_cast<size_t>(t * K + r)]);
        }
    size_t most = 0;
    for (const auto& v : tokensOf)
        most = std::max(most, v.size());
    RunBuffer rows = c.allocate(most * static_cast<uint64_t>(D), "expert inputs");
    RunBuffer hidden = c.allocate(most * static_cast<uint64_t>(Fe), "expert gate");
    RunBuffer up = c.allocate(most * static_cast<uint64_t>(Fe), "expert up");
    RunBuffer y = c.allocate(most * static_cast<uint64_t>(D), "expert outputs");
    RunBuffer rowIds = allocateInts(c, most, "expert tokens");
    RunBuffer rowWeights = c.allocate(most, "expert token weights");
    for (int64_t e = 0; e < E; ++e) {
        const auto& tok = tokensOf[static_cast<size_t>(e)];
        if (tok.empty())
            continue;
        c.checkStop();
        const int64_t n = static_cast<int64_t>(tok.size());
        c.check(c.backend.upload(rowIds.buf->data(), tok.data(), tok.size() * sizeof(int32_t)), OpKind::Gather);
        c.check(c.backend.upload(rowWeights.data(), weightsOf[static_cast<size_t>(e)].data(), tok.size() * sizeof(float)),
                OpKind::Gather);
        GatherArgs g;
        g.count = n; g.cols = D;
        g.ids = ints(rowIds);
        g.table = in; g.ldTable = D; g.tableRows = T;
        g.out = rows.data(); g.ldOut = D;
        c.check(c.backend.gather(g), OpKind::Gather);
        const ExpertTensors& x = c.plan.expert(l, static_cast<int>(e));
        c.gemm(rows.data(), n, D, D, c.store.get(x.gate), Fe, hidden.data(), Fe, 0.f);
        c.gemm(rows.data(), n, D, D, c.store.get(x.up), Fe, up.data(), Fe, 0.f);
        c.gatedActivation(hidden.data(), up.data(), n * Fe, cfg.activation);
        c.gemm(hidden.data(), n, Fe, Fe, c.store.get(x.down), D, y.data(), D, 0.f);
        IndexAddArgs s;
        s.rows = n; s.cols = D;
        s.ids = ints(rowIds);
        s.w = rowWeights.data();
        s.x = y.data(); s.ldx = D;
        s.y = acc.data(); s.ldy = D; s.yRows = T;
        c.check(c.backend.indexAdd(s), OpKind::IndexAdd);
    }

    // The shared expert, scaled per token by σ(x · w_shared_gate).
    RunBuffer sGate = c.allocate(static_cast<uint64_t>(T * Fs), "shared expert gate");
    RunBuffer sUp = c.allocate(static_cast<uint64_t>(T * Fs), "shared expert up");
    RunBuffer sScale = c.allocate(static_cast<uint64_t>(T), "shared expert gate logits");
    c.gemm(in, T, D, D, c.weight(R::MoeSharedGate, l), Fs, sGate.data(), Fs, 0.f);
    c.gemm(in, T, D, D, c.weight(R::MoeSharedUp, l), Fs, sUp.data(), Fs, 0.f);
    c.gatedActivation(sGate.data(), sUp.data(), T * Fs, cfg.activation);
    c.gemm(sGate.data(), T, Fs, Fs, c.weight(R::MoeSharedDown, l), D, c.tmp.data(), D, 0.f);
    c.gemm(in, T, D, D, c.weight(R::MoeSharedExpertGate, l), 1, sScale.data(), 1, 0.f);
    c.gatedActivation(sScale.data(), c.tmp.data(), c.tmp.data(), T * D, Activation::Sigmoid, D);
    c.add(c.tmp.data(), acc.data(), T * D);
    c.add(acc.data(), c.x.data(), T * D);
}

} // namespace attnscope
