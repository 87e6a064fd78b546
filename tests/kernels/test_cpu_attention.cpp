// The optimised CPU attention kernel against the straightforward fp64 reference (docs/ENGINE.md "Attention"):
// probabilities within 1e-5 under every mask kind, rows sum to 1, masked cells exactly 0, fully masked rows
// zero with LSE = +inf (never NaN), GQA head→KV mapping, LSE, cancel, determinism at a fixed thread count.
// Plus the small ops (norms, activations, gather) against hand computations.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace attnscope;

namespace {

struct Problem {
    int64_t T, H, Hkv, d;
    std::vector<float> q, k, v;
};

Problem makeProblem(int64_t T, int64_t H, int64_t Hkv, int64_t d, float spread, unsigned seed)
{
    Problem p{T, H, Hkv, d, {}, {}, {}};
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.f, spread);
    p.q.resize(size_t(T * H * d));
    p.k.resize(size_t(T * Hkv * d));
    p.v.resize(size_t(T * Hkv * d));
    for (auto& x : p.q) x = n(rng);
    for (auto& x : p.k) x = n(rng);
    for (auto& x : p.v) x = n(rng);
    return p;
}

void runKernel(const Problem& p, const AttentionMask& mask, int threads, std::vector<std::vector<float>>& probs,
               std::vector<std::vector<float>>& lse, std::vector<float>& out)
{
    probs.assign(size_t(p.H), std::vector<float>(size_t(p.T * p.T), -1.f));
    lse.assign(size_t(p.H), std::vector<float>(size_t(p.T)));
    out.assign(size_t(p.T * p.H * p.d), 0.f);
    std::vector<float*> pp, lp;
    for (auto& x : probs) pp.push_back(x.data());
    for (auto& x : lse) lp.push_back(x.data());
    AttentionArgs a;
    a.tokens = p.T; a.heads = p.H; a.kvHeads = p.Hkv; a.headDim = p.d;
    a.scale = 1.f / std::sqrt(float(p.d));
    a.mask = mask;
    a.q = p.q.data(); a.ldq = p.H * p.d;
    a.k = p.k.data(); a.ldk = p.Hkv * p.d;
    a.v = p.v.data(); a.ldv = p.Hkv * p.d;
    a.out = out.data(); a.ldo = p.H * p.d;
    a.probs = pp.data();
    a.lse = lp.data();
    ASSERT_TRUE(cpu::attentionCpu(a, threads).ok);
}

} // namespace

AttentionMask maskOf(int kind)
{
    switch (kind) {
    case 0: return AttentionMask::causal();
    case 1: return AttentionMask::bidirectional();
    case 2: return AttentionMask::sliding(5);
    default: return AttentionMask::slidingWithSinks(9, 3);
    }
}

