// The Gated DeltaNet ops (kernels/cpu/deltanet.cpp) against hand computations and a plain fp64 transcription of
// the recurrence in transformers' torch_recurrent_gated_delta_rule: the causal depthwise convolution, β and the
// decay exp(g), the delta-rule state update, L2-normalised q/k, grouped value heads, cancellation.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <stop_token>

using namespace attnscope;

TEST(CausalConv1dKernel, EachOutputSeesOnlyItsTokenAndTheKMinusOneBefore)
{
    // T = 3 tokens, 2 channels, kernel 2: y[t][c] = w[c][0]·x[t−1][c] + w[c][1]·x[t][c].
    const float x[] = {1, 10, 2, 20, 3, 30};
    const float w[] = {1, 2, 3, -1};
    float y[6];
    CausalConv1dArgs a;
    a.tokens = 3; a.channels = 2; a.kernel = 2;
    a.x = x; a.ldx = 2; a.weight = w; a.y = y; a.ldy = 2;
    ASSERT_TRUE(cpu::causalConv1dCpu(a).ok);
    const float want[] = {2 * 1, -1 * 10, 1 * 1 + 2 * 2, 3 * 10 - 20, 1 * 2 + 2 * 3, 3 * 20 - 30};
    for (int i = 0; i < 6; ++i)
        EXPECT_FLOAT_EQ(y[i], want[i]) << i;
    a.act = Activation::Silu;
    ASSERT_TRUE(cpu::causalConv1dCpu(a).ok);
    for (int i = 0; i < 6; ++i)
        EXPECT_NEAR(y[i], want[i] / (1 + std::exp(-want[i])), 1e-5) << i;
    a.y = const_cast<float*>(x);
    EXPECT_FALSE(cpu::causalConv1dCpu(a).ok) << "aliasing input and output is refused";
}

TEST(GatedDeltaRuleKernel, TwoTokensByHand)
{
    // One head, key dim 2, value dim 1, no L2 norm. A_log = 0, dt_bias = 0, a = 0 → g = −softplus(0) = −ln 2, so
    // the state halves each step; b = 0 → β = ½. q is scaled by 2^-½.
    // t0: S = 0, δ = ½(2 − 0) = 1, S = k0 δ = [1, 0]ᵀ, o0 = q̂0·S = 2^-½.
    // t1: S = ½S = [½, 0]ᵀ, Sᵀk1 = ½, δ = ½(4 − ½) = 1.75, S = [2.25, 1.75]ᵀ, o1 = (0, 2·2^-½)·S = 1.75·√2.
    const float q[] = {1, 1, 0, 2}, k[] = {1, 0, 1, 1}, v[] = {2, 4}, ab[] = {0, 0}, zero[] = {0};
    float out[2], beta[2], decay[2];
    GatedDeltaRuleArgs a;
    a.tokens = 2; a.keyHeads = 1; a.valueHeads = 1; a.keyDim = 2; a.valueDim = 1;
    a.q = q; a.k = k; a.ldqk = 2; a.v = v; a.ldv = 1; a.a = ab; a.b = ab; a.ldab = 1;
    a.aLog = zero; a.dtBias = zero; a.out = out; a.ldo = 1; a.beta = beta; a.decay = decay;
    a.l2NormQk = false;
    ASSERT_TRUE(cpu::gatedDeltaRuleCpu(a, 1).ok);
    EXPECT_NEAR(out[0], 1.0 / std::sqrt(2.0), 1e-6);
    EXPECT_NEAR(out[1], 1.75 * std::sqrt(2.0), 1e-5);
    for (int t = 0; t < 2; ++t) {
        EXPECT_FLOAT_EQ(beta[t], 0.5f);
        EXPECT_FLOAT_EQ(decay[t], 0.5f);
    }
}

