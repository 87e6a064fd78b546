// What-if attention maps that are not a softmax under a fixed mask (docs/VARIANTS.md): data-dependent selections
// (top-k, threshold, LSH buckets, k-means clusters), pooled maps (NSA-style, hierarchical, Linformer) and
// kernelised maps (linear, Performer). Every kind builds the head's effective T×T map P row by row — never on a key
// the model's own causality removes — then O = P·V. The map is materialised per head (O(T²) memory per worker),
// which is what a viewer needs; the O(T·d²) formulations of the linear kinds are not used.
// Seeds (LSH rotations, k-means starts, Performer features) are mixed with the layer and head so that runs are
// deterministic and heads hash independently.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/thread_pool.h"

#include "core/util/split_mix.h"

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace attnscope::cpu {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, 0, Stride>;
using MutMap = Eigen::Map<RowMat, 0, Stride>;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

uint64_t mixSeed(uint64_t seed, int layer, int64_t head)
{
    SplitMix64 s(seed ^ (static_cast<uint64_t>(layer) << 32) ^ static_cast<uint64_t>(head) * 0x9E3779B97F4A7C15ull);
    return s.next();
}

/// Softmax of logits[j] over the selected keys of a row, written into row (0 elsewhere).
void softmaxSelected(const float* logits, float* row, int64_t T, const std::vector<char>& sel)
{
    float m = kNegInf;
    for (int64_t j = 0; j < T; ++j)
        if (sel[size_t(j)])
            m = std::max(m, logits[j]);
    if (m == kNegInf) {   // nothing selected: a masked row
        std::fill(row, row + T, 0.f);
        return;
    }
    double z = 0;
    for (int64_t j = 0; j < T; ++j)
        if (sel[size_t(j)])
            z += std::exp(double(logits[j] - m));
    for (int64_t j = 0; j < T; ++j)
        row[j] = sel[size_t(j)] ? static_cast<float>(std::exp(double(logits[j] - m)) / z) : 0.f;
}

/// Rows normalised to 1 over their selected keys from non-negative scores (kernelised maps).
void normaliseSelected(float* row, int64_t T, const std::vector<char>& sel)
{
    double z = 0;
    for (int64_t j = 0; j < T; ++j)
        z += sel[size_t(j)] ? double(row[j]) : 0.0;
    for (int64_t j = 0; j < T; ++j)
        row[j] = sel[size_t(j)] && z > 0 ? static_cast<float>(row[j] / z) : 0.f;
}

/// The base mask's valid keys of row i as a flag vector.
void baseSelection(const AttentionMask& base, int64_t i, int64_t T, RowKeys& keys, std::vector<char>& sel)
{
    std::fill(sel.begin(), sel.end(), 0);
    base.rowKeys(i, T, keys);
    for (const KeyRange& r : keys.range)
        std::fill(sel.begin() + r.begin, sel.begin() + r.end, 1);
}

/// Angular LSH buckets (Reformer): argmax over [xR, −xR] for a seeded Gaussian R of d × buckets/2.
std::vector<int32_t> lshBuckets(const ConstMap& X, int64_t buckets, const std::vector<float>& R)
{
    const int64_t T = X.rows(), d = X.cols(), half = buckets / 2;
    std::vector<int32_t> b(static_cast<size_t>(T));
    for (int64_t i = 0; i < T; ++i) {
        float best = kNegInf;
        int32_t arg = 0;
        for (int64_t c = 0; c < half; ++c) {
            float dot = 0;
            for (int64_t t = 0; t < d; ++t)
                dot += X(i, t) * R[size_t(t * half + c)];
            if (dot > best) {
                best = dot;
                arg = static_cast<int32_t>(c);
            }
            if (-dot > best) {
                best = -dot;
                arg = static_cast<int32_t>(c + half);
            }
        }
        b[size_t(i)] = arg;
    }
    return b;
}

/// Spherical k-means over the unit-normalised queries and keys of a head (Routing Transformer): K centroids
/// started from K distinct seeded points, 10 Lloyd iterations, assignment by the largest cosine.
void kmeans(const ConstMap& Q, const ConstMap& K, int64_t clusters, uint64_t seed, std::vector<int32_t>& cq,
            std::vector<int32_t>& ck)
{
    const int64_t T = Q.rows(), d = Q.cols(), n = 2 * T;
    RowMat pts(n, d);
    for (int64_t i = 0; i < T; ++i) {
        pts.row(i) = Q.row(i);
        pts.row(T + i) = K.row(i);
    }
    for (int64_t i = 0; i < n; ++i) {
        const float nr = pts.row(i).norm();
        if (nr > 0)
            pts.row(i) /= nr;
    }
    const int64_t kk = std::min(clusters, n);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    SplitMix64 rng(seed);
    for (int64_t i = 0; i < kk; ++i)   // partial Fisher–Yates: the first kk entries are distinct picks
        std::swap(order[size_t(i)], order[size_t(i + static_cast<int64_t>(rng.below(uint64_t(n - i))))]);
    RowMat C(kk, d);
    for (int64_t c = 0; c < kk; ++c)
        C.row(c) = pts.row(order[size_t(c)]);
    std::vector<int32_t> assign(static_cast<size_t>(n), 0);
    for (int iter = 0; iter < 10; ++iter) {
        const RowMat sim = pts * C.transpose();
        for (int64_t i = 0; i < n; ++i) {
            Eigen::Index arg = 0;
            sim.row(i).maxCoeff(&arg);
            assign[size_t(i)] = static_cast<int32_t>(arg);
        }
        RowMat sum = RowMat::Zero(kk, d);
        for (int64_t i = 0; i < n; ++i)
            sum.row(assign[size_t(i)]) += pts.row(i);
        for (int64_t c = 0; c < kk; ++c) {
            const float nr = sum.row(c).norm();
            if (nr > 0)
                C.row(c) = sum.row(c) / nr;   // an emptied cluster keeps its centroid
        }
    }
    cq.assign(assign.begin(), assign.begin() + T);
    ck.assign(assign.begin() + T, assign.end());
}

/// Performer's orthogonal random features: M rows of d, blocks of d Gaussian rows orthonormalised by
/// Gram–Schmidt, each row rescaled to the norm of an independent Gaussian d-vector (FAVOR+).
RowMat performerFeatures(int64_t M, int64_t d, uint64_t seed)
{
    SplitMix64 rng(seed);
    RowMat W(M, d);
    for (int64_t b0 = 0; b0 < M; b0 += d) {
        const int64_t rows = std::min(d, M - b0);
        RowMat G(d, d);
        for (int64_t r = 0; r < d; ++r)
            for (int64_t c = 0; c < d; ++c)
                G(r, c) = static_cast<float>(rng.normal());
        for (int64_t r = 0; r < d; ++r) {   // modified Gram–Schmidt
            for (int64_t p = 0; p < r; ++p)
                G.row(r) -= G.row(r).dot(G.row(p)) * G.row(p);
            const float nr = G.row(r).norm();
            if (nr > 0)
                G.row(r) /= nr;
        }
        for (int64_t r = 0; r < rows; ++r) {
            double chi = 0;
            for (int64_t c = 0; c < d; ++c) {
                const double g = rng.normal();
                chi += g * g;
            }
            W.row(b0 + r) = G.row(r) * static_cast<float>(std::sqrt(chi));
        }
    }
    return W;
}

/// φ(x) = exp(W·x̂ − |x̂|²/2 − c) / √M with x̂ = x·√scale; `perRowMax` subtracts each row's own max (queries: it
/// cancels in the row normalisation), else one max over all rows (keys: a common factor also cancels).
RowMat favorFeatures(const ConstMap& X, const RowMat& W, float scale, bool perRowMax)
{
    const RowMat Xh = X * std::sqrt(scale);
    RowMat proj = Xh * W.transpose();   // T × M
    const Eigen::VectorXf half = Xh.rowwise().squaredNorm() * 0.5f;
    for (int64_t i = 0; i < proj.rows(); ++i)
        proj.row(i).array() -= half(i);
    if (perRowMax) {
        for (int64_t i = 0; i < proj.rows(); ++i)
            proj.row(i).array() -= proj.row(i).maxCoeff();
    } else {
        proj.array() -= proj.maxCoeff();
    }
    return (proj.array().exp() / std::sqrt(static_cast<float>(W.rows()))).matrix();
}

struct Scratch {
    std::vector<float> map;       // T×T when the caller does not capture the head
    std::vector<float> logits;    // one row
    std::vector<char> sel, base;
    RowKeys keys;
};

OpStatus headMap(const VariantAttentionArgs& a, int64_t h, float* P, MaskBits* support, Scratch& s)
{
    const int64_t T = a.tokens, d = a.headDim, kvh = h / (a.heads / a.kvHeads);
    ConstMap Q(a.q + h * d, T, d, Stride(a.ldq));
    ConstMap K(a.k_ + kvh * d, T, d, Stride(a.ldk));
    MutMap Pm(P, T, T, Stride(T));
    s.logits.resize(static_cast<size_t>(T));
    s.sel.resize(static_cast<size_t>(T));
    s.base.resize(static_cast<size_t>(T));
    const uint64_t seed = mixSeed(a.seed, a.layer, h);
    auto markSupport = [&](int64_t i) {
        if (support)
            for (int64_t j = 0; j < T; ++j)
                if (s.sel[size_t(j)])
                    support->set(i, j);
    };

    switch (a.kind) {
    case VariantKind::Linear:
    case VariantKind::Performer: {
        RowMat Fq, Fk;
        if (a.kind == VariantKind::Linear) {   // φ = elu + 1 > 0
            Fq = Q.unaryExpr([](float x) { return x > 0 ? x + 1.f : std::exp(x); });
            Fk = K.unaryExpr([](float x) { return x > 0 ? x + 1.f : std::exp(x); });
        } else {
            const RowMat W = performerFeatures(a.features, d, seed);
            Fq = favorFeatures(Q, W, a.scale, true);
            Fk = favorFeatures(K, W, a.scale, false);
        }
        Pm.noalias() = Fq * Fk.transpose();
        for (int64_t i = 0; i < T; ++i) {
            baseSelection(a.base, i, T, s.keys, s.sel);
            normaliseSelected(P + i * T, T, s.sel);
        }
        return OpStatus::success();
    }
    case VariantKind::Linformer: {
        // K contiguous segments of L = ceil(T/K) tokens; a row pools each segment over the tokens it may see
        // (causal: the row's own segment only up to the row) and spreads a segment's weight uniformly over them.
        const int64_t L = (T + a.k - 1) / a.k;
        RowMat prefix(T + 1, d);   // prefix sums of keys
        prefix.row(0).setZero();
        for (int64_t j = 0; j < T; ++j)
            prefix.row(j + 1) = prefix.row(j) + K.row(j);
        for (int64_t i = 0; i < T; ++i) {
            baseSelection(a.base, i, T, s.keys, s.sel);
            const int64_t lastValid = a.base.isCausal() ? i : T - 1;
            std::vector<float> segLogit;
            std::vector<std::pair<int64_t, int64_t>> segs;
            for (int64_t b = 0; b * L <= lastValid; ++b) {
                const int64_t lo = b * L, hi = std::min(lastValid + 1, std::min(T, (b + 1) * L));
                const Eigen::RowVectorXf mean = (prefix.row(hi) - prefix.row(lo)) / static_cast<float>(hi - lo);
                segLogit.push_back(a.scale * Q.row(i).dot(mean));
                segs.emplace_back(lo, hi);
            }
            const float m = *std::max_element(segLogit.begin(), segLogit.end());
            double z = 0;
            for (float l : segLogit)
                z += std::exp(double(l - m));
            float* row = P + i * T;
            std::fill(row, row + T, 0.f);
            for (size_t sIdx = 0; sIdx < segs.size(); ++sIdx) {
                const float w = static_cast<float>(std::exp(double(segLogit[sIdx] - m)) / z);
                const auto [lo, hi] = segs[sIdx];
                for (int64_t j = lo; j < hi; ++j)
                    row[j] = w / static_cast<float>(hi - lo);
            }
        }
        return OpStatus::success();
    }
    default: break;
    }

    // Softmax-based kinds start from the dense logits S = scale·Q·Kᵀ.
    Pm.noalias() = (Q * a.scale) * K.transpose();
    std::vector<int32_t> bq, bk;                 // LSH: one bucket array per round (concatenated)
    std::vector<int32_t> cq, ck;                 // clusters
    RowMat blockMean;                            // NSA, hier: mean keys of blocks / regions
    if (a.kind == VariantKind::Lsh) {
        const int64_t half = a.buckets / 2;
        SplitMix64 rng(seed);
        for (int64_t r = 0; r < a.rounds; ++r) {
            std::vector<float> R(static_cast<size_t>(d * half));
            for (float& x : R)
                x = static_cast<float>(rng.normal());
            auto q = lshBuckets(Q, a.buckets, R), kk = lshBuckets(K, a.buckets, R);
            bq.insert(bq.end(), q.begin(), q.end());
            bk.insert(bk.end(), kk.begin(), kk.end());
        }
    } else if (a.kind == VariantKind::Cluster) {
        kmeans(Q, K, a.k, seed, cq, ck);
    } else if (a.kind == VariantKind::Nsa || a.kind == VariantKind::Hier) {
        const int64_t B = a.kind == VariantKind::Nsa ? a.block : a.region;
        const int64_t off = a.kind == VariantKind::Hier ? std::min(a.global, T) : 0;   // regions start after globals
        const int64_t nb = (T - off) / B;                                            // complete blocks only
        blockMean.resize(std::max<int64_t>(nb, 0), d);
        for (int64_t b = 0; b < nb; ++b)
            blockMean.row(b) = K.middleRows(off + b * B, B).colwise().mean();
    }

    for (int64_t i = 0; i < T; ++i) {
        if (a.stop.stop_requested())
            return OpStatus::cancel();
        float* row = P + i * T;
        std::copy(row, row + T, s.logits.begin());
        baseSelection(a.base, i, T, s.keys, s.base);
        std::copy(s.base.begin(), s.base.end(), s.sel.begin());
        switch (a.kind) {
        case VariantKind::TopK: {
            std::vector<int64_t> cand;
            for (int64_t j = 0; j < T; ++j)
                if (s.base[size_t(j)])
                    cand.push_back(j);
            if (static_cast<int64_t>(cand.size()) > a.k) {
                std::nth_element(cand.begin(), cand.begin() + (a.k - 1), cand.end(), [&](int64_t x, int64_t y) {
                    return s.logits[size_t(x)] > s.logits[size_t(y)] || (s.logits[size_t(x)] == s.logits[size_t(y)] && x < y);
                });
                std::fill(s.sel.begin(), s.sel.end(), 0);
                for (int64_t t = 0; t < a.k; ++t)
                    s.sel[size_t(cand[size_t(t)])] = 1;
            }
            softmaxSelected(s.logits.data(), row, T, s.sel);
            break;
        }
        case VariantKind::Threshold: {
            softmaxSelected(s.logits.data(), row, T, s.base);
            int64_t arg = -1;
            for (int64_t j = 0; j < T; ++j) {
                if (s.base[size_t(j)] && (arg < 0 || row[j] > row[arg]))
                    arg = j;
                s.sel[size_t(j)] = s.base[size_t(j)] && row[j] >= a.p;
            }
            if (arg >= 0 && std::find(s.sel.begin(), s.sel.end(), 1) == s.sel.end())
                s.sel[size_t(arg)] = 1;   // every weight below p: keep the largest
            softmaxSelected(s.logits.data(), row, T, s.sel);   // = renormalising the kept weights
            break;
        }
        case VariantKind::Lsh:
        case VariantKind::Cluster: {
            for (int64_t j = 0; j < T; ++j) {
                if (!s.base[size_t(j)])
                    continue;
                bool same = j == i;   // a query always sees itself, so no row is left empty
                if (a.kind == VariantKind::Lsh) {
                    for (int64_t r = 0; r < a.rounds && !same; ++r)
                        same = bq[size_t(r * T + i)] == bk[size_t(r * T + j)];
                } else {
                    same = same || cq[size_t(i)] == ck[size_t(j)];
                }
                s.sel[size_t(j)] = same;
            }
            softmaxSelected(s.logits.data(), row, T, s.sel);
            break;
        }
        case VariantKind::Nsa: {
            // Three branches over the keys the row may see, combined with equal weights:
            //   compressed: softmax over the mean keys of complete blocks, each weight spread over its block;
            //   selected:   softmax over the tokens of the top-N blocks by compressed score plus the row's own block;
            //   window:     softmax over the last W keys (|i − j| < W without causality).
            const int64_t B = a.block, nb = blockMean.rows();
            const bool causal = a.base.isCausal();
            std::vector<int64_t> avail;
            for (int64_t b = 0; b < nb; ++b)
                if (!causal || (b + 1) * B - 1 <= i)
                    avail.push_back(b);
            std::vector<float> acc(static_cast<size_t>(T), 0.f);
            std::vector<char> support(static_cast<size_t>(T), 0);
            int branches = 0;
            std::vector<float> pc(avail.size());
            if (!avail.empty()) {
                float m = kNegInf;
                for (size_t t = 0; t < avail.size(); ++t) {
                    pc[t] = a.scale * Q.row(i).dot(blockMean.row(avail[t]));
                    m = std::max(m, pc[t]);
                }
                double z = 0;
                for (float& v : pc)
                    z += std::exp(double(v - m));
                for (float& v : pc)
                    v = static_cast<float>(std::exp(double(v - m)) / z);
                for (size_t t = 0; t < avail.size(); ++t)
                    for (int64_t j = avail[t] * B; j < (avail[t] + 1) * B; ++j) {
                        acc[size_t(j)] += pc[t] / static_cast<float>(B);
                        support[size_t(j)] = 1;
                    }
                ++branches;
            }
            // selected blocks
            std::vector<size_t> order(avail.size());
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return pc[x] > pc[y]; });
            std::fill(s.sel.begin(), s.sel.end(), 0);
            for (size_t t = 0; t < order.size() && static_cast<int64_t>(t) < a.select; ++t)
                for (int64_t j = avail[order[t]] * B; j < (avail[order[t]] + 1) * B; ++j)
                    s.sel[size_t(j)] = s.base[size_t(j)];
            for (int64_t j = (i / B) * B; j < std::min(T, (i / B + 1) * B); ++j)
                s.sel[size_t(j)] = s.base[size_t(j)];
            std::vector<float> tmp(static_cast<size_t>(T));
            softmaxSelected(s.logits.data(), tmp.data(), T, s.sel);
            for (int64_t j = 0; j < T; ++j) {
                acc[size_t(j)] += tmp[size_t(j)];
                support[size_t(j)] |= s.sel[size_t(j)];
            }
            ++branches;
            // window
            for (int64_t j = 0; j < T; ++j)
                s.sel[size_t(j)] = s.base[size_t(j)] && (i > j ? i - j : j - i) < a.window;
            softmaxSelected(s.logits.data(), tmp.data(), T, s.sel);
            for (int64_t j = 0; j < T; ++j) {
                acc[size_t(j)] += tmp[size_t(j)];
                support[size_t(j)] |= s.sel[size_t(j)];
            }
            ++branches;
            for (int64_t j = 0; j < T; ++j)
                row[j] = acc[size_t(j)] / static_cast<float>(branches);
            std::copy(support.begin(), support.end(), s.sel.begin());
            break;
        }
        case VariantKind::Hier: {
            // One softmax over: the local window (L keys), the first G tokens, and the mean keys of complete
            // regions of R tokens (after the globals) that lie entirely outside the window; a region's weight is
            // spread over its tokens. Tokens in an incomplete region next to the window get nothing.
            const int64_t L = a.local, R = a.region, G = std::min(a.global, T), nb = blockMean.rows();
            const bool causal = a.base.isCausal();
            std::vector<char> tok(static_cast<size_t>(T), 0);
            for (int64_t j = 0; j < T; ++j)
                tok[size_t(j)] = s.base[size_t(j)] && ((i > j ? i - j : j - i) < L || j < G);
            std::vector<int64_t> regions;
            for (int64_t b = 0; b < nb; ++b) {
                const int64_t lo = G + b * R, hi = lo + R;   // [lo, hi)
                const bool outsideWindow = hi - 1 < i - L + 1 || (!causal && lo > i + L - 1);
                const bool visible = !causal || hi - 1 <= i;
                if (outsideWindow && visible)
                    regions.push_back(b);
            }
            float m = kNegInf;
            for (int64_t j = 0; j < T; ++j)
                if (tok[size_t(j)])
                    m = std::max(m, s.logits[size_t(j)]);
            std::vector<float> rl(regions.size());
            for (size_t t = 0; t < regions.size(); ++t) {
                rl[t] = a.scale * Q.row(i).dot(blockMean.row(regions[t]));
                m = std::max(m, rl[t]);
            }
            double z = 0;
            for (int64_t j = 0; j < T; ++j)
                if (tok[size_t(j)])
                    z += std::exp(double(s.logits[size_t(j)] - m));
            for (float v : rl)
                z += std::exp(double(v - m));
            std::fill(row, row + T, 0.f);
            std::fill(s.sel.begin(), s.sel.end(), 0);
            if (m == kNegInf)
                break;
            for (int64_t j = 0; j < T; ++j)
                if (tok[size_t(j)]) {
                    row[j] = static_cast<float>(std::exp(double(s.logits[size_t(j)] - m)) / z);
                    s.sel[size_t(j)] = 1;
                }
            for (size_t t = 0; t < regions.size(); ++t) {
                const float w = static_cast<float>(std::exp(double(rl[t] - m)) / z) / static_cast<float>(R);
                for (int64_t j = G + regions[t] * R; j < G + (regions[t] + 1) * R; ++j) {
                    row[j] += w;
                    s.sel[size_t(j)] = 1;
                }
            }
            break;
        }
        default: return OpStatus::failure("variant_attention: unsupported kind");
        }
        markSupport(i);
    }
    return OpStatus::success();
}

} // namespace