class AttentionKernel : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(AttentionKernel, MatchesFp64Reference)
{
    const auto [T, kind] = GetParam();
    const AttentionMask mask = maskOf(kind);
    const Problem p = makeProblem(T, 6, 2, 32, 1.5f, 7u + unsigned(T));
    std::vector<std::vector<float>> probs, lse;
    std::vector<float> out;
    runKernel(p, mask, 2, probs, lse, out);
    std::vector<double> rp(size_t(T * T)), ro(size_t(T * p.d)), rl(static_cast<size_t>(T));
    for (int64_t h = 0; h < p.H; ++h) {
        const int64_t kv = h / (p.H / p.Hkv);
        cpu::attentionHeadReference(T, p.d, p.q.data() + h * p.d, p.H * p.d, p.k.data() + kv * p.d, p.Hkv * p.d,
                                    p.v.data() + kv * p.d, p.Hkv * p.d, 1.f / std::sqrt(float(p.d)), mask, rp.data(),
                                    ro.data(), rl.data());
        double maxP = 0, maxO = 0, maxL = 0;
        for (int64_t i = 0; i < T; ++i) {
            double sum = 0;
            for (int64_t j = 0; j < T; ++j) {
                const float v = probs[h][size_t(i * T + j)];
                maxP = std::max(maxP, std::fabs(v - rp[size_t(i * T + j)]));
                if (!mask.valid(i, j)) {
                    ASSERT_EQ(v, 0.f) << "masked cell must be exactly 0";
                }
                sum += v;
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
            maxL = std::max(maxL, std::fabs(lse[h][size_t(i)] - rl[size_t(i)]));
            for (int64_t c = 0; c < p.d; ++c)
                maxO = std::max(maxO, std::fabs(out[size_t(i * p.H * p.d + h * p.d + c)] - ro[size_t(i * p.d + c)]));
        }
        EXPECT_LE(maxP, 1e-5) << "head " << h;
        EXPECT_LE(maxO, 1e-4) << "head " << h;
        EXPECT_LE(maxL, 1e-4) << "head " << h;
    }
}

INSTANTIATE_TEST_SUITE_P(Sizes, AttentionKernel,
                         ::testing::Combine(::testing::Values(1, 7, 64, 65, 200), ::testing::Values(0, 1, 2, 3)));

TEST(AttentionKernelMasks, SlidingWindowCoveringThePromptEqualsCausalBitForBit)
{
    const Problem p = makeProblem(70, 3, 1, 16, 1.f, 21u);
    std::vector<std::vector<float>> pc, lc, ps, ls;
    std::vector<float> oc, os;
    runKernel(p, AttentionMask::causal(), 2, pc, lc, oc);
    runKernel(p, AttentionMask::sliding(70), 2, ps, ls, os);
    EXPECT_EQ(pc, ps);
    EXPECT_EQ(oc, os);
    EXPECT_EQ(lc, ls);
}

TEST(AttentionKernelSinks, ASinkColumnTakesItsShareAndRowsSumToOneMinusIt)
{
    const Problem p = makeProblem(40, 4, 2, 16, 1.5f, 9u);
    const float sinks[4] = {0.f, 2.f, -1.f, -std::numeric_limits<float>::infinity()};   // head 3: no sink
    std::vector<std::vector<float>> probs(4, std::vector<float>(40 * 40)), lse(4, std::vector<float>(40)),
        sp(4, std::vector<float>(40));
    std::vector<float> out(size_t(40 * 4 * 16));
    std::vector<float*> pp, lp, spp;
    for (int h = 0; h < 4; ++h) {
        pp.push_back(probs[size_t(h)].data());
        lp.push_back(lse[size_t(h)].data());
        spp.push_back(sp[size_t(h)].data());
    }
    for (const AttentionMask& mask : {AttentionMask::causal(), AttentionMask::sliding(6)}) {
        AttentionArgs a;
        a.tokens = 40; a.heads = 4; a.kvHeads = 2; a.headDim = 16;
        a.scale = 0.25f;
        a.mask = mask;
        a.q = p.q.data(); a.ldq = 64; a.k = p.k.data(); a.ldk = 32; a.v = p.v.data(); a.ldv = 32;
        a.out = out.data(); a.ldo = 64;
        a.probs = pp.data(); a.lse = lp.data();
        a.sinkLogits = sinks; a.sinkProbs = spp.data();
        ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);
        std::vector<double> rp(40 * 40), ro(40 * 16), rl(40), rs(40);
        for (int h = 0; h < 4; ++h) {
            const int kv = h / 2;
            cpu::attentionHeadReference(40, 16, p.q.data() + h * 16, 64, p.k.data() + kv * 16, 32, p.v.data() + kv * 16, 32,
                                        0.25f, mask, rp.data(), ro.data(), rl.data(), sinks[h], rs.data());
            for (int64_t i = 0; i < 40; ++i) {
                double sum = 0;
                for (int64_t j = 0; j < 40; ++j) {
                    EXPECT_NEAR(probs[size_t(h)][size_t(i * 40 + j)], rp[size_t(i * 40 + j)], 1e-6);
                    sum += probs[size_t(h)][size_t(i * 40 + j)];
                }
                EXPECT_NEAR(sp[size_t(h)][size_t(i)], rs[size_t(i)], 1e-6);
                EXPECT_NEAR(sum + sp[size_t(h)][size_t(i)], 1.0, 1e-5);
                EXPECT_NEAR(lse[size_t(h)][size_t(i)], rl[size_t(i)], 1e-4);
                if (h == 3)
                    EXPECT_EQ(sp[size_t(h)][size_t(i)], 0.f);
                else
                    EXPECT_GT(sp[size_t(h)][size_t(i)], 0.f);
            }
        }
    }
}

