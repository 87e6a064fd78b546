// The variant-attention op (kernels/cpu/variant_attention.cpp) on random problems: every kind keeps causality,
// rows sum to 1 over the keys the effective map uses, outputs equal P·V, the support bits match the map, top-k
// and threshold equal a naive selection, linear and Performer equal a direct fp64 computation of the same
// formula, and seeded kinds are deterministic (and change with the seed). Also K/V head regrouping.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "core/util/split_mix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <vector>

using namespace attnscope;

namespace {

struct Problem {
    int64_t T = 37, H = 4, Hkv = 2, d = 8;
    std::vector<float> q, k, v;
    explicit Problem(uint64_t seed, float spread = 1.f)
    {
        SplitMix64 r(seed);
        q.resize(size_t(T * H * d));
        k.resize(size_t(T * Hkv * d));
        v.resize(size_t(T * Hkv * d));
        for (auto* vec : {&q, &k, &v})
            for (float& x : *vec)
                x = static_cast<float>(r.normal()) * spread;
    }
    const float* qh(int64_t h, int64_t i) const { return q.data() + i * H * d + h * d; }
    const float* kh(int64_t h, int64_t j) const { return k.data() + j * Hkv * d + (h / (H / Hkv)) * d; }
    const float* vh(int64_t h, int64_t j) const { return v.data() + j * Hkv * d + (h / (H / Hkv)) * d; }
};

struct Output {
    std::vector<std::vector<float>> probs;
    std::vector<std::shared_ptr<MaskBits>> support;
    std::vector<float> out;
    bool ok = false;
};

Output run(const Problem& p, VariantKind kind, bool causal, const std::function<void(VariantAttentionArgs&)>& set)
{
    Output o;
    o.probs.assign(size_t(p.H), std::vector<float>(size_t(p.T * p.T), -1.f));
    o.out.assign(size_t(p.T * p.H * p.d), 0.f);
    std::vector<float*> pp;
    std::vector<MaskBits*> sp;
    for (auto& x : o.probs)
        pp.push_back(x.data());
    for (int64_t h = 0; h < p.H; ++h) {
        o.support.push_back(std::make_shared<MaskBits>(p.T));
        sp.push_back(o.support.back().get());
    }
    VariantAttentionArgs a;
    a.kind = kind;
    a.tokens = p.T; a.heads = p.H; a.kvHeads = p.Hkv; a.headDim = p.d;
    a.scale = 1.f / std::sqrt(float(p.d));
    a.base = causal ? AttentionMask::causal() : AttentionMask::bidirectional();
    a.q = p.q.data(); a.ldq = p.H * p.d;
    a.k_ = p.k.data(); a.ldk = p.Hkv * p.d;
    a.v = p.v.data(); a.ldv = p.Hkv * p.d;
    a.out = o.out.data(); a.ldo = p.H * p.d;
    a.probs = pp.data();
    a.support = sp.data();
    set(a);
    o.ok = cpu::variantAttentionCpu(a, 2).ok;
    return o;
}

struct KindCase {
    VariantKind kind;
    const char* name;
    std::function<void(VariantAttentionArgs&)> set;
    bool explicitSupport;
};

std::vector<KindCase> allKinds()
{
    return {
        {VariantKind::TopK, "topk", [](VariantAttentionArgs& a) { a.k = 5; }, true},
        {VariantKind::Threshold, "threshold", [](VariantAttentionArgs& a) { a.p = 0.08; }, true},
        {VariantKind::Lsh, "lsh", [](VariantAttentionArgs& a) { a.buckets = 4; a.rounds = 2; a.seed = 3; }, true},
        {VariantKind::Cluster, "cluster", [](VariantAttentionArgs& a) { a.k = 3; a.seed = 2; }, true},
        {VariantKind::Nsa, "nsa", [](VariantAttentionArgs& a) { a.block = 4; a.select = 2; a.window = 6; }, true},
        {VariantKind::Hier, "hier", [](VariantAttentionArgs& a) { a.local = 5; a.region = 4; a.global = 2; }, true},
        {VariantKind::Linear, "linear", [](VariantAttentionArgs&) {}, false},
        {VariantKind::Performer, "performer", [](VariantAttentionArgs& a) { a.features = 16; a.seed = 9; }, false},
        {VariantKind::Linformer, "linformer", [](VariantAttentionArgs& a) { a.k = 6; }, false},
    };
}

double dot(const float* a, const float* b, int64_t d)
{
    double s = 0;
    for (int64_t c = 0; c < d; ++c)
        s += double(a[c]) * double(b[c]);
    return s;
}

} // namespace

