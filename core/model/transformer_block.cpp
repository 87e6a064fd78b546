// The block of the table's transformer family (docs/ARCHITECTURES.md "Block"): one attention sub-block and one
// MLP sub-block, each wrapped by the row's residual layout —
//   pre-norm   x += f(norm(x))
//   sandwich   x += postNorm(f(preNorm(x)))
//   post-norm  x = norm(x + f(x))
// with separate or fused q/k/v projections, optional biases, optional q/k RMSNorm, RoPE or learned positions, the
// layer's mask, and a gated (SwiGLU/GeGLU) or plain (GELU) MLP. Every operation is a backend op. Differential
// attention and gpt-oss's experts have their own files (differential_attention_block.cpp, gpt_oss_moe_block.cpp);
// learned sinks are the sink column of the attention op. Layers of other kinds run their own files too, chosen per
// layer from its LayerConfig: a softmax layer with an output gate (gated_attention_block.cpp), a Gated DeltaNet
// layer (deltanet_block.cpp), Qwen3-Next's MoE MLP (moe_block.cpp); they reuse the parts here (forward_context.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"

#include "core/attention/attention_spec.h"
#include "core/metrics/streaming_head_stats.h"
#include "core/util/error.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace attnscope {

namespace {

double msSince(ForwardContext::Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - t0).count();
}

/// The logits of a sink column per head for this layer, empty when there is none: a what-if sink variant
/// (offbyone, sink:logit=b), else the model's learned per-head sinks (gpt-oss), which a sink variant replaces.
std::vector<float> layerSinkLogits(ForwardContext& c, int l)
{
    const AttentionSpec* v = c.options.variant;
    if (v && v->appliesTo(l) && (v->kind == VariantKind::OffByOne || v->kind == VariantKind::Sink))
        return std::vector<float>(static_cast<size_t>(c.cfg.nHeads), v->kind == VariantKind::Sink ? static_cast<float>(v->number("logit")) : 0.f);
    if (const float* learned = c.weight(TensorRole::AttnSinks, l)) {
        std::vector<float> s(static_cast<size_t>(c.cfg.nHeads));
        c.download(s.data(), learned, c.cfg.nHeads);
        return s;
    }
    return {};
}

/// Device buffers of one head's captured outputs (device backends only).
struct HeadBuffers {
    RunBuffer probs, lse, sink, rowLse;
};

} // namespace

