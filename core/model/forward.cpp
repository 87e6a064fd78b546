// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/forward.h"

#include "core/model/loaded_model.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace attnscope {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// fp32 copy of one weight tensor, converted from the file's dtype when its layer runs.
class WeightScratch {
public:
    const float* load(const Checkpoint& ckpt, const TensorInfo* t, bool checkFinite)
    {
        if (!t)
            return nullptr;
        const size_t n = static_cast<size_t>(t->elementCount());
        if (m_buf.size() < n)
            m_buf.resize(n);
        dequantizeRows(ckpt, *t, 0, t->rows(), m_buf.data());
        if (checkFinite) {
            // x·0 is NaN exactly when x is NaN or ±Inf; the sum vectorises, unlike per-element isfinite().
            float acc = 0.f;
            for (size_t i = 0; i < n; ++i)
                acc += m_buf[i] * 0.f;
            if (!std::isfinite(acc))
                throw Error(ErrorKind::Model, ckpt.path, t->name, -1, "non-finite values (NaN or Inf) in tensor");
        }
        return m_buf.data();
    }

private:
    std::vector<float> m_buf;
};

class ForwardPass {
public:
    ForwardPass(const LoadedModel& m, Backend& primary, Backend& fallback, std::span<const int32_t> ids,
                ForwardObserver& obs, const ForwardOptions& opt)
        : m_model(m), m_cfg(m.config()), m_ckpt(m.checkpoint()), m_primary(primary), m_fallback(fallback), m_ids(ids),
          m_obs(obs), m_opt(opt), m_T(static_cast<int64_t>(ids.size()))
    {
    }

    ForwardTimings run()
    {
        const auto t0 = Clock::now();
        validateInput();
        checkCaptureBudget();
        if (!m_obs.onRunStarted(m_T, m_cfg.nLayers, m_cfg.nHeads))
            cancelled();
        allocate();
        embed();
        buildRopeTables();
        for (int l = 0; l < m_cfg.nLayers; ++l) {
            checkStop();
            if (m_opt.progress)
                m_opt.progress->set(Stage::Layer, l, m_cfg.nLayers);
            const auto tl = Clock::now();
            runLayer(l, t0);
            LayerStats st = hiddenStats(l);
            st.ms = msSince(tl);
            if (!m_obs.onLayerDone(st))
                cancelled();
        }
        if (m_opt.progress)
            m_opt.progress->set(Stage::Layer, m_cfg.nLayers, m_cfg.nLayers);
        lmHead();
        m_t.totalMs = msSince(t0);
        return m_t;
    }

private:
    [[noreturn]] void cancelled() { throw Error(ErrorKind::Cancelled, "", "", -1, "run cancelled"); }
    void checkStop()
    {
        if (m_opt.stop.stop_requested())
            cancelled();
    }

    Backend& backendFor(OpKind op) { return m_primary.supports(op) ? m_primary : m_fallback; }

    void check(const OpStatus& s, OpKind op)
    {
        if (s.ok)
            return;
        if (s.cancelled)
            cancelled();
        throw Error(ErrorKind::Internal, "", opKindName(op), -1, s.message);
    }

    void validateInput()
    {
        if (m_T == 0)
            throw Error(ErrorKind::Usage, "", "input", -1, "no tokens to run (empty text)");
        // A file truncated or rewritten under a live mapping can SIGBUS or feed garbage (NUMERICS §4 rule 12).
        for (const auto& f : m_ckpt.files)
            if (!f->unchangedOnDisk())
                throw Error(ErrorKind::Io, f->path(), "", -1,
                            "the file changed on disk since it was opened (size or modification time); open it again");
        if (m_T > (1 << 20))
            throw Error(ErrorKind::Resource, "", "input", -1, "more than 1,048,576 tokens");
        for (int64_t i = 0; i < m_T; ++i)
            if (m_ids[i] < 0 || m_ids[i] >= m_cfg.vocabSize)
                throw Error(ErrorKind::Usage, "", "input", -1,
                            "token id " + std::to_string(m_ids[i]) + " at position " + std::to_string(i) +
                                " is outside the vocabulary (0.." + std::to_string(m_cfg.vocabSize - 1) + ")");
    }