TEST(VariantAttention, EveryKindKeepsCausalityNormalisesRowsAndOutputsPV)
{
    const Problem p(17);
    for (const KindCase& kc : allKinds())
        for (bool causal : {true, false}) {
            SCOPED_TRACE(std::string(kc.name) + (causal ? " causal" : " bidirectional"));
            const Output o = run(p, kc.kind, causal, kc.set);
            ASSERT_TRUE(o.ok);
            for (int64_t h = 0; h < p.H; ++h)
                for (int64_t i = 0; i < p.T; ++i) {
                    double sum = 0;
                    for (int64_t j = 0; j < p.T; ++j) {
                        const float w = o.probs[size_t(h)][size_t(i * p.T + j)];
                        ASSERT_TRUE(std::isfinite(w));
                        ASSERT_GE(w, 0.f);
                        if (causal && j > i)
                            ASSERT_EQ(w, 0.f) << "a variant saw the future: row " << i << " key " << j;
                        if (kc.explicitSupport && !o.support[size_t(h)]->get(i, j))
                            ASSERT_EQ(w, 0.f) << "weight outside the reported support";
                        sum += w;
                    }
                    EXPECT_NEAR(sum, 1.0, 1e-5);
                    for (int64_t c = 0; c < p.d; ++c) {
                        double ref = 0;
                        for (int64_t j = 0; j < p.T; ++j)
                            ref += double(o.probs[size_t(h)][size_t(i * p.T + j)]) * p.vh(h, j)[c];
                        ASSERT_NEAR(o.out[size_t(i * p.H * p.d + h * p.d + c)], ref, 1e-4);
                    }
                }
        }
}

TEST(VariantAttention, TopKAndThresholdEqualANaiveSelection)
{
    const Problem p(23, 2.f);
    const Output top = run(p, VariantKind::TopK, true, [](VariantAttentionArgs& a) { a.k = 5; });
    const Output thr = run(p, VariantKind::Threshold, true, [](VariantAttentionArgs& a) { a.p = 0.08; });
    const double scale = 1.0 / std::sqrt(double(p.d));
    for (int64_t h = 0; h < p.H; ++h)
        for (int64_t i = 0; i < p.T; ++i) {
            std::vector<double> s(size_t(i + 1));
            for (int64_t j = 0; j <= i; ++j)
                s[size_t(j)] = scale * dot(p.qh(h, i), p.kh(h, j), p.d);
            // dense softmax
            const double m = *std::max_element(s.begin(), s.end());
            double z = 0;
            for (double x : s)
                z += std::exp(x - m);
            std::vector<double> dense(s.size());
            for (size_t j = 0; j < s.size(); ++j)
                dense[j] = std::exp(s[j] - m) / z;
            // top-k: the k largest logits (ties: lower j), softmax over them
            std::vector<int64_t> idx(s.size());
            std::iota(idx.begin(), idx.end(), 0);
            std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return s[size_t(a)] > s[size_t(b)]; });
            idx.resize(std::min<size_t>(5, idx.size()));
            double zk = 0;
            for (int64_t j : idx)
                zk += std::exp(s[size_t(j)] - m);
            for (int64_t j = 0; j <= i; ++j) {
                const bool in = std::count(idx.begin(), idx.end(), j) > 0;
                EXPECT_NEAR(top.probs[size_t(h)][size_t(i * p.T + j)], in ? std::exp(s[size_t(j)] - m) / zk : 0.0, 1e-5);
            }
            // threshold: keep dense weights ≥ 0.08 (the largest when none is), renormalise
            double kept = 0;
            int64_t arg = 0;
            for (int64_t j = 0; j <= i; ++j) {
                kept += dense[size_t(j)] >= 0.08 ? dense[size_t(j)] : 0.0;
                if (dense[size_t(j)] > dense[size_t(arg)])
                    arg = j;
            }
            for (int64_t j = 0; j <= i; ++j) {
                double want = kept > 0 ? (dense[size_t(j)] >= 0.08 ? dense[size_t(j)] / kept : 0.0) : (j == arg ? 1.0 : 0.0);
                EXPECT_NEAR(thr.probs[size_t(h)][size_t(i * p.T + j)], want, 1e-5);
            }
        }
}

