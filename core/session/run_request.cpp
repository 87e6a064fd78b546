// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/run_request.h"

#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/session/progress.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope {

namespace {

/// Collects like CollectingObserver and also groups each layer's items for streaming.
class StreamingObserver final : public CollectingObserver {
public:
    StreamingObserver(CaptureSpec spec, const RunStreaming& s, bool keep)
        : CollectingObserver(std::move(spec)), m_s(s), m_keep(keep)
    {
    }

    bool onMap(const AttentionMapPtr& m) override
    {
        if (m_keep)
            CollectingObserver::onMap(m);
        m_layer.maps.push_back(m);
        return true;
    }
    bool onSeries(const CapturedSeriesPtr& s) override
    {
        if (m_keep || s->key.layer < 0)
            CollectingObserver::onSeries(s);
        if (s->key.layer >= 0)
            m_layer.series.push_back(s);
        return true;
    }
    bool onLayerDone(const LayerStats& st) override
    {
        CollectingObserver::onLayerDone(st);
        LayerCaptures done = std::move(m_layer);
        m_layer = {};
        done.layer = st.layer;
        done.stats = st;
        return m_s.onLayer ? m_s.onLayer(done) : true;
    }

private:
    const RunStreaming& m_s;
    bool m_keep;
    LayerCaptures m_layer;
};

} // namespace

std::string MemoryEstimate::describe() const
{
    std::string s = std::to_string(tokens) + " tokens need " + formatBytes(total()) + " (";
    s += "weights " + formatBytes(weightBytes) + ", activations " + formatBytes(activationBytes);
    if (captureBytes)
        s += ", " + std::to_string(capturedMaps) + " captured map" + (capturedMaps == 1 ? "" : "s") + " and series " +
             formatBytes(captureBytes);
    s += ")";
    if (budgetBytes)
        s += "; the budget is " + formatBytes(budgetBytes);
    return s;
}

