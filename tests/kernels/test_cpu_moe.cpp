// The mixture-of-experts routing ops (kernels/cpu/moe.cpp, elementwise.cpp) against hand computations: top-k of a softmax with
// ties going to the lower expert id, with and without renormalisation, and the weighted index_add.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace attnscope;

TEST(MoeRouteKernel, TopKOfTheSoftmaxWithTiesToTheLowerId)
{
    // Token 0: logits 2, 1, 0, 1 → experts 0 and 1 (1 and 3 tie; the lower id wins).
    // Token 1: logits 0, 0, 5, 0 → experts 2, then 0 (three-way tie).
    const float logits[] = {2, 1, 0, 1, 0, 0, 5, 0};
    int32_t ids[4];
    float w[4];
    MoeRouteArgs a;
    a.tokens = 2; a.experts = 4; a.k = 2; a.logits = logits; a.ldLogits = 4; a.ids = ids; a.weights = w;
    a.normalize = false;
    ASSERT_TRUE(cpu::moeRouteCpu(a).ok);
    const double e = std::exp(1.0), z0 = e * e + 2 * e + 1, z1 = 3 + std::exp(5.0);
    EXPECT_EQ(ids[0], 0);
    EXPECT_EQ(ids[1], 1);
    EXPECT_NEAR(w[0], e * e / z0, 1e-6);
    EXPECT_NEAR(w[1], e / z0, 1e-6);
    EXPECT_EQ(ids[2], 2);
    EXPECT_EQ(ids[3], 0);
    EXPECT_NEAR(w[2], std::exp(5.0) / z1, 1e-6);
    EXPECT_NEAR(w[3], 1 / z1, 1e-6);

    a.normalize = true;   // norm_topk_prob: the chosen weights sum to 1
    ASSERT_TRUE(cpu::moeRouteCpu(a).ok);
    EXPECT_NEAR(w[0], e / (e + 1), 1e-6);
    EXPECT_NEAR(w[1], 1 / (e + 1), 1e-6);
    EXPECT_NEAR(w[2] + w[3], 1.0, 1e-6);

    a.k = 5;
    EXPECT_FALSE(cpu::moeRouteCpu(a).ok) << "k above the expert count is refused";
}

TEST(IndexAddKernel, AddsWeightedRowsToTheirTokensAndRefusesIdsOutside)
{
    float y[] = {1, 1, 2, 2, 3, 3};
    const float x[] = {10, 20, 30, 40};
    const int32_t ids[] = {2, 0};
    const float w[] = {0.5f, 2.f};
    IndexAddArgs a;
    a.rows = 2; a.cols = 2; a.ids = ids; a.w = w; a.x = x; a.ldx = 2; a.y = y; a.ldy = 2; a.yRows = 3;
    ASSERT_TRUE(cpu::indexAddCpu(a).ok);
    const float want[] = {1 + 60, 1 + 80, 2, 2, 3 + 5, 3 + 10};
    for (int i = 0; i < 6; ++i)
        EXPECT_FLOAT_EQ(y[i], want[i]) << i;
    const int32_t bad[] = {3, 0};
    a.ids = bad;
    EXPECT_FALSE(cpu::indexAddCpu(a).ok);
}