TEST(VariantAttention, LinearAndPerformerEqualADirectComputationOfTheirFormula)
{
    const Problem p(5, 0.7f);
    const Output lin = run(p, VariantKind::Linear, true, [](VariantAttentionArgs&) {});
    auto phi = [](float x) { return x > 0 ? double(x) + 1.0 : std::exp(double(x)); };
    for (int64_t h = 0; h < p.H; ++h)
        for (int64_t i = 0; i < p.T; ++i) {
            std::vector<double> w(size_t(i + 1));
            double z = 0;
            for (int64_t j = 0; j <= i; ++j) {
                double s = 0;
                for (int64_t c = 0; c < p.d; ++c)
                    s += phi(p.qh(h, i)[c]) * phi(p.kh(h, j)[c]);
                w[size_t(j)] = s;
                z += s;
            }
            for (int64_t j = 0; j <= i; ++j)
                EXPECT_NEAR(lin.probs[size_t(h)][size_t(i * p.T + j)], w[size_t(j)] / z, 1e-5);
        }
    // Performer: an unbiased estimate of the softmax kernel; with many features its map approaches the softmax map,
    // and equal seeds give equal maps while other seeds give other maps.
    auto perf = [&](int64_t m, uint64_t seed) {
        return run(p, VariantKind::Performer, true, [m, seed](VariantAttentionArgs& a) { a.features = m; a.seed = seed; });
    };
    const Output a1 = perf(2048, 1), a2 = perf(2048, 1), b = perf(2048, 2), few = perf(8, 1);
    EXPECT_EQ(a1.probs, a2.probs);
    EXPECT_NE(a1.probs, b.probs);
    const double scale = 1.0 / std::sqrt(double(p.d));
    double errMany = 0, errFew = 0;
    for (int64_t h = 0; h < p.H; ++h)
        for (int64_t i = 0; i < p.T; ++i) {
            std::vector<double> s(size_t(i + 1));
            double z = 0;
            for (int64_t j = 0; j <= i; ++j) {
                s[size_t(j)] = std::exp(scale * dot(p.qh(h, i), p.kh(h, j), p.d));
                z += s[size_t(j)];
            }
            for (int64_t j = 0; j <= i; ++j) {
                errMany += std::fabs(a1.probs[size_t(h)][size_t(i * p.T + j)] - s[size_t(j)] / z);
                errFew += std::fabs(few.probs[size_t(h)][size_t(i * p.T + j)] - s[size_t(j)] / z);
            }
        }
    EXPECT_LT(errMany, errFew) << "more random features estimate the softmax map better";
}

TEST(VariantAttention, SeededKindsAreDeterministic)
{
    const Problem p(31);
    for (VariantKind kind : {VariantKind::Lsh, VariantKind::Cluster}) {
        auto with = [&](uint64_t seed) {
            return run(p, kind, true, [seed, kind](VariantAttentionArgs& a) {
                a.seed = seed;
                a.buckets = 8;
                a.rounds = 1;
                a.k = 4;
                (void)kind;
            });
        };
        const Output x = with(1), y = with(1), z = with(77);
        EXPECT_EQ(x.probs, y.probs);
        EXPECT_NE(x.probs, z.probs);
    }
}

TEST(VariantAttention, BadParametersAreRefusedNotCrashed)
{
    const Problem p(1);
    EXPECT_FALSE(run(p, VariantKind::TopK, true, [](VariantAttentionArgs& a) { a.k = 0; }).ok);
    EXPECT_FALSE(run(p, VariantKind::Lsh, true, [](VariantAttentionArgs& a) { a.buckets = 3; a.rounds = 1; }).ok);
    EXPECT_FALSE(run(p, VariantKind::Threshold, true, [](VariantAttentionArgs& a) { a.p = 1.5; }).ok);
}

TEST(HeadGroupMean, AveragesConsecutiveHeadsInPlace)
{
    // 2 rows, 4 heads of 2 → 2 groups: group 0 = mean(h0, h1), group 1 = mean(h2, h3)
    float x[16] = {1, 2, 3, 4, 5, 6, 7, 8,   0, 0, 2, 2, 4, 4, 6, 6};
    HeadGroupMeanArgs a;
    a.rows = 2; a.heads = 4; a.groups = 2; a.headDim = 2; a.x = x; a.ld = 8;
    ASSERT_TRUE(cpu::headGroupMeanCpu(a).ok);
    EXPECT_FLOAT_EQ(x[0], 2.f);
    EXPECT_FLOAT_EQ(x[1], 3.f);
    EXPECT_FLOAT_EQ(x[2], 6.f);
    EXPECT_FLOAT_EQ(x[3], 7.f);
    EXPECT_FLOAT_EQ(x[8], 1.f);
    EXPECT_FLOAT_EQ(x[10], 5.f);
    a.groups = 3;
    EXPECT_FALSE(cpu::headGroupMeanCpu(a).ok);
}
