// One attention op over a layer's heads with its captures (docs/ENGINE.md "Attention", "Capture schema"): the maps
// the observer wants (or the caller needs, e.g. both maps of a differential head for its combined map) are
// allocated with their mask and written by the kernel, per-row log-sum-exp included; with learned sinks the
// per-row sink probability of the heads that want it. Used by the differential block, whose two calls per layer
// share values wider than the keys; the generic block's attention (transformer_block.cpp) also runs what-if
// variants.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward_context.h"

#include <vector>

namespace attnscope {

namespace {

double msSince(ForwardContext::Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - t0).count();
}

} // namespace

std::vector<AttentionMapPtr> runAttention(ForwardContext& c, int l, const AttentionCall& call)
{
    const ModelConfig& cfg = c.cfg;
    const int64_t T = c.T, H = cfg.nHeads, d = cfg.headDim;
    const int64_t Hkv = call.kvHeads > 0 ? call.kvHeads : cfg.nKvHeads;
    const int64_t dv = call.valueDim > 0 ? call.valueDim : d;
    const int64_t Hv = call.valueHeads > 0 ? call.valueHeads : Hkv;
    const AttentionMask& mask = cfg.layers[static_cast<size_t>(l)].mask;
    std::vector<std::shared_ptr<AttentionMap>> maps(static_cast<size_t>(H));
    std::vector<bool> deliver(static_cast<size_t>(H), false);
    std::vector<RunBuffer> deviceProbs(static_cast<size_t>(H)), deviceLse(static_cast<size_t>(H)),
        deviceSink(static_cast<size_t>(H));
    std::vector<float*> probs(static_cast<size_t>(H), nullptr), lse(static_cast<size_t>(H), nullptr),
        sinkProbs(static_cast<size_t>(H), nullptr);
    std::vector<std::shared_ptr<CapturedSeries>> sinkSeries(static_cast<size_t>(H));
    for (int h = 0; h < H; ++h) {
        deliver[h] = c.observer.wants({call.quantity, l, h});
        const bool need = deliver[h] || (!call.materialise.empty() && call.materialise[static_cast<size_t>(h)]);
        if (call.sinkLogits && c.observer.wants({Quantity::SinkProb, l, h})) {
            auto s = std::make_shared<CapturedSeries>();
            s->key = {Quantity::SinkProb, l, h};
            s->shape = {T};
            s->values.resize(static_cast<size_t>(T));
            if (c.backend.hostMemory()) {
                sinkProbs[h] = s->values.data();
            } else {
                deviceSink[h] = c.allocate(static_cast<uint64_t>(T), "captured sink probability");
                sinkProbs[h] = deviceSink[h].data();
            }
            sinkSeries[h] = std::move(s);
        }
        if (!need)
            continue;
        auto m = std::make_shared<AttentionMap>();
        m->quantity = call.quantity;
        m->layer = l;
        m->head = h;
        m->kvHead = static_cast<int>(h / (H / Hkv));
        m->tokens = T;
        m->mask = mask;
        m->probs.resize(static_cast<size_t>(T * T));
        m->lse.resize(static_cast<size_t>(T));
        m->maskedRows.assign(static_cast<size_t>(T), 0);
        RowKeys keys;
        for (int64_t i = 0; i < T; ++i) {
            mask.rowKeys(i, T, keys);
            m->maskedRows[static_cast<size_t>(i)] = keys.range.empty() ? 1 : 0;
        }
        if (c.backend.hostMemory()) {
            probs[h] = m->probs.data();
            lse[h] = m->lse.data();
        } else {
            deviceProbs[h] = c.allocate(static_cast<uint64_t>(T * T), "captured map");
            deviceLse[h] = c.allocate(static_cast<uint64_t>(T), "captured log-sum-exp");
            probs[h] = deviceProbs[h].data();
            lse[h] = deviceLse[h].data();
        }
        maps[h] = std::move(m);
    }
    AttentionArgs a;
    a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
    a.valueDim = dv; a.valueHeads = Hv;
    a.scale = cfg.attnScale;
    a.mask = mask;
    a.q = call.q; a.ldq = call.ldq;
    a.k = call.k; a.ldk = call.ldk;
    a.v = call.v; a.ldv = call.ldv;
    a.out = call.out; a.ldo = call.ldo;
    a.probs = probs.data();
    a.lse = lse.data();
    a.sinkLogits = call.sinkLogits;
    a.sinkProbs = call.sinkLogits ? sinkProbs.data() : nullptr;
    a.stop = c.options.stop;
    const auto ta = ForwardContext::Clock::now();
    c.check(c.backend.attention(a), OpKind::Attention);
    c.timings.attentionMs += msSince(ta);
    std::vector<AttentionMapPtr> out(static_cast<size_t>(H));
    for (int h = 0; h < H; ++h) {
        if (auto& s = sinkSeries[static_cast<size_t>(h)]) {
            if (!c.backend.hostMemory())
                c.download(s->values.data(), deviceSink[h].data(), T);
            if (!c.observer.onSeries(CapturedSeriesPtr(std::move(s))))
                c.cancelled();
        }
        auto& m = maps[static_cast<size_t>(h)];
        if (!m)
            continue;
        if (!c.backend.hostMemory()) {
            c.download(m->probs.data(), deviceProbs[h].data(), T * T);
            c.download(m->lse.data(), deviceLse[h].data(), T);
        }
        out[static_cast<size_t>(h)] = std::move(m);
        if (deliver[h] && !c.observer.onMap(out[static_cast<size_t>(h)]))
            c.cancelled();
    }
    if (l == c.options.startLayer && call.quantity == Quantity::AttentionProbs)
        c.timings.firstLayerMapsMs = msSince(c.start);
    return out;
}

} // namespace attnscope
