// Softmax attention with the probabilities materialised, one head per task (docs/ENGINE.md "Attention").
// Rows are processed in blocks of kBlock queries. For a block the mask gives the hull [klo, khi) of keys any of
// its rows may see; S = scale·Q_blk·K[klo:khi]ᵀ is written straight into the probability rows (so each query's
// row is contiguous: the layout that is 2.5–3× faster than strided rows, docs/PERFORMANCE.md), softmax'd per
// row over exactly the keys mask.rowKeys(i) leaves valid (one or two ranges — never assumed to be a prefix),
// then O_blk = P·V[klo:khi]. Causal blocks read keys [0, i1); sliding-window blocks read only the window, so
// their cost grows linearly with the length.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/thread_pool.h"

#include "core/attention/logits_block.h"

#include <Eigen/Core>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace attnscope::cpu {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, 0, Stride>;
using MutMap = Eigen::Map<RowMat, 0, Stride>;

constexpr int64_t kBlock = 64;

/// Softmax over the valid cells of one row of the block, in place. `row` holds the logits of keys
/// [klo, klo + width); `keys` are the row's valid ranges (absolute key indices, inside the hull). Cells outside
/// the valid ranges become 0. `sink` is the logit of a virtual sink column (-inf: none); its probability goes to
/// *sinkProb. Returns the row's max m and log of its sum relative to the max, log Σ exp(s − m) (the sink included):
/// log Z = m + logSum. A row with nothing to attend returns m = +inf.
/// The exp and the sum run in `buf`, an aligned per-thread buffer: Eigen peels unaligned heads with scalar code
/// (a different exp and summation order), so computing in place would make results depend on the row's address
/// and break bitwise determinism across runs.
struct RowNorm {
    float max;
    float logSum;
    float lse() const { return std::isinf(max) && max > 0 ? max : max + logSum; }
};

RowNorm softmaxRow(float* row, int64_t klo, int64_t width, const RowKeys& keys, Eigen::ArrayXf& buf, float sink,
                   float* sinkProb)
{
    const int64_t valid = keys.size();
    const bool hasSink = sink > -std::numeric_limits<float>::infinity();
    if (valid <= 0) {
        // A fully masked row: zeros and LSE = +inf (never NaN); a sink column, when present, takes all the mass.
        std::fill(row, row + width, 0.f);
        if (sinkProb)
            *sinkProb = hasSink ? 1.f : 0.f;
        return hasSink ? RowNorm{sink, 0.f} : RowNorm{std::numeric_limits<float>::infinity(), 0.f};
    }
    auto b = buf.head(valid);
    int64_t n = 0;
    for (int r = 0; r < keys.count(); ++r) {
        const KeyRange& k = keys.range[r];
        std::memcpy(b.data() + n, row + (k.begin - klo), static_cast<size_t>(k.size()) * sizeof(float));
        n += k.size();
    }
    float m = b.maxCoeff();
    if (hasSink)
        m = std::max(m, sink);
    if (!std::isfinite(m) && !std::isnan(m))
        m = 0.f;   // all -inf: offset 0 so that -inf - -inf never yields NaN
    b = (b - m).exp();
    const float zSink = hasSink ? std::exp(sink - m) : 0.f;
    const float z = b.sum() + zSink;
    b *= 1.0f / z;
    if (sinkProb)
        *sinkProb = zSink / z;
    // Scatter back, zeroing the gaps between and around the valid ranges.
    int64_t pos = klo;
    n = 0;
    for (int r = 0; r < keys.count(); ++r) {
        const KeyRange& k = keys.range[r];
        std::fill(row + (pos - klo), row + (k.begin - klo), 0.f);
        std::memcpy(row + (k.begin - klo), b.data() + n, static_cast<size_t>(k.size()) * sizeof(float));
        n += k.size();
        pos = k.end;
    }
    std::fill(row + (pos - klo), row + width, 0.f);
    return {m, std::log(z)};
}

} // namespace