MemoryEstimate estimateRun(const LoadedModel& model, int64_t T, const CaptureSpec& capture, uint64_t budgetBytes,
                           uint64_t weightBytesToConvert, int threads, bool keepCaptures)
{
    const ModelConfig& c = model.config();
    MemoryEstimate e;
    e.tokens = T;
    e.budgetBytes = budgetBytes;
    e.weightBytes = weightBytesToConvert;
    const uint64_t t = static_cast<uint64_t>(std::max<int64_t>(T, 0));
    const uint64_t D = c.dModel, F = c.ffnDim, V = c.vocabSize;
    const uint64_t qw = c.qWidth(), kw = c.kWidth(), vw = c.vWidth(), ow = c.attnWidth();
    uint64_t floats = t * (4 * D + qw + kw + vw + ow + F * (c.mlp == MlpKind::Gated ? 2 : 1));   // x, xn, tmp, host copy, q/k/v, attn, MLP
    if (c.diff != DiffVersion::None)
        floats += t * (ow + uint64_t(c.nHeads));   // the second map's output, V2's λ
    if (c.gptOssExperts > 0)
        floats += t * (D + 2 + uint64_t(c.gptOssExperts) * 2);   // expert output rows, routing, router logits
    floats += 2 * t * static_cast<uint64_t>(std::max(c.ropeDims, 0)) * 2;                        // ≤ 2 RoPE tables
    floats += uint64_t(std::max(threads, 1)) * (64 * t + t);                                     // attention scratch
    // Per-layer buffers of the other block kinds (allocated by the block, freed at its end): the larger of the
    // token mixer's and the MLP's.
    uint64_t mixer = 0, mlp = 0;
    if (c.outputGate != OutputGate::None)
        mixer = t * uint64_t(c.nHeads) * uint64_t(c.outputGate == OutputGate::Headwise ? 1 : c.headDim);
    if (c.anyLayer(TokenMixer::GatedDeltaNet)) {
        const DeltaNetDims& d = c.deltaNet;
        mixer = std::max<uint64_t>(mixer, t * uint64_t(2 * d.convChannels() + 2 * d.valueWidth() + 4 * d.valueHeads));
    }
    if (c.anyLayer(FfnKind::Moe)) {
        const MoeDims& m = c.moe;
        mlp = t * (D + uint64_t(m.experts) + 2 * uint64_t(m.topK) + 2 * D + 2 * uint64_t(m.expertFfn) + 2 +
                   2 * uint64_t(m.sharedFfn) + 1);
    }
    floats += std::max(mixer, mlp);
    int64_t logitRows = 0;
    if (c.hasLmHead)
        for (int64_t p = 0; p < T; ++p)
            logitRows += capture.wantsLogits(p, T) ? 1 : 0;
    floats += uint64_t(logitRows) * (V * 2 + D);                                                 // logits + host copy
    e.activationBytes = floats * sizeof(float);
    uint64_t cap = 0;
    int64_t maps = 0;
    const uint64_t heads = static_cast<uint64_t>(capture.headCount(c.nLayers, c.nHeads));
    for (Quantity q : capture.quantities) {
        const QuantityInfo& qi = quantityInfo(q);
        if (!c.mayProduce(q))
            continue;   // e.g. a second map asked of a model without differential heads: never allocated
        const uint64_t L = static_cast<uint64_t>(c.nLayers), d = static_cast<uint64_t>(c.headDim);
        if (qi.shape == QuantityShape::HeadMap) {
            maps += static_cast<int64_t>(heads);
            cap += captureBytes(T, heads);   // the one per-map formula (core/util/memory_budget.h)
            continue;
        }
        switch (q) {
        case Quantity::HiddenState: cap += L * t * D * sizeof(float); break;
        case Quantity::FinalHidden: cap += 2 * t * D * sizeof(float); break;
        case Quantity::Queries: cap += L * t * uint64_t(c.nHeads) * d * sizeof(float); break;
        case Quantity::Keys: cap += L * t * uint64_t(c.nKvHeads) * d * sizeof(float); break;
        case Quantity::RowLogSumExp: cap += 2 * heads * t * sizeof(float); break;
        case Quantity::SinkProb:
        case Quantity::AttnOutNormPre:
        case Quantity::AttnOutNormPost:
        case Quantity::Lambda: cap += heads * t * sizeof(float); break;
        case Quantity::HeadScores: cap += heads * 64; break;
        case Quantity::CoarseMax:
        case Quantity::CoarseMean: {
            const uint64_t side = std::min<uint64_t>(t, 256);
            cap += heads * side * side * sizeof(float);
            break;
        }
        case Quantity::DeltaBeta:
        case Quantity::DeltaDecay:   // Gated DeltaNet layers key theirs by value head
            cap += uint64_t(capture.headCount(c.nLayers, c.deltaNet.valueHeads)) * t * sizeof(float);
            break;
        case Quantity::DeltaOutputGate:
            cap += uint64_t(capture.headCount(c.nLayers, c.deltaNet.valueHeads)) * t * uint64_t(c.deltaNet.valueDim) *
                   sizeof(float);
            break;
        default: cap += heads * t * d * sizeof(float); break;   // elementwise gates: T × d per head
        }
    }
    if (!keepCaptures && c.nLayers > 0) {   // only one layer's items are alive at a time (hidden states too)
        cap /= static_cast<uint64_t>(c.nLayers);
        maps /= c.nLayers;
    }
    e.captureBytes = cap;
    e.capturedMaps = maps;
    return e;
}