    /// Every wanted map is T² floats: 270 heads at 4k tokens is 17 GB. Refuse before computing anything.
    void checkCaptureBudget()
    {
        uint64_t wanted = 0;
        for (int l = 0; l < m_cfg.nLayers; ++l)
            for (int h = 0; h < m_cfg.nHeads; ++h)
                wanted += m_obs.wantsAttention(l, h) ? 1 : 0;
        if (wanted == 0)
            return;
        const uint64_t perMap = uint64_t(m_T) * uint64_t(m_T + 1) * sizeof(float);
        const uint64_t need = wanted * perMap;
        const uint64_t budget = m_opt.captureBudgetBytes ? m_opt.captureBudgetBytes : defaultCaptureBudgetBytes();
        if (budget != 0 && need > budget)
            throw Error(ErrorKind::Resource, "", "capture", -1,
                        "capturing " + std::to_string(wanted) + " attention maps at " + std::to_string(m_T) +
                            " tokens needs " + formatBytes(need) + " but the budget is " + formatBytes(budget) +
                            " (80% of available memory); capture fewer heads or use fewer tokens");
    }

    void allocate()
    {
        const size_t T = static_cast<size_t>(m_T), D = m_cfg.dModel, F = m_cfg.ffnDim;
        const size_t qw = size_t(m_cfg.nHeads) * m_cfg.headDim, kvw = size_t(m_cfg.nKvHeads) * m_cfg.headDim;
        m_x.assign(T * D, 0.f);
        m_xn.assign(T * D, 0.f);
        m_q.assign(T * qw, 0.f);
        m_k.assign(T * kvw, 0.f);
        m_v.assign(T * kvw, 0.f);
        m_attn.assign(T * qw, 0.f);
        m_gate.assign(T * F, 0.f);
        m_up.assign(T * F, 0.f);
    }

    void embed()
    {
        const int64_t D = m_cfg.dModel;
        for (int64_t t = 0; t < m_T; ++t)
            dequantizeRows(m_ckpt, *m_model.plan().tokenEmbedding, m_ids[t], 1, m_x.data() + t * D);
    }

    /// cos/sin as HF computes them: inv_freq = 1 / base^(2t/r) in fp32, angle = pos · inv_freq in fp32.
    void buildRopeTables()
    {
        const int64_t half = m_cfg.ropeDims / 2;
        m_cos.resize(static_cast<size_t>(m_T * half));
        m_sin.resize(static_cast<size_t>(m_T * half));
        std::vector<float> invFreq(static_cast<size_t>(half));
        for (int64_t t = 0; t < half; ++t)
            invFreq[t] = 1.0f / std::pow(m_cfg.ropeTheta, static_cast<float>(2 * t) / static_cast<float>(m_cfg.ropeDims));
        for (int64_t p = 0; p < m_T; ++p)
            for (int64_t t = 0; t < half; ++t) {
                const float a = static_cast<float>(p) * invFreq[t];
                m_cos[p * half + t] = std::cos(a);
                m_sin[p * half + t] = std::sin(a);
            }
    }

    void gemm(const float* a, int64_t m, int64_t k, const float* w, int64_t n, float* c, float beta)
    {
        GemmArgs g;
        g.m = m; g.n = n; g.k = k;
        g.a = a; g.lda = k;
        g.b = w; g.ldb = k;
        g.c = c; g.ldc = n;
        g.beta = beta;
        const auto t0 = Clock::now();
        check(backendFor(OpKind::Gemm).gemm(g), OpKind::Gemm);
        m_t.denseMs += msSince(t0);
        m_t.denseFlops += 2.0 * double(m) * double(n) * double(k);
    }

    void rmsNorm(const float* x, int64_t rows, int64_t cols, const float* w, float* y)
    {
        RmsNormArgs a;
        a.rows = rows; a.cols = cols; a.x = x; a.ldx = cols; a.weight = w; a.eps = m_cfg.normEps; a.y = y; a.ldy = cols;
        check(backendFor(OpKind::RmsNorm).rmsNorm(a), OpKind::RmsNorm);
    }

    void rope(float* x, int64_t heads)
    {
        RopeArgs a;
        a.tokens = m_T; a.heads = heads; a.headDim = m_cfg.headDim; a.ropeDims = m_cfg.ropeDims;
        a.x = x; a.ldx = heads * m_cfg.headDim; a.cos = m_cos.data(); a.sin = m_sin.data();
        a.pairing = m_cfg.ropePairing == RopePairing::Adjacent ? 0 : 1;
        check(backendFor(OpKind::Rope).rope(a), OpKind::Rope);
    }

    static void addBias(float* y, int64_t rows, int64_t cols, const float* b)
    {
        if (!b)
            return;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                y[r * cols + c] += b[c];
    }