namespace {

/// fp64 transcription of torch_recurrent_gated_delta_rule with use_qk_l2norm_in_kernel = True.
std::vector<double> referenceDeltaRule(const GatedDeltaRuleArgs& a)
{
    const int64_t T = a.tokens, Hk = a.keyHeads, Hv = a.valueHeads, dk = a.keyDim, dv = a.valueDim, rep = Hv / Hk;
    std::vector<double> out(size_t(T * Hv * dv));
    for (int64_t h = 0; h < Hv; ++h) {
        std::vector<double> S(size_t(dk * dv), 0.0);
        for (int64_t t = 0; t < T; ++t) {
            std::vector<double> q(static_cast<size_t>(dk)), k(static_cast<size_t>(dk));
            double qq = 0, kk = 0;
            for (int64_t i = 0; i < dk; ++i) {
                q[i] = a.q[t * a.ldqk + (h / rep) * dk + i];
                k[i] = a.k[t * a.ldqk + (h / rep) * dk + i];
                qq += q[i] * q[i];
                kk += k[i] * k[i];
            }
            for (int64_t i = 0; i < dk; ++i) {
                q[i] = q[i] / std::sqrt(qq + a.l2Eps) / std::sqrt(double(dk));
                k[i] = k[i] / std::sqrt(kk + a.l2Eps);
            }
            const double x = a.a[t * a.ldab + h] + a.dtBias[h];
            const double g = -std::exp(double(a.aLog[h])) * (x > 20 ? x : std::log1p(std::exp(x)));
            const double beta = 1.0 / (1.0 + std::exp(-double(a.b[t * a.ldab + h])));
            for (double& s : S)
                s *= std::exp(g);
            for (int64_t j = 0; j < dv; ++j) {
                double kv = 0;
                for (int64_t i = 0; i < dk; ++i)
                    kv += S[size_t(i * dv + j)] * k[i];
                const double delta = (a.v[t * a.ldv + h * dv + j] - kv) * beta;
                for (int64_t i = 0; i < dk; ++i)
                    S[size_t(i * dv + j)] += k[i] * delta;
            }
            for (int64_t j = 0; j < dv; ++j) {
                double o = 0;
                for (int64_t i = 0; i < dk; ++i)
                    o += S[size_t(i * dv + j)] * q[i];
                out[size_t(t * Hv * dv + h * dv + j)] = o;
            }
        }
    }
    return out;
}

struct DeltaProblem {
    std::vector<float> qk, v, ab, aLog, dtBias;
    GatedDeltaRuleArgs args;
};

DeltaProblem makeDeltaProblem(int64_t T, int64_t Hk, int64_t Hv, int64_t dk, int64_t dv, unsigned seed)
{
    DeltaProblem p;
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.f, 1.f);
    // q and k side by side in one row, as the convolution output lays them out: [q heads | k heads].
    p.qk.resize(size_t(T * 2 * Hk * dk));
    p.v.resize(size_t(T * Hv * dv));
    p.ab.resize(size_t(T * 2 * Hv));   // [b | a] per token
    p.aLog.resize(size_t(Hv));
    p.dtBias.resize(size_t(Hv));
    for (auto* vec : {&p.qk, &p.v, &p.ab, &p.dtBias})
        for (float& x : *vec)
            x = n(rng);
    for (int64_t h = 0; h < Hv; ++h)
        p.aLog[h] = std::log(0.5f + float(h));   // decays from mild to strong
    GatedDeltaRuleArgs& a = p.args;
    a.tokens = T; a.keyHeads = Hk; a.valueHeads = Hv; a.keyDim = dk; a.valueDim = dv;
    a.q = p.qk.data(); a.k = p.qk.data() + Hk * dk; a.ldqk = 2 * Hk * dk;
    a.v = p.v.data(); a.ldv = Hv * dv;
    a.b = p.ab.data(); a.a = p.ab.data() + Hv; a.ldab = 2 * Hv;
    a.aLog = p.aLog.data(); a.dtBias = p.dtBias.data();
    return p;
}

} // namespace