int64_t maxTokensThatFit(const LoadedModel& model, const CaptureSpec& capture, uint64_t budgetBytes,
                         uint64_t weightBytesToConvert, int threads, bool keepCaptures)
{
    if (budgetBytes == 0)
        return INT64_MAX;
    int64_t lo = 0, hi = 1 << 24;
    while (lo < hi) {   // the estimate grows with T: binary search for the last T that fits
        const int64_t mid = lo + (hi - lo + 1) / 2;
        if (estimateRun(model, mid, capture, budgetBytes, weightBytesToConvert, threads, keepCaptures).fits())
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

DeviceMemoryPlan planDeviceMemory(const LoadedModel& model, int64_t T, const CaptureSpec& capture,
                                  const MemoryEstimate& estimate, uint64_t weightBytesToUpload, bool weightsResident,
                                  uint64_t freeBytes)
{
    const ModelConfig& c = model.config();
    DeviceMemoryPlan p;
    p.freeBytes = freeBytes;
    // Weights: what is still to upload when resident; one layer (twice, for the layer being freed) and an
    // 8192-row output chunk when streamed.
    uint64_t weights = weightBytesToUpload;
    if (!weightsResident && c.nLayers > 0)
        weights = weightBytesToUpload / uint64_t(c.nLayers) * 2 + uint64_t(8192) * uint64_t(c.dModel) * sizeof(float);
    // Activations as the host estimate counts them (an upper bound: it includes host-side copies), plus the
    // attention statistics (heads × T) and a fixed 64 MiB for the cuBLASLt workspace and small buffers.
    const uint64_t t = static_cast<uint64_t>(std::max<int64_t>(T, 0));
    const uint64_t work = estimate.activationBytes + uint64_t(c.nHeads) * t * sizeof(float) + (uint64_t(64) << 20);
    int maxHeads = 0;
    if (capture.quantities.count(Quantity::AttentionProbs))
        for (int l = 0; l < c.nLayers; ++l) {
            int n = 0;
            for (int h = 0; h < c.nHeads; ++h)
                n += capture.wantsHead(l, h) ? 1 : 0;
            maxHeads = std::max(maxHeads, n);
        }
    const uint64_t oneMap = captureBytes(T, 1);   // the one per-map formula (core/util/memory_budget.h)
    p.needAllHeads = weights + work + uint64_t(maxHeads) * oneMap;
    p.needOneHead = weights + work + (maxHeads > 0 ? oneMap : 0);
    return p;
}

std::vector<TopToken> topTokens(const Tokenizer& tok, const float* logits, int64_t vocab, int k, double* logSumExp)
{
    std::vector<TopToken> r;
    if (vocab <= 0)
        return r;
    const double mx = *std::max_element(logits, logits + vocab);
    double z = 0;
    for (int64_t i = 0; i < vocab; ++i)
        z += std::exp(double(logits[i]) - mx);
    if (logSumExp)
        *logSumExp = mx + std::log(z);
    std::vector<int32_t> idx(static_cast<size_t>(vocab));
    std::iota(idx.begin(), idx.end(), 0);
    k = static_cast<int>(std::min<int64_t>(std::max(k, 0), vocab));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t x, int32_t y) {
        return logits[x] > logits[y] || (logits[x] == logits[y] && x < y);
    });
    for (int i = 0; i < k; ++i) {
        const int32_t id = idx[static_cast<size_t>(i)];
        r.push_back({id, id < tok.vocabSize() ? tok.tokenDisplay(id) : "<id " + std::to_string(id) + ">", logits[id],
                     std::exp(double(logits[id]) - mx) / z});
    }
    return r;
}

std::vector<OpKind> modelOps(const ModelConfig& cfg)
{
    std::vector<OpKind> ops;
    if (cfg.gptOssExperts > 0 || cfg.anyLayer(FfnKind::Moe))
        ops.push_back(OpKind::IndexAdd);
    if (cfg.anyLayer(FfnKind::Moe))
        ops.push_back(OpKind::MoeRoute);   // Qwen3-Next's router
    if (cfg.anyLayer(TokenMixer::GatedDeltaNet))
        ops.insert(ops.end(), {OpKind::CausalConv1d, OpKind::GatedDeltaRule});
    return ops;
}

std::vector<OpKind> extraOps(const RunRequest& req)
{
    std::vector<OpKind> ops;
    if (req.variant && req.variant->needsVariantOp())
        ops.push_back(OpKind::VariantAttention);
    if (req.variant && (req.variant->kind == VariantKind::Gqa || req.variant->kind == VariantKind::Mqa))
        ops.push_back(OpKind::HeadGroupMean);
    return ops;
}

TokenizedText tokenizeAndCheck(const LoadedModel& model, const RunRequest& req, std::vector<std::string>& notes)
{
    const ModelConfig& cfg = model.config();
    TokenizedText tokens;
    if (req.ids) {
        tokens.ids = *req.ids;
        for (int32_t id : tokens.ids) {
            tokens.display.push_back(id >= 0 && id < model.tokenizer().vocabSize() ? model.tokenizer().tokenDisplay(id) : "?");
            tokens.byteBegin.push_back(0);
            tokens.byteEnd.push_back(0);
        }
    } else {
        tokens = model.tokenizer().encode(req.text, req.addSpecial);
    }
    const int64_t T = static_cast<int64_t>(tokens.ids.size());
    if (T == 0)
        throw Error(ErrorKind::Usage, "", "prompt", -1, "the prompt is empty: type some text first");
    // Context length: refuse with both numbers unless the caller asks to study extrapolation on purpose.
    if (cfg.contextLength > 0 && T > cfg.contextLength) {
        if (!req.beyondContext || cfg.position == PositionKind::Learned)
            throw Error(ErrorKind::Usage, "", "prompt", -1,
                        "the prompt has " + std::to_string(T) + " tokens but the model's context length is " +
                            std::to_string(cfg.contextLength) +
                            (cfg.position == PositionKind::Learned
                                 ? " (learned positions cannot be extrapolated)"
                                 : "; shorten it, or pass --beyond-context to study extrapolation on purpose"));
        notes.push_back("ran " + std::to_string(T) + " tokens beyond the model's context length of " +
                        std::to_string(cfg.contextLength) + " (extrapolation)");
    }
    return tokens;
}