OpStatus variantAttentionCpu(const VariantAttentionArgs& a, int threads)
{
    const int64_t T = a.tokens, H = a.heads, Hkv = a.kvHeads, d = a.headDim;
    if (T <= 0 || H <= 0 || Hkv <= 0 || d <= 0 || H % Hkv || a.ldq < H * d || a.ldk < Hkv * d || a.ldv < Hkv * d ||
        a.ldo < H * d)
        return OpStatus::failure("variant_attention: inconsistent sizes or strides");
    const bool badParams = (a.kind == VariantKind::TopK && a.k < 1) || (a.kind == VariantKind::Linformer && a.k < 1) ||
                           (a.kind == VariantKind::Cluster && a.k < 1) ||
                           (a.kind == VariantKind::Lsh && (a.buckets < 2 || a.buckets % 2 || a.rounds < 1)) ||
                           (a.kind == VariantKind::Nsa && (a.block < 1 || a.select < 1 || a.window < 1)) ||
                           (a.kind == VariantKind::Hier && (a.local < 1 || a.region < 1 || a.global < 0)) ||
                           (a.kind == VariantKind::Performer && a.features < 1) ||
                           (a.kind == VariantKind::Threshold && !(a.p > 0 && a.p < 1));
    if (badParams)
        return OpStatus::failure(std::string("variant_attention: bad parameters for ") + (a.kind == VariantKind::TopK ? "topk" : "variant"));
    const int nThreads = std::max(1, threads);
    std::vector<Scratch> scratch(static_cast<size_t>(nThreads));
    std::atomic<bool> cancelled{false}, failed{false};
    parallelFor(nThreads, H, [&](int64_t h, int worker) {
        if (cancelled || failed)
            return;
        if (a.stop.stop_requested()) {
            cancelled = true;
            return;
        }
        Scratch& s = scratch[static_cast<size_t>(worker)];
        float* P = a.probs ? a.probs[h] : nullptr;
        if (!P) {
            s.map.resize(static_cast<size_t>(T * T));
            P = s.map.data();
        }
        const OpStatus st = headMap(a, h, P, a.support ? a.support[h] : nullptr, s);
        if (st.cancelled) {
            cancelled = true;
            return;
        }
        if (!st.ok) {
            failed = true;
            return;
        }
        const int64_t kvh = h / (H / Hkv);
        ConstMap V(a.v + kvh * d, T, d, Stride(a.ldv));
        MutMap O(a.out + h * d, T, d, Stride(a.ldo));
        ConstMap Pm(P, T, T, Stride(T));
        O.noalias() = Pm * V;
    });
    if (cancelled)
        return OpStatus::cancel();
    return failed ? OpStatus::failure("variant_attention: bad parameters") : OpStatus::success();
}

} // namespace attnscope::cpu