    void runLayer(int l, Clock::time_point runStart)
    {
        const LayerWeights& w = m_model.plan().layers[static_cast<size_t>(l)];
        const int64_t D = m_cfg.dModel, F = m_cfg.ffnDim, H = m_cfg.nHeads, Hkv = m_cfg.nKvHeads, d = m_cfg.headDim;
        const int64_t qw = H * d, kvw = Hkv * d;
        const bool fin = m_opt.checkFiniteWeights;

        auto td = Clock::now();
        const float* attnNorm = m_sAttnNorm.load(m_ckpt, w.attnNorm, fin);
        const float* wq = m_sQ.load(m_ckpt, w.wq, fin);
        const float* wk = m_sK.load(m_ckpt, w.wk, fin);
        const float* wv = m_sV.load(m_ckpt, w.wv, fin);
        const float* bq = m_sBq.load(m_ckpt, w.bq, fin);
        const float* bk = m_sBk.load(m_ckpt, w.bk, fin);
        const float* bv = m_sBv.load(m_ckpt, w.bv, fin);
        const float* qn = m_sQn.load(m_ckpt, w.qNorm, fin);
        const float* kn = m_sKn.load(m_ckpt, w.kNorm, fin);
        m_t.dequantMs += msSince(td);

        // --- attention block ---
        rmsNorm(m_x.data(), m_T, D, attnNorm, m_xn.data());
        gemm(m_xn.data(), m_T, D, wq, qw, m_q.data(), 0.f);
        gemm(m_xn.data(), m_T, D, wk, kvw, m_k.data(), 0.f);
        gemm(m_xn.data(), m_T, D, wv, kvw, m_v.data(), 0.f);
        addBias(m_q.data(), m_T, qw, bq);
        addBias(m_k.data(), m_T, kvw, bk);
        addBias(m_v.data(), m_T, kvw, bv);
        if (qn)
            rmsNorm(m_q.data(), m_T * H, d, qn, m_q.data());
        if (kn)
            rmsNorm(m_k.data(), m_T * Hkv, d, kn, m_k.data());
        rope(m_q.data(), H);
        rope(m_k.data(), Hkv);
        checkStop();

        std::vector<std::shared_ptr<AttentionMap>> maps(static_cast<size_t>(H));
        std::vector<float*> probs(static_cast<size_t>(H), nullptr), lse(static_cast<size_t>(H), nullptr);
        for (int h = 0; h < H; ++h) {
            if (!m_obs.wantsAttention(l, h))
                continue;
            auto m = std::make_shared<AttentionMap>();
            m->layer = l;
            m->head = h;
            m->kvHead = static_cast<int>(h / (H / Hkv));
            m->tokens = m_T;
            m->causal = true;
            m->probs.resize(static_cast<size_t>(m_T * m_T));
            m->lse.resize(static_cast<size_t>(m_T));
            m->maskedRows.assign(static_cast<size_t>(m_T), 0);  // causal rows always see key 0
            probs[h] = m->probs.data();
            lse[h] = m->lse.data();
            maps[h] = std::move(m);
        }
        AttentionArgs a;
        a.tokens = m_T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
        a.scale = 1.0f / std::sqrt(static_cast<float>(d));
        a.causal = true;
        a.q = m_q.data(); a.ldq = qw;
        a.k = m_k.data(); a.ldk = kvw;
        a.v = m_v.data(); a.ldv = kvw;
        a.out = m_attn.data(); a.ldo = qw;
        a.probs = probs.data();
        a.lse = lse.data();
        a.stop = m_opt.stop;
        const auto ta = Clock::now();
        check(backendFor(OpKind::Attention).attention(a), OpKind::Attention);
        m_t.attentionMs += msSince(ta);
        for (auto& m : maps)
            if (m && !m_obs.onAttention(std::shared_ptr<const AttentionMap>(std::move(m))))
                cancelled();
        if (l == 0)
            m_t.firstLayerMapsMs = msSince(runStart);

        td = Clock::now();
        const float* wo = m_sO.load(m_ckpt, w.wo, fin);
        m_t.dequantMs += msSince(td);
        gemm(m_attn.data(), m_T, qw, wo, D, m_x.data(), 1.f);   // residual: x += attn · Woᵀ

        // --- MLP block ---
        td = Clock::now();
        const float* ffnNorm = m_sFfnNorm.load(m_ckpt, w.ffnNorm, fin);
        const float* wg = m_sGate.load(m_ckpt, w.wGate, fin);
        const float* wu = m_sUp.load(m_ckpt, w.wUp, fin);
        const float* wdn = m_sDown.load(m_ckpt, w.wDown, fin);
        m_t.dequantMs += msSince(td);
        rmsNorm(m_x.data(), m_T, D, ffnNorm, m_xn.data());
        gemm(m_xn.data(), m_T, D, wg, F, m_gate.data(), 0.f);
        gemm(m_xn.data(), m_T, D, wu, F, m_up.data(), 0.f);
        SwiGluArgs s;
        s.n = m_T * F; s.gate = m_gate.data(); s.up = m_up.data(); s.out = m_gate.data();
        check(backendFor(OpKind::SwiGlu).swiGlu(s), OpKind::SwiGlu);
        gemm(m_gate.data(), m_T, F, wdn, D, m_x.data(), 1.f);   // residual: x += mlp
    }

