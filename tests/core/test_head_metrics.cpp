// Head metrics on hand-computed matrices (definitions in docs/METRICS.md and core/metrics/head_metrics.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/head_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace attnscope;

namespace {

// 3×3 causal map:
//   row 0: [1,    0,    0   ]
//   row 1: [0.5,  0.5,  0   ]
//   row 2: [0.25, 0.25, 0.5 ]
AttentionMap threeByThree()
{
    AttentionMap a;
    a.tokens = 3;
    a.mask = AttentionMask::causal();
    a.probs = {1.f, 0.f, 0.f, 0.5f, 0.5f, 0.f, 0.25f, 0.25f, 0.5f};
    return a;
}

} // namespace

TEST(HeadMetrics, FirstTokenShareSkipsQuery0ByDefault)
{
    AttentionMap a = threeByThree();
    // rows 1 and 2: (0.5 + 0.25) / 2
    EXPECT_DOUBLE_EQ(firstTokenShare(a), 0.375);
    MetricParams p;
    p.sinkIncludesQuery0 = true;
    // rows 0..2: (1 + 0.5 + 0.25) / 3
    EXPECT_DOUBLE_EQ(firstTokenShare(a, p), 1.75 / 3.0);
}

TEST(HeadMetrics, RowEntropyInNats)
{
    AttentionMap a = threeByThree();
    // H0 = 0; H1 = ln 2; H2 = -(2·0.25 ln 0.25 + 0.5 ln 0.5) = 1.5 ln 2
    const double ln2 = std::log(2.0);
    EXPECT_NEAR(rowEntropy(a), (0 + ln2 + 1.5 * ln2) / 3.0, 1e-7);
    MetricParams p;
    p.normaliseEntropy = true;
    // normalised: 0 (n=1), ln2/ln2 = 1, 1.5 ln2 / ln3
    EXPECT_NEAR(rowEntropy(a, p), (0 + 1 + 1.5 * ln2 / std::log(3.0)) / 3.0, 1e-7);
}

TEST(HeadMetrics, MeanAttentionDistance)
{
    AttentionMap a = threeByThree();
    // row0: 0; row1: 0.5·1 = 0.5; row2: 0.25·2 + 0.25·1 = 0.75
    EXPECT_NEAR(meanAttentionDistance(a), (0 + 0.5 + 0.75) / 3.0, 1e-7);
}

TEST(HeadMetrics, TopKMass)
{
    AttentionMap a = threeByThree();
    MetricParams p;
    p.topK = 1;
    // largest per row: 1, 0.5, 0.5
    EXPECT_NEAR(topKMass(a, p), 2.0 / 3.0, 1e-7);
    p.topK = 2;
    // rows with n ≤ k sum everything: 1, 1, 0.75
    EXPECT_NEAR(topKMass(a, p), 2.75 / 3.0, 1e-7);
    p.topK = 5;
    EXPECT_NEAR(topKMass(a, p), 1.0, 1e-7);
}

TEST(HeadMetrics, TopKOnALongRowMatchesSorting)
{
    AttentionMap a;
    a.tokens = 8;
    a.mask = AttentionMask::causal();
    a.probs.assign(64, 0.f);
    // last row: 0.05, 0.3, 0.1, 0.2, 0.05, 0.1, 0.15, 0.05 (sums to 1)
    const float last[8] = {0.05f, 0.3f, 0.1f, 0.2f, 0.05f, 0.1f, 0.15f, 0.05f};
    for (int j = 0; j < 8; ++j)
        a.probs[7 * 8 + j] = last[j];
    a.maskedRows.assign(8, 1);
    a.maskedRows[7] = 0;   // only the last row counts
    MetricParams p;
    p.topK = 3;
    EXPECT_NEAR(topKMass(a, p), 0.3 + 0.2 + 0.15, 1e-6);
    p.topK = 70;           // larger than the internal buffer: the partial-sort path
    EXPECT_NEAR(topKMass(a, p), 1.0, 1e-6);
}

TEST(HeadMetrics, MaskedRowsAreExcludedNotZero)
{
    AttentionMap a = threeByThree();
    a.maskedRows = {0, 1, 0};   // row 1 fully masked
    EXPECT_DOUBLE_EQ(firstTokenShare(a), 0.25);
    EXPECT_NEAR(meanAttentionDistance(a), (0 + 0.75) / 2.0, 1e-7);
    a.maskedRows = {1, 1, 1};
    EXPECT_TRUE(std::isnan(rowEntropy(a)));
    EXPECT_TRUE(std::isnan(firstTokenShare(a)));
}

TEST(HeadMetrics, NonCausalUsesEveryKey)
{
    AttentionMap a;
    a.tokens = 2;
    a.mask = AttentionMask::bidirectional();
    a.probs = {0.5f, 0.5f, 0.25f, 0.75f};
    // distance: row0 0.5·1, row1 0.25·1
    EXPECT_NEAR(meanAttentionDistance(a), 0.375, 1e-7);
    MetricParams p;
    p.topK = 1;
    EXPECT_NEAR(topKMass(a, p), (0.5 + 0.75) / 2.0, 1e-7);
}

