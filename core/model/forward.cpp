// The forward pass: input checks, embeddings, the layer loop with per-layer statistics, the final norm and the
// lm head (docs/ENGINE.md "Forward pass"). The block maths lives in transformer_block.cpp.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward.h"

#include "core/model/forward_context.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attnscope {

namespace {

double msSince(ForwardContext::Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(ForwardContext::Clock::now() - t0).count();
}

} // namespace

// ---- ForwardContext ------------------------------------------------------------------------------------------

ForwardContext::ForwardContext(const LoadedModel& m, Backend& be, std::span<const int32_t> tokenIds,
                               ForwardObserver& obs, const ForwardOptions& opt, WeightStore& weights)
    : model(m), cfg(m.config()), plan(m.plan()), ckpt(m.checkpoint()), backend(be), ids(tokenIds), observer(obs),
      options(opt), store(weights), T(static_cast<int64_t>(tokenIds.size()))
{
}

RunBuffer ForwardContext::allocate(uint64_t floats, const char* what)
{
    RunBuffer b;
    b.buf = backend.allocate(std::max<uint64_t>(floats, 1) * sizeof(float));
    if (!b.buf)
        throw Error(ErrorKind::Resource, "", what, -1,
                    "out of memory allocating " + formatBytes(floats * sizeof(float)) + " on " + backend.name());
    return b;
}

void ForwardContext::allocateActivations()
{
    const uint64_t t = static_cast<uint64_t>(T), D = cfg.dModel, F = cfg.ffnDim;
    const uint64_t qw = cfg.qWidth(), kw = cfg.kWidth(), vw = cfg.vWidth();
    x = allocate(t * D, "hidden state");
    xn = allocate(t * D, "normalised hidden state");
    tmp = allocate(t * D, "block output");
    if (plan.get(TensorRole::Qkv, 0)) {
        q = allocate(t * (qw + kw + vw), "fused q/k/v");   // k and v are views into it
    } else {
        q = allocate(t * qw, "queries");
        k = allocate(t * kw, "keys");
        v = allocate(t * vw, "values");
    }
    attn = allocate(t * cfg.attnWidth(), "attention output");
    if (cfg.diff != DiffVersion::None) {
        attn2 = allocate(t * cfg.attnWidth(), "second attention output");
        lambda = allocate(t * cfg.nHeads, "differential lambda");
    }
    ffnA = allocate(t * F, "MLP activations");
    if (cfg.mlp == MlpKind::Gated)
        ffnB = allocate(t * F, "MLP up projection");
    if (cfg.gptOssExperts > 0) {
        expertOut = allocate(t * D, "expert output");
        rowWeights = allocate(t, "routing weights");
        rowIds.buf = backend.allocate(t * sizeof(int32_t));
        if (!rowIds.buf)
            throw Error(ErrorKind::Resource, "", "routing", -1, "out of memory on " + backend.name());
    }
    idsBuf.buf = backend.allocate(t * sizeof(int32_t));
    if (!idsBuf.buf)
        throw Error(ErrorKind::Resource, "", "token ids", -1, "out of memory on " + backend.name());
    check(backend.upload(idsBuf.buf->data(), ids.data(), t * sizeof(int32_t)), OpKind::Gather);
}

