// Log-sum-exp and KL of logit rows (core/metrics/logit_rows.h) against a straightforward double evaluation.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/logit_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace attnscope;

namespace {

double refLse(const std::vector<float>& x)
{
    double m = -INFINITY;
    for (float v : x)
        m = std::max(m, double(v));
    double z = 0;
    for (float v : x)
        z += std::exp(double(v) - m);
    return m + std::log(z);
}

double refKl(const std::vector<float>& p, const std::vector<float>& q)
{
    const double lp = refLse(p), lq = refLse(q);
    double kl = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double a = double(p[i]) - lp, b = double(q[i]) - lq;
        kl += std::exp(a) * (a - b);
    }
    return kl;
}

std::vector<float> randomLogits(std::mt19937& rng, size_t n, float spread)
{
    std::normal_distribution<float> d(0.f, spread);
    std::vector<float> x(n);
    for (float& v : x)
        v = d(rng);
    return x;
}

} // namespace

TEST(LogitRows, FastExpIsWithinTwoUlpOfStdExp)
{
    for (float x = -87.f; x <= 88.f; x += 0.001953125f * 7.f) {
        const float want = std::exp(x), got = fastExp(x);
        EXPECT_LE(std::fabs(got - want), 2.5e-7f * want) << x;
    }
    EXPECT_EQ(fastExp(0.f), 1.f);
    EXPECT_LT(fastExp(-1000.f), 1e-37f);   // clamped, never NaN or negative
    EXPECT_GT(fastExp(-1000.f), 0.f);
}

TEST(FastMath, ActivationsAgreeWithTheLibmFormulas)
{
    // The CPU kernels' SiLU, sigmoid and GELU-tanh (kernels/cpu/elementwise.cpp) against the same formulas in
    // double precision; the bounds are what keeps the tiny models within 1e-5 of transformers.
    double worstTanh = 0, worstSilu = 0, worstSigmoid = 0, worstGelu = 0;
    for (float x = -40.f; x <= 40.f; x += 0.000977f * 3.f) {
        const double xd = x;
        worstTanh = std::max(worstTanh, std::fabs(fastTanh(x) - std::tanh(xd)));
        worstSigmoid = std::max(worstSigmoid, std::fabs(fastSigmoid(x) - 1.0 / (1.0 + std::exp(-xd))));
        worstSilu = std::max(worstSilu, std::fabs(fastSilu(x) - xd / (1.0 + std::exp(-xd))) / std::max(1.0, std::fabs(xd)));
        const double u = 0.7978845608028654 * (xd + 0.044715 * xd * xd * xd);
        worstGelu = std::max(worstGelu, std::fabs(fastGeluTanh(x) - 0.5 * xd * (1.0 + std::tanh(u))) / std::max(1.0, std::fabs(xd)));
    }
    EXPECT_LE(worstTanh, 2.5e-7);
    EXPECT_LE(worstSigmoid, 2.5e-7);
    EXPECT_LE(worstSilu, 5e-7);
    EXPECT_LE(worstGelu, 5e-7);
    EXPECT_EQ(fastTanh(0.f), 0.f);
    EXPECT_EQ(fastTanh(100.f), 1.f);
    EXPECT_EQ(fastTanh(-100.f), -1.f);
    EXPECT_LE(std::fabs(fastSilu(-200.f)), 1e-30f);   // no NaN or inf far out
    EXPECT_FLOAT_EQ(fastSilu(200.f), 200.f);
}

TEST(LogitRows, LogSumExpMatchesDoubleOnAVocabularySizedRow)
{
    std::mt19937 rng(7);
    for (size_t n : {1u, 15u, 17u, 1000u, 49152u, 262144u}) {
        const std::vector<float> x = randomLogits(rng, n, 4.f);
        EXPECT_NEAR(logSumExpRow(x.data(), int64_t(n)), refLse(x), 1e-6 * std::max(1.0, std::fabs(refLse(x)))) << n;
    }
    EXPECT_EQ(logSumExpRow(nullptr, 0), -INFINITY);
}

TEST(LogitRows, KlMatchesDoubleAndIsExactlyZeroForIdenticalRows)
{
    std::mt19937 rng(11);
    for (size_t n : {3u, 49152u, 262144u}) {
        const std::vector<float> p = randomLogits(rng, n, 3.f);
        std::vector<float> q = p, noise = randomLogits(rng, n, 0.5f);
        for (size_t i = 0; i < n; ++i)
            q[i] += noise[i];
        const KlRow r = klDivergenceRow(p.data(), q.data(), int64_t(n));
        const double want = refKl(p, q);
        EXPECT_NEAR(r.kl, want, 1e-6 + 1e-5 * want) << n;
        EXPECT_NEAR(r.lseP, refLse(p), 1e-5);
        EXPECT_NEAR(r.lseQ, refLse(q), 1e-5);
        EXPECT_EQ(klDivergenceRow(p.data(), p.data(), int64_t(n)).kl, 0.0);
    }
    // Hand-computed: p = softmax(0, 0) = (½, ½), q = softmax(0, ln 3) = (¼, ¾):
    // KL = ½ ln(½/¼) + ½ ln(½/¾) = ½ ln 2 + ½ ln(2/3).
    const float lp[2] = {0.f, 0.f}, lq[2] = {0.f, float(std::log(3.0))};
    EXPECT_NEAR(klDivergenceRow(lp, lq, 2).kl, 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-7);
}