/// Allocates the captured maps the observer wants for this layer and runs the attention op over them — the
/// model's own softmax under the layer's mask, or the what-if variant that replaces it (docs/VARIANTS.md). On a
/// host-memory backend the kernels write straight into the captured values. On a device backend they write to
/// device buffers that are downloaded: all heads in one call, or — with ForwardOptions::oneHeadPerAttentionCall —
/// one head per call, so that at most one head's map is on the device at a time.
void softmaxAttention(ForwardContext& c, int l, const float* q, int64_t ldq, float* k, float* v, int64_t ldkv)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, H = cfg.nHeads, d = cfg.headDim;
    int64_t Hkv = cfg.nKvHeads;
    AttentionMask mask = cfg.layers[static_cast<size_t>(l)].mask;
    const AttentionSpec* variant = c.options.variant && c.options.variant->appliesTo(l) ? c.options.variant : nullptr;
    const bool causal = mask.isCausal();
    if (variant && variant->isMaskPattern())
        mask = variant->mask(T, l, causal);
    if (variant && (variant->kind == VariantKind::Gqa || variant->kind == VariantKind::Mqa)) {
        const int64_t groups = variant->kind == VariantKind::Mqa ? 1 : variant->integer("groups");
        if (groups < 1 || Hkv % groups)
            throw Error(ErrorKind::Usage, "", "variant", -1,
                        "gqa: groups=" + std::to_string(groups) + " must divide the model's " + std::to_string(Hkv) + " K/V heads");
        for (float* x : {k, v}) {
            HeadGroupMeanArgs g;
            g.rows = T; g.heads = Hkv; g.groups = groups; g.headDim = d; g.x = x; g.ld = ldkv;
            c.check(c.backend.headGroupMean(g), OpKind::HeadGroupMean);
        }
        Hkv = groups;
    }
    const bool variantOp = variant && variant->needsVariantOp();
    const bool explicitSupport = variantOp && variant->kind != VariantKind::Linear &&
                                 variant->kind != VariantKind::Performer && variant->kind != VariantKind::Linformer;
    const std::vector<float> sinkLogits = layerSinkLogits(c, l);   // host memory (a few values per head)
    const bool device = !c.backend.hostMemory();

    std::vector<std::shared_ptr<AttentionMap>> maps(static_cast<size_t>(H));
    std::vector<std::shared_ptr<MaskBits>> supports(static_cast<size_t>(H));
    std::vector<std::shared_ptr<CapturedSeries>> sinkSeries(static_cast<size_t>(H));
    std::vector<float*> probs(static_cast<size_t>(H), nullptr), lse(static_cast<size_t>(H), nullptr),
        sinkProbs(static_cast<size_t>(H), nullptr);
    std::vector<MaskBits*> supportPtr(static_cast<size_t>(H), nullptr);
    // Long prompts: scores and pooled maps streamed row by row, and per-row log-sum-exps for exact tiles.
    std::vector<std::unique_ptr<StreamingHeadStats>> streamed(static_cast<size_t>(H));
    std::vector<std::shared_ptr<CapturedSeries>> lseSeries(static_cast<size_t>(H));
    std::vector<float*> rowMax(static_cast<size_t>(H), nullptr), rowLogSum(static_cast<size_t>(H), nullptr);
    bool anyStreamed = false, anyCapture = false;
    for (int h = 0; h < H; ++h) {
        if (c.observer.wants({Quantity::HeadScores, l, h}) || c.observer.wants({Quantity::CoarseMax, l, h}) ||
            c.observer.wants({Quantity::CoarseMean, l, h})) {
            if (variantOp)
                throw Error(ErrorKind::Usage, "", "variant", -1,
                            variant->toString() + " builds whole maps; it cannot stream statistics for a long prompt");
            streamed[static_cast<size_t>(h)] = std::make_unique<StreamingHeadStats>(MetricParams{}, mask, T, &c.repeats());
            anyStreamed = anyCapture = true;
        }
    }
    for (int h = 0; h < H; ++h) {
        if (!sinkLogits.empty() && c.observer.wants({Quantity::SinkProb, l, h})) {
            auto s = std::make_shared<CapturedSeries>();
            s->key = {Quantity::SinkProb, l, h};
            s->shape = {T};
            s->values.resize(static_cast<size_t>(T));
            if (!device)
                sinkProbs[h] = s->values.data();
            sinkSeries[h] = std::move(s);
            anyCapture = true;
        }
        if (!variantOp && c.observer.wants({Quantity::RowLogSumExp, l, h})) {
            // [2, T]: the rows' max and log Σ exp(s − max), kept apart for exact tiles (docs/LONG-CONTEXT.md).
            auto s = std::make_shared<CapturedSeries>();
            s->key = {Quantity::RowLogSumExp, l, h};
            s->shape = {2, T};
            s->values.resize(static_cast<size_t>(2 * T));
            if (!device) {
                rowMax[h] = s->values.data();
                rowLogSum[h] = s->values.data() + T;
            }
            lseSeries[static_cast<size_t>(h)] = std::move(s);
            anyCapture = true;
        }
        if (!c.observer.wants({Quantity::AttentionProbs, l, h}))
            continue;
        auto m = std::make_shared<AttentionMap>();
        m->quantity = Quantity::AttentionProbs;
        m->layer = l;
        m->head = h;
        m->kvHead = static_cast<int>(h / (H / Hkv));
        m->tokens = T;
        m->probs.resize(static_cast<size_t>(T * T));
        if (!variantOp)
            m->lse.resize(static_cast<size_t>(T));   // the variant op's maps have no single log-sum-exp
        if (explicitSupport) {
            supports[h] = std::make_shared<MaskBits>(T);
            supportPtr[h] = supports[h].get();
        }
        if (!device) {
            probs[h] = m->probs.data();
            lse[h] = m->lse.empty() ? nullptr : m->lse.data();
        }
        maps[h] = std::move(m);
        anyCapture = true;
    }

    // Device backends: a head's outputs go to device buffers first.
    auto allocateDevice = [&](int h, HeadBuffers& b) {
        if (const auto& m = maps[static_cast<size_t>(h)]) {
            b.probs = c.allocate(static_cast<uint64_t>(T * T), "captured map");
            probs[h] = b.probs.data();
            if (!m->lse.empty()) {
                b.lse = c.allocate(static_cast<uint64_t>(T), "captured log-sum-exp");
                lse[h] = b.lse.data();
            }
        }
        if (sinkSeries[static_cast<size_t>(h)]) {
            b.sink = c.allocate(static_cast<uint64_t>(T), "sink probabilities");
            sinkProbs[h] = b.sink.data();
        }
        if (lseSeries[static_cast<size_t>(h)]) {
            b.rowLse = c.allocate(static_cast<uint64_t>(2 * T), "log-sum-exp");
            rowMax[h] = b.rowLse.data();
            rowLogSum[h] = b.rowLse.data() + T;
        }
    };
    auto sharedMask = std::make_shared<const AttentionMask>(mask);
    auto deliver = [&](int h, const HeadBuffers& b) {
        if (auto& st = streamed[static_cast<size_t>(h)]) {
            const HeadMetrics hm = st->scores();
            auto scores = std::make_shared<CapturedSeries>();
            scores->key = {Quantity::HeadScores, l, h};
            scores->shape = {kHeadMetricCount};
            for (int k = 0; k < kHeadMetricCount; ++k)
                scores->values.push_back(static_cast<float>(hm.value(static_cast<HeadMetric>(k))));
            std::vector<CapturedSeriesPtr> out = {std::move(scores)};
            for (const auto& [q, grid] : {std::pair{Quantity::CoarseMax, st->coarseMax()}, std::pair{Quantity::CoarseMean, st->coarseMean()}}) {
                if (!c.observer.wants({q, l, h}))
                    continue;
                auto g = std::make_shared<CapturedSeries>();
                g->key = {q, l, h};
                g->shape = {st->side(), st->side()};
                g->values = grid;
                g->mask = sharedMask;
                out.push_back(std::move(g));
            }
            for (CapturedSeriesPtr& item : out)
                if (c.observer.wants(item->key) && !c.observer.onSeries(std::move(item)))
                    c.cancelled();
        }
        if (auto& s = lseSeries[static_cast<size_t>(h)]) {
            s->mask = sharedMask;
            if (device)
                c.download(s->values.data(), b.rowLse.data(), 2 * T);
            if (!c.observer.onSeries(std::shared_ptr<const CapturedSeries>(std::move(s))))
                c.cancelled();
        }
        if (auto& s = sinkSeries[static_cast<size_t>(h)]) {
            if (device)
                c.download(s->values.data(), b.sink.data(), T);
            if (!c.observer.onSeries(std::shared_ptr<const CapturedSeries>(std::move(s))))
                c.cancelled();
        }
        auto& m = maps[static_cast<size_t>(h)];
        if (!m)
            return;
        // The variant op replaces the layer's own rule entirely (a Gemma local layer under `linear` sees every earlier
        // key): its maps carry their support, or the plain causal/bidirectional mask for the dense kinds.
        m->mask = explicitSupport ? AttentionMask::explicitBits(supports[h], variant->describe(), causal)
                  : variantOp     ? (causal ? AttentionMask::causal() : AttentionMask::bidirectional())
                                  : mask;
        m->maskedRows.assign(static_cast<size_t>(T), 0);
        RowKeys keys;
        for (int64_t i = 0; i < T; ++i) {
            m->mask.rowKeys(i, T, keys);
            m->maskedRows[static_cast<size_t>(i)] = keys.range.empty() ? 1 : 0;
        }
        if (device) {
            c.download(m->probs.data(), b.probs.data(), T * T);
            if (!m->lse.empty())
                c.download(m->lse.data(), b.lse.data(), T);
        }
        if (!c.observer.onMap(std::shared_ptr<const AttentionMap>(std::move(m))))
            c.cancelled();
    };

    std::vector<HeadBuffers> buffers(static_cast<size_t>(H));
    c.syncForTiming();
    const auto ta = ForwardContext::Clock::now();
    if (variantOp) {
        if (device)
            for (int h = 0; h < H; ++h)
                allocateDevice(h, buffers[static_cast<size_t>(h)]);
        VariantAttentionArgs a;
        a.kind = variant->kind;
        a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
        a.scale = cfg.attnScale;
        a.base = causal ? AttentionMask::causal() : AttentionMask::bidirectional();
        a.k = variant->integer("k");
        a.window = variant->integer("window");
        a.block = variant->integer("block");
        a.select = variant->integer("select");
        a.local = variant->integer("local");
        a.region = variant->integer("region");
        a.global = variant->integer("global");
        a.buckets = variant->integer("buckets");
        a.rounds = variant->integer("rounds");
        a.features = variant->integer("features");
        a.p = variant->number("p");
        a.seed = static_cast<uint64_t>(variant->integer("seed"));
        a.layer = l;
        a.q = q; a.ldq = ldq;
        a.k_ = k; a.ldk = ldkv;
        a.v = v; a.ldv = ldkv;
        a.out = c.attn.data(); a.ldo = H * d;
        a.probs = probs.data();
        a.support = supportPtr.data();
        a.stop = c.options.stop;
        c.check(c.backend.variantAttention(a), OpKind::VariantAttention);
        c.syncForTiming();
        c.timings.attentionMs += msSince(ta);
        for (int h = 0; h < H; ++h)
            deliver(h, buffers[static_cast<size_t>(h)]);
    } else {
        AttentionArgs a;
        a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
        a.scale = cfg.attnScale;
        a.mask = mask;
        a.q = q; a.ldq = ldq;
        a.k = k; a.ldk = ldkv;
        a.v = v; a.ldv = ldkv;
        a.out = c.attn.data(); a.ldo = H * d;
        a.probs = probs.data();
        a.lse = lse.data();
        a.rowMax = rowMax.data();
        a.rowLogSum = rowLogSum.data();
        a.sinkLogits = sinkLogits.empty() ? nullptr : sinkLogits.data();
        a.sinkProbs = sinkLogits.empty() ? nullptr : sinkProbs.data();
        if (anyStreamed) {
            a.rowObserver = [](void* ctx, int64_t head, int64_t row, const float* p, int64_t offset) {
                auto& heads = *static_cast<std::vector<std::unique_ptr<StreamingHeadStats>>*>(ctx);
                if (auto& s = heads[static_cast<size_t>(head)])
                    s->addRow(row, p, offset);
            };
            a.rowObserverContext = &streamed;
        }
        a.stop = c.options.stop;
        if (device && anyCapture && c.options.oneHeadPerAttentionCall) {
            for (int h = 0; h < H; ++h) {
                HeadBuffers b;   // freed at the end of the iteration, after the download
                allocateDevice(h, b);
                c.check(c.backend.attention(attentionHeadSlice(a, h)), OpKind::Attention);
                probs[h] = lse[h] = sinkProbs[h] = rowMax[h] = rowLogSum[h] = nullptr;
                deliver(h, b);
            }
            c.timings.attentionMs += msSince(ta);   // here including the downloads between the heads
        } else {
            if (device)
                for (int h = 0; h < H; ++h)
                    allocateDevice(h, buffers[static_cast<size_t>(h)]);
            c.check(c.backend.attention(a), OpKind::Attention);
            c.syncForTiming();
            c.timings.attentionMs += msSince(ta);
            for (int h = 0; h < H; ++h)
                deliver(h, buffers[static_cast<size_t>(h)]);
        }
    }
    if (c.timings.firstLayerMapsMs == 0)   // the first softmax layer run (hybrid models may start with DeltaNet)
        c.timings.firstLayerMapsMs = msSince(c.start);
}