/// cos/sin as HF computes them: inv_freq = 1 / base^(2t/r) in fp32 (divided by the linear factor), angle =
/// pos · inv_freq in fp32. YaRN (transformers _compute_yarn_parameters, in fp32 like torch): inv_freq =
/// interp·(1 − e) + extrap·e with extrap = 1 / base^(2t/r), interp = 1 / (factor · base^(2t/r)),
/// e = 1 − clamp((t − low) / (high − low), 0, 1); cos and sin are multiplied by the attention factor.
void ForwardContext::buildRopeTables()
{
    if (cfg.position != PositionKind::Rope)
        return;
    const int64_t half = cfg.ropeDims / 2;
    for (const LayerConfig& l : cfg.layers) {
        const RopeKey key{l.ropeTheta, l.ropeLinearFactor, l.yarn};
        if (rope.count(key))
            continue;
        std::vector<float> invFreq(static_cast<size_t>(half));
        for (int64_t t = 0; t < half; ++t)
            invFreq[t] = 1.0f / std::pow(l.ropeTheta, static_cast<float>(2 * t) / static_cast<float>(cfg.ropeDims)) /
                         l.ropeLinearFactor;
        float mscale = 1.f;
        if (l.yarn.factor > 0.f) {
            double lo = l.yarn.rampLow, hi = l.yarn.rampHigh;
            if (lo == hi)
                hi += 0.001;   // transformers: prevent a singularity
            const float flo = static_cast<float>(lo), span = static_cast<float>(hi - lo);
            for (int64_t t = 0; t < half; ++t) {
                const float pos = std::pow(l.ropeTheta, static_cast<float>(2 * t) / static_cast<float>(cfg.ropeDims));
                const float extrap = 1.0f / pos, interp = 1.0f / (l.yarn.factor * pos);
                const float ramp = std::clamp((static_cast<float>(t) - flo) / span, 0.f, 1.f);
                const float e = 1.0f - ramp;
                invFreq[t] = interp * (1.0f - e) + extrap * e;
            }
            mscale = l.yarn.attentionFactor;
        }
        std::vector<float> c(static_cast<size_t>(T * half)), s(static_cast<size_t>(T * half));
        for (int64_t p = 0; p < T; ++p)
            for (int64_t t = 0; t < half; ++t) {
                const float a = static_cast<float>(p) * invFreq[t];
                c[p * half + t] = std::cos(a) * mscale;
                s[p * half + t] = std::sin(a) * mscale;
            }
        RunBuffer cb = allocate(c.size(), "RoPE table"), sb = allocate(s.size(), "RoPE table");
        check(backend.upload(cb.data(), c.data(), c.size() * sizeof(float)), OpKind::Rope);
        check(backend.upload(sb.data(), s.data(), s.size() * sizeof(float)), OpKind::Rope);
        rope.emplace(key, std::make_pair(std::move(cb), std::move(sb)));
    }
}

void ForwardContext::cancelled() const
{
    throw Error(ErrorKind::Cancelled, "", "", -1, "run cancelled");
}

void ForwardContext::checkStop() const
{
    if (options.stop.stop_requested())
        cancelled();
}

void ForwardContext::check(const OpStatus& s, OpKind op) const
{
    if (s.ok)
        return;
    if (s.cancelled)
        cancelled();
    throw Error(s.outOfMemory ? ErrorKind::Resource : ErrorKind::Internal, "", opKindName(op), -1,
                backend.name() + ": " + s.message);
}

const float* ForwardContext::weight(TensorRole r, int layer)
{
    return store.get(layer < 0 ? plan.get(r) : plan.get(r, layer));
}

void ForwardContext::gemm(const float* a, int64_t m, int64_t kk, int64_t lda, const float* w, int64_t n, float* c,
                          int64_t ldc, float beta)
{
    GemmArgs g;
    g.m = m; g.n = n; g.k = kk;
    g.a = a; g.lda = lda;
    g.b = w; g.ldb = kk;
    g.c = c; g.ldc = ldc;
    g.beta = beta;
    syncForTiming();
    const auto t0 = Clock::now();
    check(backend.gemm(g), OpKind::Gemm);
    syncForTiming();
    timings.denseMs += msSince(t0);
    timings.denseFlops += 2.0 * double(m) * double(n) * double(kk);
}

void ForwardContext::norm(const float* in, int64_t rows, int64_t cols, int64_t ldx, const float* w, const float* b,
                          float* y, int64_t ldy)
{
    NormArgs a;
    a.kind = cfg.norm;
    a.rows = rows; a.cols = cols;
    a.x = in; a.ldx = ldx;
    a.weight = w; a.bias = b;
    a.weightOffset = cfg.normWeightOffset;
    a.eps = cfg.normEps;
    a.y = y; a.ldy = ldy;
    check(backend.norm(a), OpKind::Norm);
}

void ForwardContext::rmsNorm(const float* in, int64_t rows, int64_t cols, int64_t ldx, const float* w, float weightOffset,
                             float* y, int64_t ldy)
{
    NormArgs a;
    a.kind = NormKind::Rms;
    a.rows = rows; a.cols = cols;
    a.x = in; a.ldx = ldx;
    a.weight = w;
    a.weightOffset = weightOffset;
    a.eps = cfg.normEps;
    a.y = y; a.ldy = ldy;
    check(backend.norm(a), OpKind::Norm);
}