void checkVariant(const ModelConfig& cfg, const AttentionSpec& spec)
{
    if (cfg.diff != DiffVersion::None)
        throw Error(ErrorKind::Unsupported, "", "variant", -1,
                    spec.toString() + ": what-if attention variants are not implemented for differential attention");
    if (!spec.layers.all() && spec.layers.last() >= cfg.nLayers)
        throw Error(ErrorKind::Usage, "", "variant", -1,
                    spec.toString() + ": @layers reaches layer " + std::to_string(spec.layers.last()) + " but the model has " +
                        std::to_string(cfg.nLayers) + " layers (0–" + std::to_string(cfg.nLayers - 1) + ")");
    if (spec.kind == VariantKind::Gqa && cfg.nKvHeads % spec.integer("groups") != 0)
        throw Error(ErrorKind::Usage, "", "variant", -1,
                    "gqa: groups=" + std::to_string(spec.integer("groups")) + " must divide the model's " +
                        std::to_string(cfg.nKvHeads) + " K/V heads");
}

RunResult executeRun(const std::shared_ptr<const LoadedModel>& model, BackendSet& backends, const RunRequest& req,
                     const RunStreaming& streaming, Progress* progress, std::stop_token stop)
{
    if (!model)
        throw Error(ErrorKind::Usage, "", "model", -1, "no model is open");
    const ModelConfig& cfg = model->config();
    RunResult r;
    if (progress)
        progress->set(Stage::Tokenising, 0, 1);
    if (req.variant)
        checkVariant(cfg, *req.variant);
    if (req.variant && cfg.anyLayer(TokenMixer::GatedDeltaNet))
        r.notes.push_back(req.variant->toString() + " changes the softmax layers only; the Gated DeltaNet layers have no "
                          "softmax to replace and run unchanged");
    r.tokens = tokenizeAndCheck(*model, req, r.notes);
    const int64_t T = static_cast<int64_t>(r.tokens.ids.size());
    if (stop.stop_requested())
        throw Error(ErrorKind::Cancelled, "", "", -1, "run cancelled");

    std::string placement;
    std::vector<OpKind> extra = extraOps(req);
    for (OpKind k : modelOps(cfg))
        extra.push_back(k);
    Backend* backend = &backends.runBackend(&placement, extra);
    if (!placement.empty())
        r.notes.push_back(placement);
    const uint64_t budget = req.memoryBudgetBytes ? req.memoryBudgetBytes : defaultCaptureBudgetBytes();
    ForwardOptions fo;
    fo.progress = progress;
    fo.stop = stop;
    fo.checkFiniteWeights = req.checkFiniteWeights;
    fo.variant = req.variant ? &*req.variant : nullptr;
    if (req.variant && req.variant->kind != VariantKind::Full)
        r.notes.push_back("what-if run: " + req.variant->describe());
    bool retriedSmaller = false;
    std::unique_ptr<StreamingObserver> obs;
    for (;;) {
        // A device backend that fails can hand the run to the CPU backend; the CPU backend (or a primary without
        // a fallback) cannot hand it on.
        const bool canFallBack = backends.cpuFallback && backend != backends.cpuFallback.get();
        WeightStore& weights = backends.weightsFor(model, *backend, req.checkFiniteWeights);
        const uint64_t toConvert = weights.resident() ? weights.modelBytes() - weights.heldBytes() : 0;
        r.estimate = estimateRun(*model, T, req.capture, budget, toConvert, backend->threads(), req.keepCaptures);
        if (!r.estimate.fits()) {
            const int64_t fit = maxTokensThatFit(*model, req.capture, budget, toConvert, backend->threads(), req.keepCaptures);
            throw Error(ErrorKind::Resource, "", "memory", -1,
                        "not enough memory: " + r.estimate.describe() + ". At most " + std::to_string(fit) +
                            " tokens fit with this capture; capture fewer heads or layers, or use fewer tokens");
        }
        if (canFallBack && !backend->hostMemory()) {
            if (const uint64_t freeB = backend->freeMemoryBytes()) {
                const uint64_t toUpload = weights.resident() ? toConvert : weights.modelBytes();
                const DeviceMemoryPlan dp =
                    planDeviceMemory(*model, T, req.capture, r.estimate, toUpload, weights.resident(), freeB);
                if (!dp.fitsOneHead()) {
                    r.notes.push_back(backend->name() + " has " + formatBytes(dp.freeBytes) + " free but the run needs " +
                                      formatBytes(dp.needOneHead) + " there even with one map at a time; the run uses " +
                                      backends.fallback().name());
                    backends.releaseWeights();
                    backend = &backends.fallback();
                    continue;
                }
                if (!dp.fitsAllHeads() && !fo.oneHeadPerAttentionCall) {
                    fo.oneHeadPerAttentionCall = true;
                    r.notes.push_back("a layer's maps need " + formatBytes(dp.needAllHeads) + " on " + backend->name() +
                                      " (" + formatBytes(dp.freeBytes) + " free): attention runs one head at a time");
                }
            }
        }
        r.shape = {T, cfg.nLayers, cfg.nHeads, cfg.nKvHeads};
        r.hasLmHead = cfg.hasLmHead;
        r.backend = backend->description();
        r.backendName = backend->name();
        if (streaming.onStarted)
            streaming.onStarted(r.tokens, r.shape, r.estimate);
        obs = std::make_unique<StreamingObserver>(req.capture, streaming, req.keepCaptures);
        try {
            r.timings = runForward(*model, *backend, r.tokens.ids, *obs, fo, &weights);
            break;
        } catch (const Error& e) {
            const bool deviceFailure = e.kind() == ErrorKind::Resource || e.kind() == ErrorKind::Internal;
            if (!canFallBack || !deviceFailure)
                throw;
            const std::string why = backend->name() + " failed (" + e.what() + ")";
            if (!retriedSmaller && backend->healthy() && backend->reduceTiles()) {
                retriedSmaller = true;
                fo.oneHeadPerAttentionCall = true;
                r.notes.push_back(why + "; retried with smaller tiles and one head per attention call");
                continue;
            }
            r.notes.push_back(why + "; the run fell back to " + backends.fallback().name());
            backends.releaseWeights();
            backend = &backends.fallback();
            fo.oneHeadPerAttentionCall = false;
        }
    }
    if (!cfg.hasLmHead)
        r.notes.push_back(std::string("encoder model (") + cfg.arch->name +
                          "): no next-token prediction; the run reports maps, hidden states and statistics");
    StreamingObserver& observer = *obs;
    r.captures = observer.takeStore();
    r.layerStats = observer.layerStats();
    for (const auto& [pos, logits] : observer.logits()) {
        PositionLogits pl;
        pl.position = pos;
        pl.top = topTokens(model->tokenizer(), logits.data(), static_cast<int64_t>(logits.size()), req.topK, &pl.logSumExp);
        if (req.keepLogits)
            pl.logits = logits;
        r.logits.push_back(std::move(pl));
    }
    return r;
}

CaptureSpec longRunCapture(const CaptureSpec& maps)
{
    CaptureSpec c = maps;
    for (Quantity q : {Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined, Quantity::Lambda,
                       Quantity::SinkProb})
        c.quantities.erase(q);
    c.quantities.insert({Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp, Quantity::HeadScores, Quantity::CoarseMax,
                         Quantity::CoarseMean});
    return c;
}

bool prefersLongRun(int64_t tokens, const MemoryEstimate& mapsEstimate)
{
    return tokens > kLongPromptTokens || !mapsEstimate.fits();
}

bool chooseLongRun(const LoadedModel& model, RunRequest& request, int threads)
{
    std::vector<std::string> notes;
    const TokenizedText tt = tokenizeAndCheck(model, request, notes);
    const uint64_t budget = request.memoryBudgetBytes ? request.memoryBudgetBytes : defaultCaptureBudgetBytes();
    const int64_t t = static_cast<int64_t>(tt.ids.size());
    const MemoryEstimate maps = estimateRun(model, t, request.capture, budget, 0, threads, request.keepCaptures);
    if (!prefersLongRun(t, maps))
        return false;
    request.capture = longRunCapture(request.capture);
    return true;
}

} // namespace attnscope
