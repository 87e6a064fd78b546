// Softmax attention with the probabilities materialised, one head per task (VARIANTS §1, NUMERICS §7).
// Rows are processed in blocks of kBlock queries: S = scale·Q_blk·K[0:nk]ᵀ is written straight into the
// probability rows (so each query's row is contiguous: the layout that is 2.5–3× faster than strided rows,
// PERFORMANCE §7.3), softmax'd in place with max subtraction and a vectorised exp, then O_blk = P·V[0:nk].
// Under the causal predicate a block only reads keys [0, i1), halving the work.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/thread_pool.h"

#include <Eigen/Core>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

namespace attnscope::cpu {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, 0, Stride>;
using MutMap = Eigen::Map<RowMat, 0, Stride>;

constexpr int64_t kBlock = 64;

/// Softmax of row[0:valid] in place; row[valid:width] = 0. Returns the row's log-sum-exp (log Z).
/// The exp and the sum run in `buf`, an aligned per-thread buffer: Eigen peels unaligned heads with scalar code
/// (a different exp and summation order), so computing in place would make results depend on the row's address
/// and break bitwise determinism across runs (NUMERICS-AND-SAFETY §7.10).
float softmaxRow(float* row, int64_t valid, int64_t width, Eigen::ArrayXf& buf)
{
    if (valid <= 0) {
        // A fully masked row: zeros and LSE = +inf (never NaN; NUMERICS-AND-SAFETY §7.2).
        std::fill(row, row + width, 0.f);
        return std::numeric_limits<float>::infinity();
    }
    Eigen::Map<Eigen::ArrayXf> r(row, valid);
    auto b = buf.head(valid);
    b = r;
    float m = b.maxCoeff();
    if (!std::isfinite(m) && !std::isnan(m))
        m = 0.f;   // all -inf: offset 0 so that -inf - -inf never yields NaN
    b = (b - m).exp();
    const float z = b.sum();
    r = b * (1.0f / z);
    std::fill(row + valid, row + width, 0.f);
    return m + std::log(z);
}

} // namespace

OpStatus attentionCpu(const AttentionArgs& a, int threads)
{
    const int64_t T = a.tokens, H = a.heads, Hkv = a.kvHeads, d = a.headDim;
    if (T <= 0 || H <= 0 || Hkv <= 0 || d <= 0 || H % Hkv || a.ldq < H * d || a.ldk < Hkv * d || a.ldv < Hkv * d ||
        a.ldo < H * d)
        return OpStatus::failure("attention: inconsistent sizes or strides");
    const int64_t G = H / Hkv;
    const int nThreads = std::max(1, threads);
    // Per-thread scratch for heads whose probabilities are not captured: one block of rows.
    std::vector<std::vector<float>> scratch(static_cast<size_t>(nThreads));
    std::vector<Eigen::ArrayXf> rowBuf(static_cast<size_t>(nThreads), Eigen::ArrayXf(T));
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
        ConstMap V(a.v + kvh * d, T, d, Stride(a.ldv));
        MutMap O(a.out + h * d, T, d, Stride(a.ldo));
        float* probs = a.probs ? a.probs[h] : nullptr;
        float* lse = a.lse ? a.lse[h] : nullptr;
        std::vector<float>& tmp = scratch[static_cast<size_t>(worker)];
        if (!probs && tmp.size() < static_cast<size_t>(kBlock * T))
            tmp.resize(static_cast<size_t>(kBlock * T));

        for (int64_t i0 = 0; i0 < T; i0 += kBlock) {
            const int64_t i1 = std::min(T, i0 + kBlock), rows = i1 - i0;
            const int64_t nk = a.causal ? i1 : T;
            float* base = probs ? probs + i0 * T : tmp.data();
            const int64_t ld = probs ? T : nk;
            MutMap S(base, rows, nk, Stride(ld));
            S.noalias() = (Q.middleRows(i0, rows) * a.scale) * K.topRows(nk).transpose();
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t i = i0 + r;
                const int64_t valid = a.causal ? i + 1 : T;
                const float l = softmaxRow(base + r * ld, valid, nk, rowBuf[static_cast<size_t>(worker)]);
                if (probs && nk < T)
                    std::fill(base + r * ld + nk, base + r * ld + T, 0.f);
                if (lse)
                    lse[i] = l;
            }
            O.middleRows(i0, rows).noalias() = S * V.topRows(nk);
        }
    });
    return cancelled ? OpStatus::cancel() : OpStatus::success();
}

void attentionHeadReference(int64_t T, int64_t d, const float* q, int64_t ldq, const float* k, int64_t ldk,
                            const float* v, int64_t ldv, float scale, bool causal, double* probs, double* out,
                            double* lse)
{
    std::vector<double> s(static_cast<size_t>(T));
    for (int64_t i = 0; i < T; ++i) {
        const int64_t valid = causal ? i + 1 : T;
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < valid; ++j) {
            double acc = 0;
            for (int64_t c = 0; c < d; ++c)
                acc += double(q[i * ldq + c]) * double(k[j * ldk + c]);
            s[j] = acc * double(scale);
            m = std::max(m, s[j]);
        }
        double z = 0;
        for (int64_t j = 0; j < valid; ++j)
            z += std::exp(s[j] - m);
        for (int64_t j = 0; j < T; ++j)
            probs[i * T + j] = j < valid ? std::exp(s[j] - m) / z : 0.0;
        if (lse)
            lse[i] = m + std::log(z);
        for (int64_t c = 0; c < d; ++c) {
            double acc = 0;
            for (int64_t j = 0; j < valid; ++j)
                acc += probs[i * T + j] * double(v[j * ldv + c]);
            out[i * d + c] = acc;
        }
    }
}

} // namespace attnscope::cpu
