// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/compare_run.h"

#include "core/attention/tile_recompute.h"

#include "core/metrics/logit_rows.h"

#include "core/backend/backend_set.h"
#include "core/metrics/row_metrics.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/session/progress.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <thread>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool needsSupportFromQK(const AttentionSpec& s)
{
    return s.kind == VariantKind::Lsh || s.kind == VariantKind::Cluster || s.kind == VariantKind::Nsa ||
           s.kind == VariantKind::Hier;
}

/// The baseline's observer: keeps what the request asks for, the residual streams the variants resume from and
/// the final hidden state, and scores each variant's mass outside its mask layer by layer from the baseline's
/// maps (and its queries and keys for the data-dependent supports), dropping the maps afterwards.
class BaselineObserver final : public ForwardObserver {
public:
    BaselineObserver(const CompareRequest& req, const ModelConfig& cfg, Backend& backend, std::vector<VariantComparison>& out,
                     std::set<int> resumeLayers)
        : m_req(req), m_cfg(cfg), m_backend(backend), m_out(out), m_resume(std::move(resumeLayers))
    {
        for (const VariantComparison& v : m_out)
            m_anyApplies = m_anyApplies || v.spec.kind != VariantKind::Full;
    }

    bool wants(const CaptureKey& k) const override
    {
        switch (k.quantity) {
        case Quantity::AttentionProbs: return m_req.base.capture.wants(k) || (!m_req.longPrompt && applies(k.layer));
        case Quantity::Queries:
        case Quantity::Keys: return m_req.base.capture.wants(k) || (m_req.longPrompt ? appliesAsPattern(k.layer) : needsQK(k.layer));
        case Quantity::RowLogSumExp:
        case Quantity::SinkProb: return m_req.base.capture.wants(k) || (m_req.longPrompt && appliesAsPattern(k.layer));
        case Quantity::HiddenState: return m_resume.count(k.layer + 1) > 0;
        case Quantity::FinalHidden: return true;
        default: return m_req.base.capture.wants(k);
        }
    }
    bool wantsLogits(int64_t, int64_t) const override { return false; }
    bool onRunStarted(const RunShape& s) override
    {
        m_shape = s;
        return true;
    }
    bool onMap(const AttentionMapPtr& m) override
    {
        if (m_req.base.capture.wants(m->key()))
            kept.add(m);
        m_layerMaps.push_back(m);
        return true;
    }
    bool onSeries(const CapturedSeriesPtr& s) override
    {
        switch (s->key.quantity) {
        case Quantity::Queries:
        case Quantity::Keys:
            (s->key.quantity == Quantity::Queries ? m_q : m_k) = s;
            if (m_req.base.capture.wants(s->key))
                kept.add(s);
            break;
        case Quantity::RowLogSumExp:
        case Quantity::SinkProb:
            if (m_req.longPrompt && s->key.head >= 0)
                (s->key.quantity == Quantity::RowLogSumExp ? m_lse : m_sink)[s->key.head] = s;
            if (m_req.base.capture.wants(s->key))
                kept.add(s);
            break;
        case Quantity::HiddenState: resumeFrom[s->key.layer + 1] = s->values; break;
        case Quantity::FinalHidden: finalHidden = s->values; break;
        default:
            if (m_req.base.capture.wants(s->key))
                kept.add(s);
        }
        return true;
    }
    bool onLayerDone(const LayerStats& st) override
    {
        stats.push_back(st);
        for (VariantComparison& v : m_out)
            if (v.spec.appliesTo(st.layer))
                scoreLayer(v, st.layer);
        m_layerMaps.clear();
        m_q.reset();
        m_k.reset();
        m_lse.clear();
        m_sink.clear();
        return true;
    }

    CaptureStore kept;
    std::vector<LayerStats> stats;
    std::map<int, std::vector<float>> resumeFrom;   // layer → the residual stream before it
    std::vector<float> finalHidden;

private:
    bool applies(int layer) const
    {
        for (const VariantComparison& v : m_out)
            if (v.spec.appliesTo(layer))
                return true;
        return false;
    }
    /// A variant whose mass outside is a mask pattern's applies to the layer (what a long prompt scores from tiles).
    bool appliesAsPattern(int layer) const
    {
        for (const VariantComparison& v : m_out)
            if (v.spec.appliesTo(layer) && v.spec.isMaskPattern())
                return true;
        return false;
    }
    bool needsQK(int layer) const
    {
        for (const VariantComparison& v : m_out)
            if (v.spec.appliesTo(layer) && needsSupportFromQK(v.spec))
                return true;
        return false;
    }