OpStatus attentionCpu(const AttentionArgs& a, int threads)
{
    const int64_t T = a.tokens, H = a.heads, Hkv = a.kvHeads, d = a.headDim;
    const int64_t dv = a.valueDim > 0 ? a.valueDim : d, Hv = a.valueHeads > 0 ? a.valueHeads : Hkv;
    if (T <= 0 || H <= 0 || Hkv <= 0 || d <= 0 || H % Hkv || H % Hv || a.ldq < H * d || a.ldk < Hkv * d ||
        a.ldv < Hv * dv || a.ldo < H * dv)
        return OpStatus::failure("attention: inconsistent sizes or strides");
    if ((a.mask.kind == MaskKind::Sliding || a.mask.kind == MaskKind::SlidingSinks) && a.mask.window < 1)
        return OpStatus::failure("attention: a sliding window needs at least one key");
    const int64_t G = H / Hkv, Gv = H / Hv;
    const int nThreads = std::max(1, threads);
    // Per-thread scratch for heads whose probabilities are not captured: one block of rows.
    std::vector<std::vector<float>> scratch(static_cast<size_t>(nThreads));
    std::vector<Eigen::ArrayXf> rowBuf(static_cast<size_t>(nThreads), Eigen::ArrayXf(T));
    std::vector<RowKeys> rowKeys(static_cast<size_t>(nThreads));
    std::vector<std::vector<float>> keysT(static_cast<size_t>(nThreads));   // the head's keys transposed, d × T
    std::atomic<bool> cancelled{false};

    parallelFor(nThreads, H, [&](int64_t h, int worker) {
        if (cancelled.load(std::memory_order_relaxed))
            return;
        if (a.stop.stop_requested()) {
            cancelled = true;
            return;
        }
        const int64_t kvh = h / G;
        ConstMap Q(a.q + h * d, T, d, Stride(a.ldq));
        ConstMap K(a.k + kvh * d, T, d, Stride(a.ldk));
        ConstMap V(a.v + (h / Gv) * dv, T, dv, Stride(a.ldv));
        MutMap O(a.out + h * dv, T, dv, Stride(a.ldo));
        float* probs = a.probs ? a.probs[h] : nullptr;
        float* lse = a.lse ? a.lse[h] : nullptr;
        const float sink = a.sinkLogits ? a.sinkLogits[h] : -std::numeric_limits<float>::infinity();
        float* sinkProbs = a.sinkProbs ? a.sinkProbs[h] : nullptr;
        float* rowMax = a.rowMax ? a.rowMax[h] : nullptr;
        float* rowLogSum = a.rowLogSum ? a.rowLogSum[h] : nullptr;
        std::vector<float>& tmp = scratch[static_cast<size_t>(worker)];
        std::vector<float>& kt = keysT[static_cast<size_t>(worker)];
        kt.resize(static_cast<size_t>(d * T));
        for (int64_t j = 0; j < T; ++j)
            for (int64_t c = 0; c < d; ++c)
                kt[static_cast<size_t>(c * T + j)] = K(j, c);
        if (!probs && tmp.size() < static_cast<size_t>(kBlock * T))
            tmp.resize(static_cast<size_t>(kBlock * T));

        for (int64_t i0 = 0; i0 < T; i0 += kBlock) {
            const int64_t i1 = std::min(T, i0 + kBlock), rows = i1 - i0;
            const KeyRange hull = a.mask.blockHull(i0, i1, T);
            const int64_t klo = hull.begin, nk = hull.size();
            if (nk == 0) {   // every row of the block is masked
                const bool hasSink = sink > -std::numeric_limits<float>::infinity();
                for (int64_t i = i0; i < i1; ++i) {
                    if (probs)
                        std::fill(probs + i * T, probs + (i + 1) * T, 0.f);
                    if (lse)
                        lse[i] = hasSink ? sink : std::numeric_limits<float>::infinity();
                    if (rowMax)
                        rowMax[i] = hasSink ? sink : std::numeric_limits<float>::infinity();
                    if (rowLogSum)
                        rowLogSum[i] = 0.f;
                    if (sinkProbs)
                        sinkProbs[i] = hasSink ? 1.f : 0.f;
                }
                O.middleRows(i0, rows).setZero();
                continue;
            }
            float* base = probs ? probs + i0 * T + klo : tmp.data();
            const int64_t ld = probs ? T : nk;
            MutMap S(base, rows, nk, Stride(ld));
            // Logits in one fixed summation order (core/attention/logits_block.h), so tiles recomputed later for a
            // long prompt are bitwise these.
            attentionLogits(a.q + i0 * a.ldq + h * d, a.ldq, rows, kt.data() + klo, T, nk, d, a.scale, base, ld);
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t i = i0 + r;
                RowKeys& keys = rowKeys[static_cast<size_t>(worker)];
                a.mask.rowKeys(i, T, keys);
                const RowNorm l = softmaxRow(base + r * ld, klo, nk, keys, rowBuf[static_cast<size_t>(worker)], sink,
                                           sinkProbs ? sinkProbs + i : nullptr);
                if (probs) {
                    std::fill(probs + i * T, probs + i * T + klo, 0.f);
                    std::fill(probs + i * T + klo + nk, probs + (i + 1) * T, 0.f);
                }
                if (lse)
                    lse[i] = l.lse();
                if (rowMax)
                    rowMax[i] = l.max;
                if (rowLogSum)
                    rowLogSum[i] = l.logSum;
                if (a.rowObserver && !keys.range.empty())
                    a.rowObserver(a.rowObserverContext, h + a.observerHeadBase, i, base + r * ld, klo);
            }
            O.middleRows(i0, rows).noalias() = S * V.middleRows(klo, nk);
        }
    });
    return cancelled ? OpStatus::cancel() : OpStatus::success();
}