TEST(AttentionKernelMasks, SlidingWindowRowsSeeExactlyTheWindow)
{
    const Problem p = makeProblem(100, 2, 2, 8, 1.f, 4u);
    std::vector<std::vector<float>> probs, lse;
    std::vector<float> out;
    runKernel(p, AttentionMask::sliding(16), 1, probs, lse, out);
    for (int64_t i = 0; i < 100; ++i) {
        int nonzero = 0;
        for (int64_t j = 0; j < 100; ++j)
            nonzero += probs[0][size_t(i * 100 + j)] > 0.f ? 1 : 0;
        EXPECT_EQ(nonzero, std::min<int64_t>(i + 1, 16)) << "row " << i;
    }
}

TEST(AttentionKernelNumerics, LargeLogitsDoNotOverflow)
{
    Problem p = makeProblem(33, 2, 1, 16, 40.f, 3u);   // logits of order ±1e4
    std::vector<std::vector<float>> probs, lse;
    std::vector<float> out;
    runKernel(p, AttentionMask::causal(), 1, probs, lse, out);
    for (const auto& m : probs)
        for (float x : m)
            ASSERT_TRUE(std::isfinite(x));
    for (float x : out)
        ASSERT_TRUE(std::isfinite(x));
}

TEST(AttentionKernelNumerics, DeterministicAtFixedThreadCountAndAcrossThreadCounts)
{
    const Problem p = makeProblem(130, 4, 2, 16, 1.f, 11u);
    std::vector<std::vector<float>> p1, l1, p2, l2;
    std::vector<float> o1, o2;
    runKernel(p, AttentionMask::causal(), 2, p1, l1, o1);
    runKernel(p, AttentionMask::causal(), 2, p2, l2, o2);
    EXPECT_EQ(p1, p2);
    EXPECT_EQ(o1, o2);
    runKernel(p, AttentionMask::causal(), 1, p2, l2, o2);   // heads are independent: thread count does not change any bit
    EXPECT_EQ(p1, p2);
}

TEST(AttentionKernelNumerics, CancelledBeforeStartReportsCancel)
{
    const Problem p = makeProblem(16, 2, 2, 8, 1.f, 5u);
    std::vector<float> out(size_t(16 * 2 * 8));
    std::stop_source src;
    src.request_stop();
    AttentionArgs a;
    a.tokens = 16; a.heads = 2; a.kvHeads = 2; a.headDim = 8;
    a.q = p.q.data(); a.ldq = 16; a.k = p.k.data(); a.ldk = 16; a.v = p.v.data(); a.ldv = 16;
    a.out = out.data(); a.ldo = 16;
    a.stop = src.get_token();
    const OpStatus s = cpu::attentionCpu(a, 2);
    EXPECT_FALSE(s.ok);
    EXPECT_TRUE(s.cancelled);
}

TEST(AttentionKernelNumerics, RejectsInconsistentShapes)
{
    AttentionArgs a;
    a.tokens = 4; a.heads = 3; a.kvHeads = 2; a.headDim = 8;   // 2 does not divide 3
    EXPECT_FALSE(cpu::attentionCpu(a, 1).ok);
}