void ForwardContext::addBias(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* b)
{
    if (!b)
        return;
    AddBiasArgs a;
    a.rows = rows; a.cols = cols; a.y = y; a.ldy = ldy; a.bias = b;
    check(backend.addBias(a), OpKind::AddBias);
}

void ForwardContext::add(const float* in, float* y, int64_t n)
{
    AddArgs a;
    a.n = n; a.x = in; a.y = y;
    check(backend.add(a), OpKind::Add);
}

void ForwardContext::scale(float* in, int64_t n, float s)
{
    if (s == 1.f)
        return;
    ScaleArgs a;
    a.n = n; a.x = in; a.s = s;
    check(backend.scale(a), OpKind::Scale);
}

void ForwardContext::activation(float* in, int64_t n, Activation act, float param)
{
    ActivationArgs a;
    a.n = n; a.act = act; a.param = param; a.x = in; a.y = in;
    check(backend.activation(a), OpKind::Activation);
}

void ForwardContext::gatedActivation(float* gate, const float* up, int64_t n, Activation act)
{
    GatedActivationArgs a;
    a.n = n; a.act = act; a.gate = gate; a.up = up; a.out = gate;
    check(backend.gatedActivation(a), OpKind::GatedActivation);
}

void ForwardContext::clampedSwiglu(float* gate, const float* up, int64_t n, float alpha, float limit)
{
    GatedActivationArgs a;
    a.n = n; a.act = Activation::ClampedSwiglu; a.gate = gate; a.up = up; a.out = gate;
    a.alpha = alpha; a.limit = limit;
    check(backend.gatedActivation(a), OpKind::GatedActivation);
}

void ForwardContext::scaleGroups(const float* factors, float* x, int64_t n, int64_t repeat)
{
    GatedActivationArgs a;
    a.n = n; a.act = Activation::Identity; a.repeat = repeat; a.gate = factors; a.up = x; a.out = x;
    check(backend.gatedActivation(a), OpKind::GatedActivation);
}

void ForwardContext::gatedActivation(const float* gate, const float* up, float* out, int64_t n, Activation act,
                                     int64_t repeat)
{
    GatedActivationArgs a;
    a.n = n; a.repeat = repeat; a.act = act; a.gate = gate; a.up = up; a.out = out;
    check(backend.gatedActivation(a), OpKind::GatedActivation);
}

void ForwardContext::rotary(float* in, int64_t heads, int64_t ld, int layer)
{
    const LayerConfig& l = cfg.layers[static_cast<size_t>(layer)];
    const auto& tables = rope.at(RopeKey{l.ropeTheta, l.ropeLinearFactor, l.yarn});
    RopeArgs a;
    a.tokens = T; a.heads = heads; a.headDim = cfg.headDim; a.ropeDims = cfg.ropeDims;
    a.x = in; a.ldx = ld; a.cos = tables.first.data(); a.sin = tables.second.data();
    a.pairing = cfg.ropePairing == RopePairing::Adjacent ? 0 : 1;
    check(backend.rope(a), OpKind::Rope);
}

const TokenRepeats& ForwardContext::repeats()
{
    if (!m_repeats)
        m_repeats = std::make_unique<TokenRepeats>(std::vector<int32_t>(ids.begin(), ids.end()));
    return *m_repeats;
}

void ForwardContext::download(float* dst, const float* src, int64_t n) const
{
    check(backend.download(dst, src, static_cast<uint64_t>(n) * sizeof(float)), OpKind::Gather);
}

void ForwardContext::syncForTiming() const
{
    if (options.opTimings && !backend.hostMemory())
        check(backend.synchronize(), OpKind::Gemm);
}

// ---- the pass ------------------------------------------------------------------------------------------------

namespace {

class ForwardPass {
public:
    explicit ForwardPass(ForwardContext& c) : m_c(c) {}