void attentionHeadReference(int64_t T, int64_t d, const float* q, int64_t ldq, const float* k, int64_t ldk,
                            const float* v, int64_t ldv, float scale, const AttentionMask& mask, double* probs,
                            double* out, double* lse, double sinkLogit, double* sinkProb)
{
    const bool hasSink = sinkLogit > -std::numeric_limits<double>::infinity();
    std::vector<double> s(static_cast<size_t>(T));
    for (int64_t i = 0; i < T; ++i) {
        double m = -std::numeric_limits<double>::infinity();
        bool any = false;
        for (int64_t j = 0; j < T; ++j) {
            if (!mask.valid(i, j))
                continue;
            double acc = 0;
            for (int64_t c = 0; c < d; ++c)
                acc += double(q[i * ldq + c]) * double(k[j * ldk + c]);
            s[j] = acc * double(scale);
            m = std::max(m, s[j]);
            any = true;
        }
        if (hasSink) {
            m = std::max(m, sinkLogit);
            any = true;
        }
        double z = hasSink ? std::exp(sinkLogit - m) : 0.0;
        for (int64_t j = 0; j < T; ++j)
            if (mask.valid(i, j))
                z += std::exp(s[j] - m);
        for (int64_t j = 0; j < T; ++j)
            probs[i * T + j] = any && mask.valid(i, j) ? std::exp(s[j] - m) / z : 0.0;
        if (lse)
            lse[i] = any ? m + std::log(z) : std::numeric_limits<double>::infinity();
        if (sinkProb)
            sinkProb[i] = hasSink ? std::exp(sinkLogit - m) / z : 0.0;
        for (int64_t c = 0; c < d; ++c) {
            double acc = 0;
            for (int64_t j = 0; j < T; ++j)
                acc += probs[i * T + j] * double(v[j * ldv + c]);
            out[i * d + c] = acc;
        }
    }
}

} // namespace attnscope::cpu