    void scoreLayer(VariantComparison& v, int l)
    {
        const int H = m_cfg.nHeads;
        const int64_t T = m_shape.tokens;
        const bool causal = m_cfg.layers[size_t(l)].mask.isCausal();
        if (m_req.longPrompt) {
            scoreLayerFromTiles(v, l, causal);
            return;
        }
        std::vector<std::shared_ptr<MaskBits>> supports;
        if (needsSupportFromQK(v.spec) && m_q && m_k) {
            // The variant's support on the baseline's own queries and keys (its output is not needed).
            supports.resize(size_t(H));
            std::vector<MaskBits*> ptrs(static_cast<size_t>(H));
            for (int h = 0; h < H; ++h) {
                supports[size_t(h)] = std::make_shared<MaskBits>(T);
                ptrs[size_t(h)] = supports[size_t(h)].get();
            }
            const int64_t d = m_cfg.headDim, kvw = int64_t(m_cfg.nKvHeads) * d;
            std::vector<float> out(size_t(T * H * d));
            VariantAttentionArgs a;
            a.kind = v.spec.kind;
            a.tokens = T; a.heads = H; a.kvHeads = m_cfg.nKvHeads; a.headDim = d;
            a.scale = m_cfg.attnScale;
            a.base = causal ? AttentionMask::causal() : AttentionMask::bidirectional();
            a.k = v.spec.integer("k"); a.window = v.spec.integer("window"); a.block = v.spec.integer("block");
            a.select = v.spec.integer("select"); a.local = v.spec.integer("local"); a.region = v.spec.integer("region");
            a.global = v.spec.integer("global"); a.buckets = v.spec.integer("buckets"); a.rounds = v.spec.integer("rounds");
            a.seed = static_cast<uint64_t>(v.spec.integer("seed"));
            a.layer = l;
            a.q = m_q->values.data(); a.ldq = H * d;
            a.k_ = m_k->values.data(); a.ldk = kvw;
            a.v = m_k->values.data(); a.ldv = kvw;   // values are not needed for the support; keys stand in
            a.out = out.data(); a.ldo = H * d;
            a.support = ptrs.data();
            const OpStatus s = m_backend.variantAttention(a);
            if (!s.ok)
                throw Error(ErrorKind::Internal, "", "variant", -1, s.message);
        }
        for (const AttentionMapPtr& m : m_layerMaps) {
            if (m->quantity != Quantity::AttentionProbs || m->head < 0 || m->head >= H)
                continue;
            double out = 0;
            if (v.spec.isMaskPattern())
                out = massOutsidePattern(*m, v.spec.mask(T, l, causal));
            else if (v.spec.kind == VariantKind::TopK)
                out = massOutsideTopK(*m, v.spec.integer("k"));
            else if (v.spec.kind == VariantKind::Threshold)
                out = massOutsideThreshold(*m, v.spec.number("p"));
            else if (!supports.empty())
                out = massOutsideSupport(*m, *supports[size_t(m->head)]);
            // Sinks, regrouped K/V and the dense kernelised or pooled maps keep every key: nothing outside.
            v.massOutside[size_t(l) * size_t(H) + size_t(m->head)] = out;
        }
    }

    /// A long prompt: no map; a mask pattern's mass outside from the baseline's exact tiles (row_metrics.h).
    void scoreLayerFromTiles(VariantComparison& v, int l, bool causal)
    {
        const int H = m_cfg.nHeads;
        for (int h = 0; h < H; ++h) {
            double out = kNaN;   // top-k, threshold, data-dependent supports: whole rows would be needed
            if (v.spec.isMaskPattern()) {
                auto lse = m_lse.find(h);
                if (m_q && m_k && lse != m_lse.end()) {
                    const HeadTileSource src(m_q, m_k, lse->second, h, H, m_cfg.nKvHeads, m_cfg.headDim, m_cfg.attnScale);
                    auto sink = m_sink.find(h);
                    out = massOutsidePatternFromTiles(src, v.spec.mask(m_shape.tokens, l, causal),
                                                      sink != m_sink.end() ? sink->second.get() : nullptr);
                }
            } else if (!needsSupportFromQK(v.spec) && v.spec.kind != VariantKind::TopK && v.spec.kind != VariantKind::Threshold) {
                out = 0;   // sinks, regrouped K/V, kernelised or pooled maps keep every key
            }
            v.massOutside[size_t(l) * size_t(H) + size_t(h)] = out;
        }
    }