    void run()
    {
        validateInput();
        if (!m_c.observer.onRunStarted({m_c.T, m_c.cfg.nLayers, m_c.cfg.nHeads, m_c.cfg.nKvHeads}))
            m_c.cancelled();
        const double convert0 = m_c.store.convertMs();
        m_c.allocateActivations();
        m_c.buildRopeTables();
        const int start = m_c.options.startLayer;
        if (start > 0) {
            const std::vector<float>* h = m_c.options.startHidden;
            if (start > m_c.cfg.nLayers || !h || h->size() != static_cast<size_t>(m_c.T * m_c.cfg.dModel))
                throw Error(ErrorKind::Internal, "", "resume", -1, "the resumed residual stream does not fit this run");
            m_c.check(m_c.backend.upload(m_c.x.data(), h->data(), h->size() * sizeof(float)), OpKind::Add);
        } else {
            embed();
        }
        m_host.resize(static_cast<size_t>(m_c.T * m_c.cfg.dModel));
        for (int l = start; l < m_c.cfg.nLayers; ++l) {
            m_c.checkStop();
            if (m_c.options.progress)
                m_c.options.progress->set(Stage::Layer, l, m_c.cfg.nLayers);
            const auto tl = ForwardContext::Clock::now();
            runTransformerBlock(m_c, l);
            m_c.store.endLayer();
            LayerStats st = hiddenStats(l);
            st.ms = msSince(tl);
            if (!m_c.observer.onLayerDone(st))
                m_c.cancelled();
        }
        if (m_c.options.progress)
            m_c.options.progress->set(Stage::Layer, m_c.cfg.nLayers, m_c.cfg.nLayers);
        finalHiddenAndLogits();
        m_c.store.endLayer();
        m_c.timings.dequantMs = m_c.store.convertMs() - convert0;
        m_c.timings.totalMs = msSince(m_c.start);
    }

private:
    void validateInput()
    {
        const int64_t T = m_c.T;
        if (T == 0)
            throw Error(ErrorKind::Usage, "", "input", -1, "no tokens to run (empty text)");
        // A file truncated or rewritten under a live mapping can SIGBUS or feed garbage (docs/SECURITY.md).
        for (const auto& f : m_c.ckpt.files)
            if (!f->unchangedOnDisk())
                throw Error(ErrorKind::Io, f->path(), "", -1,
                            "the file changed on disk since it was opened (size or modification time); open it again");
        if (T > (1 << 24))
            throw Error(ErrorKind::Resource, "", "input", -1, "more than 16,777,216 tokens");
        for (int64_t i = 0; i < T; ++i)
            if (m_c.ids[i] < 0 || m_c.ids[i] >= m_c.cfg.vocabSize)
                throw Error(ErrorKind::Usage, "", "input", -1,
                            "token id " + std::to_string(m_c.ids[i]) + " at position " + std::to_string(i) +
                                " is outside the vocabulary (0.." + std::to_string(m_c.cfg.vocabSize - 1) + ")");
        if (m_c.cfg.position == PositionKind::Learned && T > m_c.cfg.contextLength)
            throw Error(ErrorKind::Usage, "", "input", -1,
                        "the prompt has " + std::to_string(T) + " tokens but the model's learned position table has " +
                            std::to_string(m_c.cfg.contextLength) + " rows; learned positions cannot be extrapolated");
    }

    /// fp32 rows [r0, r0 + n) of a model-wide table on the backend: a view into the converted table when the
    /// store is resident, else rows converted from the file into `scratch`.
    const float* tableRows(TensorRole role, int64_t r0, int64_t n, RunBuffer& scratch)
    {
        const BoundTensor& b = m_c.plan.get(role);
        if (m_c.store.resident())
            return m_c.store.get(b) + r0 * m_c.cfg.dModel;
        std::vector<float> host(static_cast<size_t>(n * m_c.cfg.dModel));
        dequantizeRows(m_c.ckpt, *b.info, r0, n, host.data());
        scratch = m_c.allocate(host.size(), "table rows");
        m_c.check(m_c.backend.upload(scratch.data(), host.data(), host.size() * sizeof(float)), OpKind::Gather);
        return scratch.data();
    }