/// The queries and keys as the attention sees them, for observers that recompute tiles or score variants.
void deliverQueriesAndKeys(ForwardContext& c, int l, const float* q, int64_t ldq, const float* k, int64_t ldk)
{
    const int64_t T = c.T, d = c.cfg.headDim;
    for (const auto& [quantity, src, ld, heads] : {std::tuple{Quantity::Queries, q, ldq, int64_t(c.cfg.nHeads)},
                                                   std::tuple{Quantity::Keys, k, ldk, int64_t(c.cfg.nKvHeads)}}) {
        if (!c.observer.wants({quantity, l, -1}))
            continue;
        auto s = std::make_shared<CapturedSeries>();
        s->key = {quantity, l, -1};
        s->shape = {T, heads * d};
        s->values.resize(static_cast<size_t>(T * heads * d));
        if (c.backend.hostMemory() || ld == heads * d) {
            if (ld == heads * d)
                c.download(s->values.data(), src, T * heads * d);
            else
                for (int64_t t = 0; t < T; ++t)
                    c.download(s->values.data() + t * heads * d, src + t * ld, heads * d);
        } else {   // a device view into a wider row (fused q|k|v): one download, then compact on the host
            std::vector<float> rows(static_cast<size_t>((T - 1) * ld + heads * d));
            c.download(rows.data(), src, static_cast<int64_t>(rows.size()));
            for (int64_t t = 0; t < T; ++t)
                std::copy_n(rows.data() + t * ld, heads * d, s->values.data() + t * heads * d);
        }
        if (!c.observer.onSeries(std::move(s)))
            c.cancelled();
    }
}