TEST(RopeKernel, AdjacentPairsOnPermutedRowsEqualSplitHalves)
{
    // llama.cpp permutes q/k rows so adjacent-pair RoPE on GGUF weights equals split-half RoPE on HF weights
    // (docs/ENGINE.md "Attention"): rotate x with split halves, and perm(x) with adjacent pairs, and compare through perm.
    const int64_t T = 5, d = 8, half = d / 2;
    std::vector<float> cosT(size_t(T * half)), sinT(size_t(T * half));
    for (int64_t p = 0; p < T; ++p)
        for (int64_t i = 0; i < half; ++i) {
            const float ang = float(p) * std::pow(10000.f, -2.f * float(i) / float(d));
            cosT[size_t(p * half + i)] = std::cos(ang);
            sinT[size_t(p * half + i)] = std::sin(ang);
        }
    std::vector<float> x(size_t(T * d)), y(size_t(T * d));
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = float(i % 7) - 3.f + 0.1f * float(i);
    // perm: y[2i] = x[i], y[2i+1] = x[i + half]
    for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < half; ++i) {
            y[size_t(t * d + 2 * i)] = x[size_t(t * d + i)];
            y[size_t(t * d + 2 * i + 1)] = x[size_t(t * d + i + half)];
        }
    RopeArgs a;
    a.tokens = T; a.heads = 1; a.headDim = d; a.ropeDims = d; a.cos = cosT.data(); a.sin = sinT.data();
    a.x = x.data(); a.ldx = d; a.pairing = 1;
    ASSERT_TRUE(cpu::ropeCpu(a).ok);
    a.x = y.data(); a.pairing = 0;
    ASSERT_TRUE(cpu::ropeCpu(a).ok);
    for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < half; ++i) {
            EXPECT_FLOAT_EQ(y[size_t(t * d + 2 * i)], x[size_t(t * d + i)]);
            EXPECT_FLOAT_EQ(y[size_t(t * d + 2 * i + 1)], x[size_t(t * d + i + half)]);
        }
}

TEST(NormKernel, RmsNormMatchesHandComputationWithAndWithoutTheOffset)
{
    const float x[4] = {1.f, -2.f, 3.f, -4.f}, w[4] = {1.f, 0.5f, 2.f, 1.f};
    float y[4];
    NormArgs a;
    a.kind = NormKind::Rms;
    a.rows = 1; a.cols = 4; a.x = x; a.ldx = 4; a.weight = w; a.eps = 1e-5f; a.y = y; a.ldy = 4;
    ASSERT_TRUE(cpu::normCpu(a).ok);
    const float inv = 1.f / std::sqrt((1.f + 4.f + 9.f + 16.f) / 4.f + 1e-5f);
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], w[i] * x[i] * inv);
    a.weightOffset = 1.f;   // Gemma: x̂ · (1 + w)
    ASSERT_TRUE(cpu::normCpu(a).ok);
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], (1.f + w[i]) * x[i] * inv);
}

TEST(NormKernel, LayerNormMatchesHandComputation)
{
    const float x[4] = {1.f, 2.f, 3.f, 6.f}, w[4] = {1.f, 2.f, 0.5f, 1.f}, b[4] = {0.f, 1.f, -1.f, 0.5f};
    float y[4];
    NormArgs a;
    a.kind = NormKind::Layer;
    a.rows = 1; a.cols = 4; a.x = x; a.ldx = 4; a.weight = w; a.bias = b; a.eps = 1e-5f; a.y = y; a.ldy = 4;
    ASSERT_TRUE(cpu::normCpu(a).ok);
    // mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
    const double inv = 1.0 / std::sqrt(3.5 + 1e-5);
    for (int i = 0; i < 4; ++i)
        EXPECT_NEAR(y[i], (x[i] - 3.0) * inv * w[i] + b[i], 1e-6);
}