    const CompareRequest& m_req;
    const ModelConfig& m_cfg;
    Backend& m_backend;
    std::vector<VariantComparison>& m_out;
    std::set<int> m_resume;
    bool m_anyApplies = false;
    RunShape m_shape;
    std::vector<AttentionMapPtr> m_layerMaps;
    CapturedSeriesPtr m_q, m_k;
    std::map<int, CapturedSeriesPtr> m_lse, m_sink;   // long prompts: this layer's row normalisers, sink probabilities
};

/// The LM head over final hidden states, a chunk of positions at a time, on the run's backend.
class LogitReducer {
public:
    LogitReducer(const LoadedModel& model, Backend& backend, WeightStore& store) : m_model(model), m_backend(backend)
    {
        const ModelConfig& c = model.config();
        const BoundTensor& w = c.tiedEmbeddings ? model.plan().get(TensorRole::TokenEmbedding) : model.plan().get(TensorRole::Output);
        if (store.resident()) {
            m_weights = store.get(w);
        } else {
            // Streaming stores never hold the whole output matrix: convert it once for the comparison.
            const uint64_t n = w.info->elementCount();
            m_own = backend.allocate(n * sizeof(float));
            if (!m_own)
                throw Error(ErrorKind::Resource, "", "lm head", -1, "out of memory converting the output matrix");
            std::vector<float> host(n);
            dequantizeRows(model.checkpoint(), *w.info, 0, w.info->rows(), host.data());
            const OpStatus s = backend.upload(m_own->data(), host.data(), n * sizeof(float));
            if (!s.ok)
                throw Error(ErrorKind::Internal, "", "lm head", -1, s.message);
            m_weights = m_own->floats();
        }
    }

    /// Logits of rows [p0, p0 + n) of `hidden` (T × d_model, host), as host floats n × vocab (soft-capped).
    std::vector<float> logits(const std::vector<float>& hidden, int64_t p0, int64_t n)
    {
        const ModelConfig& c = m_model.config();
        const int64_t D = c.dModel, V = c.vocabSize;
        auto in = m_backend.allocate(uint64_t(n * D) * sizeof(float));
        auto out = m_backend.allocate(uint64_t(n * V) * sizeof(float));
        if (!in || !out)
            throw Error(ErrorKind::Resource, "", "logits", -1, "out of memory computing logits");
        m_backend.upload(in->data(), hidden.data() + p0 * D, uint64_t(n * D) * sizeof(float));
        GemmArgs g;
        g.m = n; g.n = V; g.k = D;
        g.a = in->floats(); g.lda = D;
        g.b = m_weights; g.ldb = D;
        g.c = out->floats(); g.ldc = V;
        const OpStatus s = m_backend.gemm(g);
        if (!s.ok)
            throw Error(ErrorKind::Internal, "", "logits", -1, s.message);
        std::vector<float> host(size_t(n * V));
        m_backend.download(host.data(), out->data(), host.size() * sizeof(float));
        if (c.finalLogitSoftcap > 0.f)
            for (float& x : host)
                x = c.finalLogitSoftcap * std::tanh(x / c.finalLogitSoftcap);
        return host;
    }

private:
    const LoadedModel& m_model;
    Backend& m_backend;
    const float* m_weights = nullptr;
    std::unique_ptr<DeviceBuffer> m_own;
};

int64_t argmax(const float* x, int64_t n)
{
    return std::max_element(x, x + n) - x;
}