const float* attentionInput(ForwardContext& c, int l)
{
    // Input of the projections: the normed stream (pre-norm, sandwich) or the stream itself (post-norm).
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel;
    if (cfg.residual == ResidualLayout::PostNorm)
        return c.x.data();
    c.norm(c.x.data(), T, D, D, c.weight(TensorRole::AttnNorm, l), c.weight(TensorRole::AttnNormBias, l), c.xn.data(), D);
    return c.xn.data();
}

void normAndRotateQk(ForwardContext& c, int l, float* q, int64_t ldq, float* k, int64_t ldkv)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, H = cfg.nHeads, Hkv = cfg.nKvHeads, d = cfg.headDim;
    if (cfg.qkNorm) {
        // RMSNorm over head_dim of every head (the fused layout never carries q/k norms; ld = H·d here).
        c.norm(q, T * H, d, d, c.weight(TensorRole::QNorm, l), nullptr, q, d);
        c.norm(k, T * Hkv, d, d, c.weight(TensorRole::KNorm, l), nullptr, k, d);
    }
    if (cfg.position == PositionKind::Rope) {
        c.rotary(q, H, ldq, l);
        c.rotary(k, Hkv, ldkv, l);
    }
}

void attentionOutput(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel, qw = int64_t(cfg.nHeads) * cfg.headDim;
    using R = TensorRole;
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

namespace {

void attentionSubBlock(ForwardContext& c, int l)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, D = cfg.dModel, H = cfg.nHeads, Hkv = cfg.nKvHeads, d = cfg.headDim;
    const int64_t qw = H * d, kvw = Hkv * d;
    using R = TensorRole;

    const float* in = attentionInput(c, l);

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
    normAndRotateQk(c, l, q, ldq, k, ldkv);
    c.checkStop();
    deliverQueriesAndKeys(c, l, q, ldq, k, ldkv);
    softmaxAttention(c, l, q, ldq, k, v, ldkv);
    attentionOutput(c, l);
}

} // namespace

void denseMlpSubBlock(ForwardContext& c, int l)
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

void runTransformerBlock(ForwardContext& c, int layer)
{
    const LayerConfig& l = c.cfg.layers[static_cast<size_t>(layer)];
    if (l.mixer == TokenMixer::GatedDeltaNet)
        deltaNetSubBlock(c, layer);
    else if (c.cfg.diff != DiffVersion::None)
        runDifferentialAttention(c, layer);
    else if (c.cfg.outputGate != OutputGate::None)
        gatedAttentionSubBlock(c, layer);
    else
        attentionSubBlock(c, layer);
    if (c.cfg.gptOssExperts > 0)
        runGptOssExperts(c, layer);
    else if (l.ffn == FfnKind::Moe)
        moeSubBlock(c, layer);
    else
        denseMlpSubBlock(c, layer);
}

} // namespace attnscope