    void embed()
    {
        const int64_t T = m_c.T, D = m_c.cfg.dModel;
        const BoundTensor& emb = m_c.plan.get(TensorRole::TokenEmbedding);
        GatherArgs g;
        g.count = T; g.cols = D;
        g.out = m_c.x.data(); g.ldOut = D;
        g.scale = m_c.cfg.embeddingScale;
        RunBuffer rowsScratch, idsScratch;
        if (m_c.store.resident()) {
            g.ids = static_cast<const int32_t*>(m_c.idsBuf.buf->data());
            g.table = m_c.store.get(emb);
            g.tableRows = emb.info->shape[0];
        } else {
            // Streaming: convert just the rows of the prompt's ids, then gather them in order.
            std::vector<float> host(static_cast<size_t>(T * D));
            for (int64_t t = 0; t < T; ++t)
                dequantizeRows(m_c.ckpt, *emb.info, m_c.ids[t], 1, host.data() + t * D);
            rowsScratch = m_c.allocate(host.size(), "embedding rows");
            m_c.check(m_c.backend.upload(rowsScratch.data(), host.data(), host.size() * sizeof(float)), OpKind::Gather);
            std::vector<int32_t> seq(static_cast<size_t>(T));
            for (int64_t t = 0; t < T; ++t)
                seq[static_cast<size_t>(t)] = static_cast<int32_t>(t);
            idsScratch.buf = m_c.backend.allocate(seq.size() * sizeof(int32_t));
            if (!idsScratch.buf)
                throw Error(ErrorKind::Resource, "", "token ids", -1, "out of memory on " + m_c.backend.name());
            m_c.check(m_c.backend.upload(idsScratch.buf->data(), seq.data(), seq.size() * sizeof(int32_t)), OpKind::Gather);
            g.ids = static_cast<const int32_t*>(idsScratch.buf->data());
            g.table = rowsScratch.data();
            g.tableRows = T;
        }
        g.ldTable = D;
        m_c.check(m_c.backend.gather(g), OpKind::Gather);
        if (m_c.cfg.position == PositionKind::Learned) {
            RunBuffer posScratch;
            m_c.add(tableRows(TensorRole::PositionEmbedding, 0, T, posScratch), m_c.x.data(), T * D);
        }
        if (m_c.plan.get(TensorRole::TokenTypeEmbedding)) {
            // Every token has type 0 (a single segment), as HF does without token_type_ids.
            RunBuffer ttScratch;
            m_c.addBias(m_c.x.data(), T, D, D, tableRows(TensorRole::TokenTypeEmbedding, 0, 1, ttScratch));
        }
        if (m_c.plan.get(TensorRole::EmbeddingNorm))
            m_c.norm(m_c.x.data(), T, D, D, m_c.weight(TensorRole::EmbeddingNorm), m_c.weight(TensorRole::EmbeddingNormBias),
                     m_c.x.data(), D);
    }

    const float* hostHidden()
    {
        const int64_t n = m_c.T * m_c.cfg.dModel;
        if (m_c.backend.hostMemory())
            return m_c.x.data();
        m_c.download(m_host.data(), m_c.x.data(), n);
        return m_host.data();
    }

    LayerStats hiddenStats(int l)
    {
        LayerStats s;
        s.layer = l;
        const int64_t D = m_c.cfg.dModel, n = m_c.T * D;
        const float* h = hostHidden();
        for (int64_t i = 0; i < n; ++i) {
            const float a = std::fabs(h[i]);
            if (a > s.hiddenMaxAbs) {
                s.hiddenMaxAbs = a;
                s.maxToken = i / D;
                s.maxDim = i % D;
            }
        }
        if (m_c.observer.wants({Quantity::HiddenState, l, -1}))
            deliverHidden(Quantity::HiddenState, l, h);
        return s;
    }

    void deliverHidden(Quantity q, int layer, const float* h)
    {
        auto s = std::make_shared<CapturedSeries>();
        s->key = {q, layer, -1};
        s->shape = {m_c.T, m_c.cfg.dModel};
        s->values.assign(h, h + m_c.T * m_c.cfg.dModel);
        if (!m_c.observer.onSeries(std::move(s)))
            m_c.cancelled();
    }