/// The comparison proper on one backend (executeCompare hands it to the CPU backend after a device failure).
void compareOn(const std::shared_ptr<const LoadedModel>& model, BackendSet& backends, Backend& backend,
               const CompareRequest& req, CompareResult& r, Progress* progress, std::stop_token stop)
{
    const ModelConfig& cfg = model->config();
    const int64_t T = static_cast<int64_t>(r.tokens.ids.size());
    WeightStore& weights = backends.weightsFor(model, backend, req.base.checkFiniteWeights);

    // One memory estimate: the baseline's run with one layer of maps alive (plus what the views keep), the same
    // for each variant, and the resume points.
    const uint64_t budget = req.base.memoryBudgetBytes ? req.base.memoryBudgetBytes : defaultCaptureBudgetBytes();
    const uint64_t toConvert = weights.resident() ? weights.modelBytes() - weights.heldBytes() : 0;
    CaptureSpec scoring = req.base.capture;
    scoring.heads = CaptureSpec::Heads::All;
    if (req.longPrompt) {   // one layer's queries, keys and row normalisers instead of its maps
        scoring.quantities.erase(Quantity::AttentionProbs);
        scoring.quantities.insert({Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp});
    }
    MemoryEstimate e = estimateRun(*model, T, scoring, budget, toConvert, backend.threads(), false);
    const MemoryEstimate kept = estimateRun(*model, T, req.base.capture, budget, 0, backend.threads(), true);
    e.captureBytes += kept.captureBytes * (1 + req.variants.size());
    e.activationBytes += uint64_t(req.variants.size() + 2) * uint64_t(T) * uint64_t(cfg.dModel) * sizeof(float);
    if (!e.fits())
        throw Error(ErrorKind::Resource, "", "memory", -1, "not enough memory for the comparison: " + e.describe());

    r.variants.resize(req.variants.size());
    std::set<int> resume;
    for (size_t i = 0; i < req.variants.size(); ++i) {
        VariantComparison& v = r.variants[i];
        v.spec = req.variants[i];
        v.massOutside.assign(size_t(cfg.nLayers) * size_t(cfg.nHeads), 0.0);
        v.startLayer = req.reuseBaselineBelowVariant && !v.spec.layers.all() ? std::min(v.spec.layers.first(), cfg.nLayers) : 0;
        if (v.spec.kind == VariantKind::Full)
            v.startLayer = cfg.nLayers;   // identical to the baseline everywhere
        if (v.startLayer > 0 && v.startLayer < cfg.nLayers)
            resume.insert(v.startLayer);
    }

    // ---- the baseline ----
    const int runs = 1 + static_cast<int>(req.variants.size());
    if (progress) {
        progress->subTotal = runs;
        progress->subDone = 0;
    }
    ForwardOptions fo;
    fo.progress = progress;
    fo.stop = stop;
    fo.checkFiniteWeights = req.base.checkFiniteWeights;
    BaselineObserver base(req, cfg, backend, r.variants, resume);
    r.baselineTimings = runForward(*model, backend, r.tokens.ids, base, fo, &weights);
    r.baselineCaptures = std::move(base.kept);
    r.baselineStats = base.stats;

    // ---- the variants ----
    std::vector<std::vector<float>> finals(req.variants.size());
    for (size_t i = 0; i < req.variants.size(); ++i) {
        if (progress)
            progress->subDone = static_cast<int64_t>(i + 1);
        VariantComparison& v = r.variants[i];
        if (v.startLayer >= cfg.nLayers) {   // nothing to recompute
            finals[i] = base.finalHidden;
            v.captures = r.baselineCaptures;
            v.layerStats = r.baselineStats;
            continue;
        }
        CaptureSpec spec = req.base.capture;
        if (req.longPrompt && v.spec.needsVariantOp())   // builds whole maps: it cannot stream pooled grids
            for (Quantity q : {Quantity::CoarseMax, Quantity::CoarseMean, Quantity::HeadScores})
                spec.quantities.erase(q);
        spec.quantities.insert(Quantity::FinalHidden);
        spec.logits = CaptureSpec::Logits::None;
        CollectingObserver obs(spec);
        ForwardOptions vo = fo;
        vo.variant = &v.spec;
        if (v.startLayer > 0) {
            vo.startLayer = v.startLayer;
            vo.startHidden = &base.resumeFrom.at(v.startLayer);
        }
        v.timings = runForward(*model, backend, r.tokens.ids, obs, vo, &weights);
        v.captures = obs.store();
        // Layers below the variant's first layer are the baseline's: share its maps and statistics.
        for (const auto& [key, m] : r.baselineCaptures.maps())
            if (key.layer < v.startLayer)
                v.captures.add(m);
        for (const auto& [key, sr] : r.baselineCaptures.allSeries())
            if (key.layer >= 0 && key.layer < v.startLayer && key.head >= 0)
                v.captures.add(sr);
        v.layerStats.assign(r.baselineStats.begin(), r.baselineStats.begin() + std::min<size_t>(v.startLayer, r.baselineStats.size()));
        v.layerStats.insert(v.layerStats.end(), obs.layerStats().begin(), obs.layerStats().end());
        if (CapturedSeriesPtr f = obs.store().series(Quantity::FinalHidden, -1, -1))
            finals[i] = f->values;
    }
    if (stop.stop_requested())
        throw Error(ErrorKind::Cancelled, "", "", -1, "run cancelled");

    // ---- per-position numbers ----
    const int64_t D = cfg.dModel;
    for (VariantComparison& v : r.variants) {
        double sum = 0;
        int64_t n = 0, missing = 0;
        for (int l = 0; l < cfg.nLayers; ++l)
            if (v.spec.appliesTo(l))
                for (int h = 0; h < cfg.nHeads; ++h) {
                    const double m = v.massOutside[size_t(l) * size_t(cfg.nHeads) + size_t(h)];
                    if (std::isnan(m)) {
                        ++missing;
                        continue;
                    }
                    sum += m;
                    ++n;
                }
        v.massOutsideMean = n ? sum / double(n) : missing ? kNaN : 0.0;
    }
    if (!cfg.hasLmHead) {
        for (size_t i = 0; i < r.variants.size(); ++i) {
            VariantComparison& v = r.variants[i];
            double total = 0;
            for (int64_t t = 0; t < T; ++t) {
                double ab = 0, aa = 0, bb = 0;
                for (int64_t c = 0; c < D; ++c) {
                    const double x = base.finalHidden[size_t(t * D + c)], y = finals[i][size_t(t * D + c)];
                    ab += x * y;
                    aa += x * x;
                    bb += y * y;
                }
                const double cs = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : kNaN;
                v.cosinePerPosition.push_back(cs);
                total += cs;
            }
            v.cosineMean = total / double(T);
            v.perplexity = kNaN;
        }
        r.baselinePerplexity = kNaN;
        r.notes.push_back("encoder model: compared by the cosine similarity of the output hidden states");
    } else {
        LogitReducer lm(*model, backend, weights);
        const int64_t V = cfg.vocabSize;
        // Positions per LM-head product: each chunk streams the whole output matrix once (113 MB for SmolLM2,
        // 671 MB for Gemma 3), so chunks are as large as 64 MB of logits allow (256 and 64 rows).
        const int64_t chunk = std::clamp<int64_t>((int64_t(16) << 20) / std::max<int64_t>(V, 1), 32, 256);
        double baseNll = 0;
        std::vector<double> nll(r.variants.size(), 0.0);
        std::vector<int64_t> agree(r.variants.size(), 0);
        for (VariantComparison& v : r.variants)
            v.klPerPosition.assign(size_t(T), kNaN);
        for (int64_t p0 = 0; p0 < T; p0 += chunk) {
            if (stop.stop_requested())
                throw Error(ErrorKind::Cancelled, "", "", -1, "run cancelled");
            const int64_t n = std::min(chunk, T - p0);
            const std::vector<float> lb = lm.logits(base.finalHidden, p0, n);
            std::vector<double> lseB(static_cast<size_t>(n));
            for (int64_t r0 = 0; r0 < n; ++r0) {
                lseB[size_t(r0)] = logSumExpRow(lb.data() + r0 * V, V);
                const int64_t pos = p0 + r0;
                if (pos + 1 < T)
                    baseNll -= lb[size_t(r0 * V + r.tokens.ids[size_t(pos + 1)])] - lseB[size_t(r0)];
            }
            for (size_t i = 0; i < r.variants.size(); ++i) {
                const std::vector<float> lv = lm.logits(finals[i], p0, n);
                // KL rows split over two threads: exp over the vocabulary dominates.
                std::vector<double> kl(static_cast<size_t>(n)), lseV(static_cast<size_t>(n));
                auto work = [&](int64_t a, int64_t b) {
                    for (int64_t r0 = a; r0 < b; ++r0) {
                        const KlRow k = klDivergenceRow(lb.data() + r0 * V, lv.data() + r0 * V, V);
                        lseV[size_t(r0)] = k.lseQ;
                        kl[size_t(r0)] = k.kl;
                    }
                };
                std::thread helper(work, n / 2, n);
                work(0, n / 2);
                helper.join();
                for (int64_t r0 = 0; r0 < n; ++r0) {
                    const int64_t pos = p0 + r0;
                    r.variants[i].klPerPosition[size_t(pos)] = kl[size_t(r0)];
                    agree[i] += argmax(lb.data() + r0 * V, V) == argmax(lv.data() + r0 * V, V) ? 1 : 0;
                    if (pos + 1 < T)
                        nll[i] -= lv[size_t(r0 * V + r.tokens.ids[size_t(pos + 1)])] - lseV[size_t(r0)];
                }
            }
        }
        r.baselinePerplexity = T > 1 ? std::exp(baseNll / double(T - 1)) : kNaN;
        for (size_t i = 0; i < r.variants.size(); ++i) {
            VariantComparison& v = r.variants[i];
            double sum = 0, mx = 0;
            for (double k : v.klPerPosition) {
                sum += k;
                mx = std::max(mx, k);
            }
            v.klMean = sum / double(T);
            v.klMax = mx;
            v.top1Agreement = double(agree[i]) / double(T);
            v.perplexity = T > 1 ? std::exp(nll[i] / double(T - 1)) : kNaN;
        }
    }
}

} // namespace