TEST(HeadMetrics, SinglePassAgreesWithTheSingleMetrics)
{
    AttentionMap a = threeByThree();
    HeadMetrics m = computeHeadMetrics(a);
    EXPECT_DOUBLE_EQ(m.value(HeadMetric::SinkShare), firstTokenShare(a));
    EXPECT_DOUBLE_EQ(m.value(HeadMetric::Entropy), rowEntropy(a));
    EXPECT_DOUBLE_EQ(m.value(HeadMetric::MeanDistance), meanAttentionDistance(a));
    EXPECT_DOUBLE_EQ(m.value(HeadMetric::TopKMass), topKMass(a));
}

TEST(HeadMetrics, TableHasNaNForMissingHeads)
{
    auto m = std::make_shared<AttentionMap>(threeByThree());
    std::vector<AttentionMapPtr> maps(2 * 3);
    maps[1 * 3 + 2] = m;   // layer 1, head 2
    MetricsTable t = buildMetricsTable(maps, 2, 3);
    EXPECT_EQ(t.layers, 2);
    EXPECT_EQ(t.heads, 3);
    EXPECT_TRUE(t.has(1, 2));
    EXPECT_FALSE(t.has(0, 0));
    EXPECT_TRUE(std::isnan(t.value(0, 0, HeadMetric::SinkShare)));
    EXPECT_DOUBLE_EQ(t.value(1, 2, HeadMetric::SinkShare), 0.375);
    EXPECT_TRUE(std::isnan(t.value(5, 0, HeadMetric::SinkShare)));   // out of range
}

TEST(HeadMetrics, IdsRoundTrip)
{
    for (int i = 0; i < kHeadMetricCount; ++i) {
        HeadMetric m{};
        ASSERT_TRUE(headMetricFromId(headMetricId(static_cast<HeadMetric>(i)), m));
        EXPECT_EQ(static_cast<int>(m), i);
    }
    HeadMetric m{};
    EXPECT_FALSE(headMetricFromId("nope", m));
    EXPECT_EQ(headMetricLabel(HeadMetric::TopKMass, 7), "top-7 mass");
}

TEST(HeadMetrics, SlidingWindowRowsUseOnlyTheirValidKeys)
{
    // 4×4 map under a sliding window of 2: row i sees keys i−1 and i.
    AttentionMap a;
    a.tokens = 4;
    a.mask = AttentionMask::sliding(2);
    a.probs = {1.f, 0.f, 0.f, 0.f,   0.5f, 0.5f, 0.f, 0.f,   0.f, 0.25f, 0.75f, 0.f,   0.f, 0.f, 0.5f, 0.5f};
    // distance: 0, 0.5, 0.25, 0.5
    EXPECT_NEAR(meanAttentionDistance(a), (0 + 0.5 + 0.25 + 0.5) / 4.0, 1e-7);
    MetricParams p;
    p.normaliseEntropy = true;   // n_i = 1, 2, 2, 2
    const double h2 = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)) / std::log(2.0);
    EXPECT_NEAR(rowEntropy(a, p), (0 + 1 + h2 + 1) / 4.0, 1e-6);
}

TEST(HeadMetrics, RowsThatCannotSeeTheFirstTokenGiveItNothing)
{
    // Sliding window of 2 over 4 tokens: rows 2 and 3 cannot see token 0, so they add 0 to the sink share
    // (the same definition attnscope-cli stats uses for first_token_share).
    AttentionMap a;
    a.tokens = 4;
    a.mask = AttentionMask::sliding(2);
    a.probs = {1.f, 0.f, 0.f, 0.f,   0.5f, 0.5f, 0.f, 0.f,   0.f, 0.25f, 0.75f, 0.f,   0.f, 0.f, 0.5f, 0.5f};
    EXPECT_NEAR(firstTokenShare(a), (0.5 + 0 + 0) / 3.0, 1e-9);
}

TEST(HeadMetrics, TheStreamingAccumulatorEqualsTheStoredMapScores)
{
    // Rows fed with an offset (as the attention kernel streams a block of keys) give the same scores.
    AttentionMap a;
    a.tokens = 6;
    a.mask = AttentionMask::slidingWithSinks(2, 1);
    a.probs.assign(36, 0.f);
    for (int64_t i = 0; i < 6; ++i) {
        const RowKeys k = a.rowKeys(i);
        const float w = 1.f / float(k.size());
        for (const KeyRange& r : k.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                a.probs[size_t(i * 6 + j)] = w * float(1 + (i + j) % 3) / 2.f;
    }
    const TokenRepeats repeats(std::vector<int32_t>{5, 7, 5, 7, 5, 9});
    const HeadMetrics whole = computeHeadMetrics(a, {}, &repeats);
    HeadMetricsAccumulator acc({}, a.mask, 6, &repeats);
    for (int64_t i = 0; i < 6; ++i) {
        const int64_t klo = a.mask.blockHull(i, i + 1, 6).begin;
        acc.addRow(i, a.row(i) + klo, klo);
    }
    const HeadMetrics streamed = acc.finish();
    for (int m = 0; m < kHeadMetricCount; ++m) {
        const double x = whole.value(static_cast<HeadMetric>(m)), y = streamed.value(static_cast<HeadMetric>(m));
        if (std::isnan(x))
            EXPECT_TRUE(std::isnan(y)) << headMetricId(static_cast<HeadMetric>(m));
        else
            EXPECT_DOUBLE_EQ(x, y) << headMetricId(static_cast<HeadMetric>(m));
    }
}