TEST(GatedDeltaRuleKernel, MatchesFp64ReferenceWithGroupedValueHeads)
{
    const int64_t T = 37, Hk = 2, Hv = 6, dk = 8, dv = 5;
    DeltaProblem p = makeDeltaProblem(T, Hk, Hv, dk, dv, 7);
    std::vector<float> out(size_t(T * Hv * dv)), beta(size_t(T * Hv)), decay(size_t(T * Hv));
    p.args.out = out.data(); p.args.ldo = Hv * dv;
    p.args.beta = beta.data(); p.args.decay = decay.data();
    ASSERT_TRUE(cpu::gatedDeltaRuleCpu(p.args, 3).ok);
    const std::vector<double> ref = referenceDeltaRule(p.args);
    double maxErr = 0;
    for (size_t i = 0; i < out.size(); ++i)
        maxErr = std::max(maxErr, std::fabs(out[i] - ref[i]));
    EXPECT_LE(maxErr, 2e-5);
    for (int64_t t = 0; t < T; ++t)
        for (int64_t h = 0; h < Hv; ++h) {
            const float b = p.ab[size_t(t * 2 * Hv + h)], av = p.ab[size_t(t * 2 * Hv + Hv + h)];
            EXPECT_NEAR(beta[size_t(t * Hv + h)], 1 / (1 + std::exp(-b)), 1e-6);
            const double g = -std::exp(double(p.aLog[h])) * std::log1p(std::exp(double(av + p.dtBias[h])));
            EXPECT_NEAR(decay[size_t(t * Hv + h)], std::exp(g), 1e-6);
            EXPECT_GT(decay[size_t(t * Hv + h)], 0.f);
            EXPECT_LE(decay[size_t(t * Hv + h)], 1.f);
        }
    // Deterministic across thread counts: heads are independent.
    std::vector<float> out1(out.size());
    p.args.out = out1.data();
    ASSERT_TRUE(cpu::gatedDeltaRuleCpu(p.args, 1).ok);
    EXPECT_EQ(out, out1);
}

TEST(GatedDeltaRuleKernel, RefusesUngroupableHeadsAndHonoursCancel)
{
    DeltaProblem p = makeDeltaProblem(4, 2, 3, 4, 4, 1);
    std::vector<float> out(4 * 3 * 4);
    p.args.out = out.data(); p.args.ldo = 12;
    EXPECT_FALSE(cpu::gatedDeltaRuleCpu(p.args, 1).ok) << "3 value heads cannot share 2 key heads";
    p.args.keyHeads = 1; p.args.k = p.qk.data() + 4;
    std::stop_source src;
    src.request_stop();
    p.args.stop = src.get_token();
    const OpStatus s = cpu::gatedDeltaRuleCpu(p.args, 2);
    EXPECT_FALSE(s.ok);
    EXPECT_TRUE(s.cancelled);
}

TEST(GatedDeltaRuleKernel, NegAEqualsALogAndExactlyOneIsRequired)
{
    // llama.cpp's GGUF stores A = −exp(A_log) (ssm_a); g = A · softplus(a + dt_bias) must equal the A_log form.
    const int64_t T = 19, Hk = 2, Hv = 4, dk = 6, dv = 3;
    DeltaProblem p = makeDeltaProblem(T, Hk, Hv, dk, dv, 11);
    std::vector<float> out(size_t(T * Hv * dv)), decay(size_t(T * Hv));
    p.args.out = out.data(); p.args.ldo = Hv * dv; p.args.decay = decay.data();
    ASSERT_TRUE(cpu::gatedDeltaRuleCpu(p.args, 2).ok);
    std::vector<float> negA(static_cast<size_t>(Hv));
    for (int64_t h = 0; h < Hv; ++h)
        negA[size_t(h)] = -std::exp(p.aLog[size_t(h)]);
    std::vector<float> outA(out.size()), decayA(decay.size());
    GatedDeltaRuleArgs a = p.args;
    a.aLog = nullptr; a.negA = negA.data(); a.out = outA.data(); a.decay = decayA.data();
    ASSERT_TRUE(cpu::gatedDeltaRuleCpu(a, 2).ok);
    EXPECT_EQ(out, outA);
    EXPECT_EQ(decay, decayA);
    // Both or neither: refused.
    a.aLog = p.aLog.data();
    EXPECT_FALSE(cpu::gatedDeltaRuleCpu(a, 1).ok);
    a.aLog = nullptr; a.negA = nullptr;
    EXPECT_FALSE(cpu::gatedDeltaRuleCpu(a, 1).ok);
}