    LayerStats hiddenStats(int l) const
    {
        LayerStats s;
        s.layer = l;
        const int64_t D = m_cfg.dModel;
        for (int64_t i = 0; i < m_T * D; ++i) {
            const float a = std::fabs(m_x[static_cast<size_t>(i)]);
            if (a > s.hiddenMaxAbs) {
                s.hiddenMaxAbs = a;
                s.maxToken = i / D;
                s.maxDim = i % D;
            }
        }
        return s;
    }

    void lmHead()
    {
        std::vector<int64_t> positions;
        for (int64_t p = 0; p < m_T; ++p)
            if (m_obs.wantsLogits(p, m_T))
                positions.push_back(p);
        if (positions.empty())
            return;
        const auto t0 = Clock::now();
        const int64_t D = m_cfg.dModel, V = m_cfg.vocabSize, P = static_cast<int64_t>(positions.size());
        std::vector<float> rows(static_cast<size_t>(P * D));
        for (int64_t i = 0; i < P; ++i)
            std::copy_n(m_x.data() + positions[i] * D, D, rows.data() + i * D);
        const float* normW = m_sFfnNorm.load(m_ckpt, m_model.plan().outputNorm, m_opt.checkFiniteWeights);
        rmsNorm(rows.data(), P, D, normW, rows.data());
        // The output matrix is converted in chunks of rows so a 150k-vocab head never needs a full fp32 copy.
        constexpr int64_t kChunk = 8192;
        std::vector<float> logits(static_cast<size_t>(P * V));
        std::vector<float> wchunk(static_cast<size_t>(std::min(kChunk, V) * D));
        std::vector<float> cchunk(static_cast<size_t>(P * std::min(kChunk, V)));
        const TensorInfo& out = *m_model.plan().output;
        for (int64_t r0 = 0; r0 < V; r0 += kChunk) {
            checkStop();
            const int64_t n = std::min(kChunk, V - r0);
            dequantizeRows(m_ckpt, out, r0, n, wchunk.data());
            GemmArgs g;
            g.m = P; g.n = n; g.k = D;
            g.a = rows.data(); g.lda = D;
            g.b = wchunk.data(); g.ldb = D;
            g.c = cchunk.data(); g.ldc = n;
            check(backendFor(OpKind::Gemm).gemm(g), OpKind::Gemm);
            for (int64_t i = 0; i < P; ++i)
                std::copy_n(cchunk.data() + i * n, n, logits.data() + i * V + r0);
        }
        m_t.lmHeadMs = msSince(t0);
        for (int64_t i = 0; i < P; ++i)
            if (!m_obs.onLogits(positions[i], logits.data() + i * V, V))
                cancelled();
    }

    const LoadedModel& m_model;
    const ModelConfig& m_cfg;
    const Checkpoint& m_ckpt;
    Backend& m_primary;
    Backend& m_fallback;
    std::span<const int32_t> m_ids;
    ForwardObserver& m_obs;
    const ForwardOptions& m_opt;
    const int64_t m_T;
    ForwardTimings m_t;

    std::vector<float> m_x, m_xn, m_q, m_k, m_v, m_attn, m_gate, m_up, m_cos, m_sin;
    WeightScratch m_sAttnNorm, m_sQ, m_sK, m_sV, m_sBq, m_sBk, m_sBv, m_sQn, m_sKn, m_sO, m_sFfnNorm, m_sGate, m_sUp,
        m_sDown;
};

} // namespace

ForwardTimings runForward(const LoadedModel& model, Backend& primary, Backend& fallback, std::span<const int32_t> ids,
                          ForwardObserver& observer, const ForwardOptions& options)
{
    return ForwardPass(model, primary, fallback, ids, observer, options).run();
}

} // namespace attnscope