TEST(ActivationKernel, ValuesMatchTheirDefinitions)
{
    // Reference values computed with torch: silu(1) = 0.7310586, gelu(1) = 0.8413447,
    // gelu_new(1) = gelu(1, approximate='tanh') = 0.8411920, softcap 30·tanh(60/30) = 28.920820.
    EXPECT_NEAR(cpu::activate(Activation::Silu, 1.f, 0.f), 0.7310586, 1e-6);
    EXPECT_NEAR(cpu::activate(Activation::GeluErf, 1.f, 0.f), 0.8413447, 1e-6);
    EXPECT_NEAR(cpu::activate(Activation::GeluTanh, 1.f, 0.f), 0.8411920, 1e-6);
    EXPECT_NEAR(cpu::activate(Activation::Softcap, 60.f, 30.f), 28.920820, 1e-4);
    float gate[2] = {1.f, -1.f}, up[2] = {2.f, 3.f};
    GatedActivationArgs g;
    g.n = 2; g.act = Activation::GeluTanh; g.gate = gate; g.up = up; g.out = gate;
    ASSERT_TRUE(cpu::gatedActivationCpu(g).ok);
    EXPECT_NEAR(gate[0], 2 * 0.8411920, 1e-5);
    EXPECT_NEAR(gate[1], 3 * -0.1588080, 1e-5);
    // A headwise output gate: one σ(g) per head of 3 values.
    float g2[2] = {0.f, 100.f}, attn[6] = {1, 2, 3, 4, 5, 6};
    g.n = 6; g.repeat = 3; g.act = Activation::Sigmoid; g.gate = g2; g.up = attn; g.out = attn;
    ASSERT_TRUE(cpu::gatedActivationCpu(g).ok);
    EXPECT_FLOAT_EQ(attn[0], 0.5f);
    EXPECT_FLOAT_EQ(attn[2], 1.5f);
    EXPECT_FLOAT_EQ(attn[5], 6.f);
}

TEST(ActivationKernel, ClampedSwigluMatchesGptOss)
{
    // transformers GptOssExperts._apply_gate (alpha 1.702, limit 7) evaluated with torch on these values: the gate
    // is clamped from above only (10 → 7), the up value on both sides (−9 → −7).
    float gate[3] = {1.f, 10.f, -3.f}, up[3] = {2.f, -9.f, 0.5f}, out[3];
    GatedActivationArgs g;
    g.n = 3; g.act = Activation::ClampedSwiglu; g.gate = gate; g.up = up; g.out = out;
    ASSERT_TRUE(cpu::gatedActivationCpu(g).ok);
    EXPECT_NEAR(out[0], 2.5373873710632324, 1e-6);
    EXPECT_NEAR(out[1], -41.999717712402344, 1e-5);
    EXPECT_NEAR(out[2], -0.027106966823339462, 1e-7);
    g.repeat = 3;
    EXPECT_FALSE(cpu::gatedActivationCpu(g).ok) << "one gate per element only";
    ActivationArgs a;
    a.n = 1; a.act = Activation::ClampedSwiglu; a.x = gate; a.y = out;
    EXPECT_FALSE(cpu::activationCpu(a).ok) << "needs the up value: gated only";
}

TEST(IndexAddKernel, AddsWeightedRowsIntoTheirTokensAndRefusesRowsOutside)
{
    float y[6] = {1, 1, 1, 1, 1, 1};           // 3 tokens of 2
    const float x[6] = {1, 2, 3, 4, 5, 6};     // 3 expert rows
    const int32_t ids[3] = {2, 0, 2};
    const float w[3] = {0.5f, 2.f, 1.f};
    IndexAddArgs a;
    a.rows = 3; a.cols = 2; a.ids = ids; a.w = w; a.x = x; a.ldx = 2; a.y = y; a.ldy = 2; a.yRows = 3;
    ASSERT_TRUE(cpu::indexAddCpu(a).ok);
    EXPECT_EQ(y[0], 1 + 2 * 3.f);
    EXPECT_EQ(y[1], 1 + 2 * 4.f);
    EXPECT_EQ(y[2], 1.f);                      // token 1 got nothing
    EXPECT_EQ(y[4], 1 + 0.5f * 1 + 5.f);       // token 2: rows 0 and 2
    EXPECT_EQ(y[5], 1 + 0.5f * 2 + 6.f);
    a.w = nullptr;
    a.rows = 1;
    ASSERT_TRUE(cpu::indexAddCpu(a).ok);
    EXPECT_EQ(y[4], 6.5f + 1.f);
    const int32_t bad[1] = {3};
    a.ids = bad;
    EXPECT_FALSE(cpu::indexAddCpu(a).ok);
}

