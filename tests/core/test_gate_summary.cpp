// The gate view's numbers (core/metrics/gate_summary.h) on hand-made series: histogram bins, mean and the shares
// below 0.5 / 0.1 / 0.01, merging layers into a model histogram; the heads × tokens grid (headwise values,
// elementwise per-head means, missing heads NaN) and one head's dims × tokens; the norms before/after the gate,
// the share of the norm removed and the share of outputs suppressed.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/gate_summary.h"

#include <cmath>
#include <gtest/gtest.h>
#include <memory>

using namespace attnscope;

namespace {

CapturedSeriesPtr series(Quantity q, int head, std::vector<int64_t> shape, std::vector<float> v)
{
    auto s = std::make_shared<CapturedSeries>();
    s->key = {q, 0, head};
    s->shape = std::move(shape);
    s->values = std::move(v);
    return s;
}

} // namespace

TEST(GateSummary, HistogramBinsMeanAndSparsityShares)
{
    GateHistogram h(4);   // bins [0, .25), [.25, .5), [.5, .75), [.75, 1]
    h.add(*series(Quantity::Gate, 0, {5}, {0.005f, 0.05f, 0.3f, 0.5f, 1.0f}));
    EXPECT_EQ(h.counts, (std::vector<int64_t>{2, 1, 1, 1}));   // 1.0 falls in the last bin
    EXPECT_EQ(h.total, 5);
    EXPECT_NEAR(h.mean(), (0.005 + 0.05 + 0.3 + 0.5 + 1.0) / 5, 1e-7);
    EXPECT_DOUBLE_EQ(h.fractionBelow(0), 3.0 / 5);   // < 0.5 (0.5 itself is not below)
    EXPECT_DOUBLE_EQ(h.fractionBelow(1), 2.0 / 5);   // < 0.1
    EXPECT_DOUBLE_EQ(h.fractionBelow(2), 1.0 / 5);   // < 0.01

    GateHistogram other(4);
    other.add(*series(Quantity::Gate, 1, {1, 2}, {0.6f, 0.8f}));
    h.merge(other);
    EXPECT_EQ(h.counts, (std::vector<int64_t>{2, 1, 2, 2}));
    EXPECT_EQ(h.total, 7);
    EXPECT_DOUBLE_EQ(h.fractionBelow(0), 3.0 / 7);

    // A signed range (SiLU(z) dips to −0.28): bins over [−0.5, 1.5], values outside go to the end bins.
    GateHistogram s(4, -0.5, 1.5);
    s.add(*series(Quantity::DeltaOutputGate, 0, {4}, {-0.3f, 0.4f, 1.2f, 7.0f}));
    EXPECT_EQ(s.counts, (std::vector<int64_t>{1, 1, 0, 2}));
    EXPECT_DOUBLE_EQ(s.binLow(1), 0.0);
}

TEST(GateSummary, GridHoldsHeadwiseValuesOrElementwiseMeans)
{
    // Elementwise, 3 heads, 2 tokens, d = 2; head 1 not captured.
    const GateGrid g = gateGrid({series(Quantity::Gate, 2, {2, 2}, {0.1f, 0.3f, 0.9f, 0.7f}),
                                 series(Quantity::Gate, 0, {2, 2}, {1.0f, 0.0f, 0.2f, 0.2f}),
                                 series(Quantity::AttnOutNormPre, 1, {2}, {5.f, 5.f})},
                                3);
    ASSERT_EQ(g.heads, 3);
    ASSERT_EQ(g.tokens, 2);
    EXPECT_TRUE(g.elementwise);
    EXPECT_FLOAT_EQ(g.at(0, 0), 0.5f);
    EXPECT_FLOAT_EQ(g.at(0, 1), 0.2f);
    EXPECT_TRUE(std::isnan(g.at(1, 0)));
    EXPECT_FLOAT_EQ(g.at(2, 0), 0.2f);
    EXPECT_FLOAT_EQ(g.at(2, 1), 0.8f);

    const GateGrid dims = gateDims(*series(Quantity::Gate, 2, {2, 2}, {0.1f, 0.3f, 0.9f, 0.7f}));
    ASSERT_EQ(dims.heads, 2);   // rows = dims
    EXPECT_FLOAT_EQ(dims.at(0, 1), 0.9f);
    EXPECT_FLOAT_EQ(dims.at(1, 0), 0.3f);

    const GateGrid head = gateGrid({series(Quantity::Gate, 0, {3}, {0.25f, 0.5f, 0.75f})}, 1);
    EXPECT_FALSE(head.elementwise);
    EXPECT_FLOAT_EQ(head.at(0, 2), 0.75f);

    // A DeltaNet quantity by value head.
    const GateGrid beta = gateGrid({series(Quantity::DeltaBeta, 1, {2}, {0.3f, 0.6f}),
                                    series(Quantity::Gate, 1, {2}, {0.9f, 0.9f})},
                                   2, Quantity::DeltaBeta);
    EXPECT_TRUE(std::isnan(beta.at(0, 0)));
    EXPECT_FLOAT_EQ(beta.at(1, 1), 0.6f);
}

TEST(GateSummary, NormsRemovedAndSuppressedShares)
{
    // Head 0: before (2, 4), after (1, 0.2) → 0.2 < 0.4 suppressed. Head 1: before (1, 1), after (1, 0.05).
    const GateNorms n = gateNorms({series(Quantity::AttnOutNormPre, 0, {2}, {2.f, 4.f}),
                                   series(Quantity::AttnOutNormPost, 0, {2}, {1.f, 0.2f}),
                                   series(Quantity::AttnOutNormPre, 1, {2}, {1.f, 1.f}),
                                   series(Quantity::AttnOutNormPost, 1, {2}, {1.f, 0.05f})},
                                  3);
    EXPECT_EQ(n.outputs, 4);
    EXPECT_NEAR(n.beforePerHead[0], 3.0, 1e-7);
    EXPECT_NEAR(n.afterPerHead[0], 0.6, 1e-7);
    EXPECT_TRUE(std::isnan(n.beforePerHead[2]));
    EXPECT_NEAR(n.before, 8.0 / 4, 1e-7);
    EXPECT_NEAR(n.after, 2.25 / 4, 1e-7);
    EXPECT_NEAR(n.removedShare, 1.0 - 2.25 / 8.0, 1e-7);
    EXPECT_DOUBLE_EQ(n.suppressedShare, 2.0 / 4);
}