    void finalHiddenAndLogits()
    {
        const int64_t T = m_c.T, D = m_c.cfg.dModel, V = m_c.cfg.vocabSize;
        const bool finalNorm = static_cast<bool>(m_c.plan.get(TensorRole::OutputNorm));
        const bool wantFinal = m_c.observer.wants({Quantity::FinalHidden, -1, -1});
        std::vector<int64_t> positions;
        if (m_c.cfg.hasLmHead)
            for (int64_t p = 0; p < T; ++p)
                if (m_c.observer.wantsLogits(p, T))
                    positions.push_back(p);
        if (!wantFinal && positions.empty())
            return;
        const auto t0 = ForwardContext::Clock::now();
        // The final norm over every row (cheap) so the output hidden state and any logits rows share it.
        if (finalNorm)
            m_c.norm(m_c.x.data(), T, D, D, m_c.weight(TensorRole::OutputNorm), m_c.weight(TensorRole::OutputNormBias),
                     m_c.xn.data(), D);
        const float* out = finalNorm ? m_c.xn.data() : m_c.x.data();
        if (wantFinal) {
            std::vector<float> host(static_cast<size_t>(T * D));
            m_c.download(host.data(), out, T * D);
            deliverHidden(Quantity::FinalHidden, -1, host.data());
        }
        if (positions.empty())
            return;
        const int64_t P = static_cast<int64_t>(positions.size());
        RunBuffer rows = m_c.allocate(static_cast<uint64_t>(P * D), "logit rows");
        {   // gather the wanted rows on the backend
            std::vector<int32_t> pos(positions.begin(), positions.end());
            RunBuffer posIds;
            posIds.buf = m_c.backend.allocate(pos.size() * sizeof(int32_t));
            if (!posIds.buf)
                throw Error(ErrorKind::Resource, "", "positions", -1, "out of memory on " + m_c.backend.name());
            m_c.check(m_c.backend.upload(posIds.buf->data(), pos.data(), pos.size() * sizeof(int32_t)), OpKind::Gather);
            GatherArgs g;
            g.count = P; g.cols = D;
            g.ids = static_cast<const int32_t*>(posIds.buf->data());
            g.table = out; g.ldTable = D; g.tableRows = T;
            g.out = rows.data(); g.ldOut = D;
            m_c.check(m_c.backend.gather(g), OpKind::Gather);
        }
        const BoundTensor& outW = m_c.cfg.tiedEmbeddings ? m_c.plan.get(TensorRole::TokenEmbedding) : m_c.plan.get(TensorRole::Output);
        RunBuffer logits = m_c.allocate(static_cast<uint64_t>(P * V), "logits");
        if (m_c.store.resident()) {
            m_c.gemm(rows.data(), P, D, D, m_c.store.get(outW), V, logits.data(), V, 0.f);
        } else {
            // The output matrix is converted in chunks of rows so a 262k-vocab head never needs a full fp32 copy.
            constexpr int64_t kChunk = 8192;
            std::vector<float> wchunk(static_cast<size_t>(std::min(kChunk, V) * D));
            RunBuffer wbuf = m_c.allocate(wchunk.size(), "output chunk");
            for (int64_t r0 = 0; r0 < V; r0 += kChunk) {
                m_c.checkStop();
                const int64_t n = std::min(kChunk, V - r0);
                dequantizeRows(m_c.ckpt, *outW.info, r0, n, wchunk.data());
                m_c.check(m_c.backend.upload(wbuf.data(), wchunk.data(), static_cast<uint64_t>(n * D) * sizeof(float)), OpKind::Gemm);
                GemmArgs g;
                g.m = P; g.n = n; g.k = D;
                g.a = rows.data(); g.lda = D;
                g.b = wbuf.data(); g.ldb = D;
                g.c = logits.data() + r0; g.ldc = V;
                m_c.check(m_c.backend.gemm(g), OpKind::Gemm);
            }
        }
        if (m_c.cfg.finalLogitSoftcap > 0.f)
            m_c.activation(logits.data(), P * V, Activation::Softcap, m_c.cfg.finalLogitSoftcap);
        std::vector<float> host(static_cast<size_t>(P * V));
        m_c.download(host.data(), logits.data(), P * V);
        m_c.timings.lmHeadMs = msSince(t0);
        for (int64_t i = 0; i < P; ++i)
            if (!m_c.observer.onLogits(positions[static_cast<size_t>(i)], host.data() + i * V, V))
                m_c.cancelled();
    }

    ForwardContext& m_c;
    std::vector<float> m_host;
};

} // namespace

ForwardTimings runForward(const LoadedModel& model, Backend& backend, std::span<const int32_t> ids,
                          ForwardObserver& observer, const ForwardOptions& options, WeightStore* weights)
{
    std::unique_ptr<WeightStore> own;
    if (!weights) {
        own = std::make_unique<WeightStore>(model, backend, 0, options.checkFiniteWeights);
        weights = own.get();
    }
    if (&weights->backend() != &backend || &weights->model() != &model)
        throw Error(ErrorKind::Internal, "", "weights", -1, "the weight store belongs to another model or backend");
    ForwardContext ctx(model, backend, ids, observer, options, *weights);
    ForwardPass(ctx).run();
    return ctx.timings;
}

} // namespace attnscope