TEST(AttentionKernelValues, WideValuesEqualTwoCallsOnTheHalvesAndValueHeadsGroupSeparately)
{
    // A differential V1 head reads a value of 2·d per KV head; its output must equal two ordinary calls on the
    // two d-wide halves. With valueHeads ≠ kvHeads (the authors' GQA layout) head h reads K head h / (H / Hkv)
    // and V head h / (H / Hv).
    const int64_t T = 30, H = 4, Hkv = 4, Hv = 2, d = 8, dv = 16;
    std::mt19937 rng(5);
    std::normal_distribution<float> n(0.f, 1.2f);
    std::vector<float> q(size_t(T * H * d)), k(size_t(T * Hkv * d)), v(size_t(T * Hv * dv));
    for (auto& x : q) x = n(rng);
    for (auto& x : k) x = n(rng);
    for (auto& x : v) x = n(rng);
    std::vector<float> wide(size_t(T * H * dv));
    AttentionArgs a;
    a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d; a.valueDim = dv; a.valueHeads = Hv;
    a.scale = 0.3f;
    a.mask = AttentionMask::causal();
    a.q = q.data(); a.ldq = H * d; a.k = k.data(); a.ldk = Hkv * d; a.v = v.data(); a.ldv = Hv * dv;
    a.out = wide.data(); a.ldo = H * dv;
    ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);
    std::vector<double> rp(size_t(T * T)), ro(size_t(T * d));
    double maxO = 0;
    for (int64_t h = 0; h < H; ++h)
        for (int half = 0; half < 2; ++half) {
            cpu::attentionHeadReference(T, d, q.data() + h * d, H * d, k.data() + h * d, Hkv * d,
                                        v.data() + (h / 2) * dv + half * d, Hv * dv, 0.3f, a.mask, rp.data(), ro.data(),
                                        nullptr);
            for (int64_t i = 0; i < T; ++i)
                for (int64_t c = 0; c < d; ++c)
                    maxO = std::max(maxO, std::fabs(wide[size_t(i * H * dv + h * dv + half * d + c)] - ro[size_t(i * d + c)]));
        }
    EXPECT_LE(maxO, 1e-5);
    a.ldv = Hv * dv - 1;
    EXPECT_FALSE(cpu::attentionCpu(a, 2).ok) << "a value stride narrower than the value heads";
}

TEST(GatherKernel, CopiesScaledRowsAndRefusesIdsOutsideTheTable)
{
    const float table[6] = {1, 2, 3, 4, 5, 6};   // 3 rows of 2
    const int32_t ids[2] = {2, 0};
    float out[4];
    GatherArgs g;
    g.count = 2; g.cols = 2; g.ids = ids; g.table = table; g.ldTable = 2; g.tableRows = 3; g.out = out; g.ldOut = 2;
    g.scale = 2.f;
    ASSERT_TRUE(cpu::gatherCpu(g).ok);
    EXPECT_EQ(out[0], 10.f);
    EXPECT_EQ(out[1], 12.f);
    EXPECT_EQ(out[2], 2.f);
    EXPECT_EQ(out[3], 4.f);
    const int32_t bad[1] = {3};
    g.count = 1;
    g.ids = bad;
    EXPECT_FALSE(cpu::gatherCpu(g).ok);
}

TEST(GemmKernel, MatchesNaiveProductWithBeta)
{
    const int64_t m = 5, n = 7, k = 9;
    std::vector<float> A(size_t(m * k)), B(size_t(n * k)), C(size_t(m * n), 1.f);
    for (size_t i = 0; i < A.size(); ++i) A[i] = float(int(i % 5) - 2);
    for (size_t i = 0; i < B.size(); ++i) B[i] = float(int(i % 3) - 1) * 0.5f;
    GemmArgs g;
    g.m = m; g.n = n; g.k = k; g.a = A.data(); g.lda = k; g.b = B.data(); g.ldb = k; g.c = C.data(); g.ldc = n; g.beta = 1.f;
    ASSERT_TRUE(cpu::gemmCpu(g, 2).ok);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            float s = 1.f;
            for (int64_t c = 0; c < k; ++c)
                s += A[size_t(i * k + c)] * B[size_t(j * k + c)];
            EXPECT_FLOAT_EQ(C[size_t(i * n + j)], s);
        }
}
