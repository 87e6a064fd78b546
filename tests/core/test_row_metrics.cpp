// Comparison metrics on hand-computed matrices (core/metrics/row_metrics.h, rollout.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/rollout.h"
#include "core/metrics/row_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace attnscope;

namespace {

// 4×4 causal map:
//   row 0: [1,    0,    0,   0  ]
//   row 1: [0.6,  0.4,  0,   0  ]
//   row 2: [0.5,  0.1,  0.4, 0  ]
//   row 3: [0.7,  0.05, 0.05, 0.2]
AttentionMap map4()
{
    AttentionMap a;
    a.tokens = 4;
    a.probs = {1, 0, 0, 0, 0.6f, 0.4f, 0, 0, 0.5f, 0.1f, 0.4f, 0, 0.7f, 0.05f, 0.05f, 0.2f};
    return a;
}

} // namespace

TEST(RowMetrics, SinkShareOfASetIncludesEveryValidRow)
{
    const AttentionMap a = map4();
    EXPECT_NEAR(sinkShareOfSet(a, {0}), (1 + 0.6 + 0.5 + 0.7) / 4, 1e-7);
    EXPECT_NEAR(sinkShareOfSet(a, {0, 1}), (1 + 1 + 0.6 + 0.75) / 4, 1e-7);
}

TEST(RowMetrics, KForMassAndFractionBelow)
{
    const AttentionMap a = map4();
    // k@0.9: row0 1, row1 2 (0.6 < 0.9), row2 2 (0.5 + 0.4), row3 2 (the two largest, 0.7 + 0.2, reach 0.9)
    EXPECT_NEAR(kForMass(a, 0.9), (1 + 2 + 2 + 2) / 4.0, 1e-9);
    // valid cells: 1 + 2 + 3 + 4 = 10; below 0.15: 0.1, 0.05, 0.05 → 3
    EXPECT_NEAR(fractionBelow(a, 0.15), 0.3, 1e-9);
}

TEST(RowMetrics, MassOutsidePatternsTopKAndThreshold)
{
    const AttentionMap a = map4();
    // sliding window 2: row2 loses key 0 (0.5); row3 loses keys 0, 1 (0.75)
    EXPECT_NEAR(massOutsidePattern(a, AttentionMask::sliding(2)), (0 + 0 + 0.5 + 0.75) / 4, 1e-7);
    // with one sink token the window keeps key 0: row3 loses key 1 only
    EXPECT_NEAR(massOutsidePattern(a, AttentionMask::slidingWithSinks(2, 1)), (0 + 0 + 0 + 0.05) / 4, 1e-7);
    // top-1: row1 loses 0.4, row2 0.5, row3 0.3
    EXPECT_NEAR(massOutsideTopK(a, 1), (0 + 0.4 + 0.5 + 0.3) / 4, 1e-7);
    // threshold 0.3: row2 loses 0.1, row3 loses 0.05 + 0.05 + 0.2
    EXPECT_NEAR(massOutsideThreshold(a, 0.3), (0 + 0 + 0.1 + 0.3) / 4, 1e-7);
    MaskBits s(4);
    for (int i = 0; i < 4; ++i)
        s.set(i, i);
    EXPECT_NEAR(massOutsideSupport(a, s), (0 + 0.6 + 0.6 + 0.8) / 4, 1e-7);
}

TEST(Rollout, MixesTheResidualAsIdentityAndMultipliesLayers)
{
    auto m = std::make_shared<AttentionMap>();
    m->tokens = 2;
    m->probs = {1, 0, 0.5f, 0.5f};
    // Â = (W + I)/rowsum = [[1, 0], [0.25, 0.75]]; two layers: Â² = [[1, 0], [0.25 + 0.1875, 0.5625]]
    const std::vector<double> r1 = attentionRollout({{m}}, 2);
    EXPECT_NEAR(r1[2], 0.25, 1e-12);
    EXPECT_NEAR(r1[3], 0.75, 1e-12);
    const std::vector<double> r2 = attentionRollout({{m}, {m}}, 2);
    EXPECT_NEAR(r2[2], 0.4375, 1e-12);
    EXPECT_NEAR(r2[3], 0.5625, 1e-12);
    EXPECT_NEAR(r2[2] + r2[3], 1.0, 1e-12);
}