bool prefersLongCompare(int64_t tokens, const ModelConfig& config, size_t variants, uint64_t budgetBytes)
{
    const double layerMapBytes = double(tokens) * double(tokens) * sizeof(float) * double(config.nHeads) *
                                 double(1 + variants);
    return tokens > kLongPromptTokens || layerMapBytes > double(budgetBytes) / 4;
}

CompareResult executeCompare(const std::shared_ptr<const LoadedModel>& model, BackendSet& backends,
                             const CompareRequest& req, Progress* progress, std::stop_token stop)
{
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    if (!model)
        throw Error(ErrorKind::Usage, "", "model", -1, "no model is open");
    const ModelConfig& cfg = model->config();
    if (req.variants.empty())
        throw Error(ErrorKind::Usage, "", "variant", -1, "compare needs at least one variant");
    if (req.variants.size() > 8)
        throw Error(ErrorKind::Usage, "", "variant", -1, "compare takes at most 8 variants");
    for (const AttentionSpec& s : req.variants)
        checkVariant(cfg, s);

    CompareResult r;
    if (progress)
        progress->set(Stage::Tokenising, 0, 1);
    r.tokens = tokenizeAndCheck(*model, req.base, r.notes);
    const int64_t T = static_cast<int64_t>(r.tokens.ids.size());
    r.shape = {T, cfg.nLayers, cfg.nHeads, cfg.nKvHeads};
    r.hasLmHead = cfg.hasLmHead;

    std::vector<OpKind> extra = modelOps(cfg);   // mixture-of-experts models need their optional ops
    for (const AttentionSpec& s : req.variants) {
        RunRequest probe;
        probe.variant = s;
        for (OpKind k : extraOps(probe))
            extra.push_back(k);
    }
    std::string placement;
    Backend* current = &backends.runBackend(&placement, extra);
    if (!placement.empty())
        r.notes.push_back(placement);
    // A device backend that fails (out of memory, a device error) hands the comparison to the CPU backend and the
    // notes say so (docs/BACKENDS.md "Failures").
    const CompareResult start = r;
    for (;;) {
        try {
            compareOn(model, backends, *current, req, r, progress, stop);
            break;
        } catch (const Error& e) {
            const bool deviceFailure = e.kind() == ErrorKind::Resource || e.kind() == ErrorKind::Internal;
            if (!deviceFailure || !backends.cpuFallback || current == backends.cpuFallback.get())
                throw;
            const std::string note = current->name() + " failed (" + e.what() + "); the comparison fell back to " +
                                     backends.fallback().name();
            r = start;
            r.notes.push_back(note);
            backends.releaseWeights();
            current = &backends.fallback();
        }
    }
    r.totalMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return r;
}

} // namespace attnscope
