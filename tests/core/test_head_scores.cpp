// The token-pattern scores (previous-token, self, duplicate-token, induction, sink-free distance and entropy),
// the ranking the head finder and `attnscope-cli heads` share, attention received by a key, the capture budget
// arithmetic and the induction probe prompt — each on matrices and sequences worked out by hand
// (docs/METRICS.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/attention_received.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/head_ranking.h"
#include "core/metrics/induction_probe.h"
#include "core/metrics/token_repeats.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>

using namespace attnscope;

namespace {

// 5×5 causal map over the token ids [7, 3, 5, 7, 3]:
//   row 0: [1,    0,    0,    0,    0  ]
//   row 1: [0.6,  0.4,  0,    0,    0  ]
//   row 2: [0.5,  0.3,  0.2,  0,    0  ]
//   row 3: [0.1,  0.2,  0.3,  0.4,  0  ]
//   row 4: [0.1,  0.15, 0.5,  0.05, 0.2]
AttentionMap fiveByFive()
{
    AttentionMap a;
    a.tokens = 5;
    a.mask = AttentionMask::causal();
    a.probs = {1.f,   0.f,    0.f,   0.f,    0.f,
               0.6f,  0.4f,   0.f,   0.f,    0.f,
               0.5f,  0.3f,   0.2f,  0.f,    0.f,
               0.1f,  0.2f,   0.3f,  0.4f,   0.f,
               0.1f,  0.15f,  0.5f,  0.05f,  0.2f};
    return a;
}

const std::vector<int32_t> kIds = {7, 3, 5, 7, 3};

/// Entropy of a distribution in nats, written out directly (the implementation derives it differently).
double entropyOf(std::initializer_list<double> p)
{
    double h = 0;
    for (double x : p)
        h -= x > 0 ? x * std::log(x) : 0.0;
    return h;
}

constexpr double kTol = 1e-6;

} // namespace

TEST(TokenRepeats, ListsEarlierOccurrencesInOrder)
{
    const std::vector<int32_t> ids = {7, 3, 5, 7, 3, 7};
    TokenRepeats r(ids);
    EXPECT_EQ(r.size(), 6);
    EXPECT_TRUE(r.earlier(0).empty());
    EXPECT_TRUE(r.earlier(2).empty());
    ASSERT_EQ(r.earlier(3).size(), 1u);
    EXPECT_EQ(r.earlier(3)[0], 0);
    ASSERT_EQ(r.earlier(5).size(), 2u);
    EXPECT_EQ(r.earlier(5)[0], 0);
    EXPECT_EQ(r.earlier(5)[1], 3);
    EXPECT_TRUE(r.earlier(6).empty());    // out of range
    EXPECT_TRUE(r.earlier(-1).empty());
}

TEST(HeadScores, PreviousTokenScore)
{
    // rows 1..4: A[1,0] + A[2,1] + A[3,2] + A[4,3] = 0.6 + 0.3 + 0.3 + 0.05 over 4 rows
    EXPECT_NEAR(previousTokenScore(fiveByFive()), 1.25 / 4.0, kTol);
}

TEST(HeadScores, SelfScoreSkipsRowsWithOneKey)
{
    // row 0 has one valid key (forced): rows 1..4: 0.4 + 0.2 + 0.4 + 0.2 over 4 rows
    EXPECT_NEAR(selfAttentionScore(fiveByFive()), 1.2 / 4.0, kTol);
}

TEST(HeadScores, DuplicateTokenScore)
{
    // Only rows 3 (id 7, earlier at 0) and 4 (id 3, earlier at 1) have an earlier copy: A[3,0] = 0.1, A[4,1] = 0.15.
    const TokenRepeats r(kIds);
    EXPECT_NEAR(duplicateTokenScore(fiveByFive(), r), (0.1 + 0.15) / 2.0, kTol);
}

TEST(HeadScores, InductionScore)
{
    // Row 3 (id 7, earlier at 0): the token after it is key 1, A[3,1] = 0.2.
    // Row 4 (id 3, earlier at 1): key 2, A[4,2] = 0.5.
    const TokenRepeats r(kIds);
    EXPECT_NEAR(inductionScore(fiveByFive(), r), (0.2 + 0.5) / 2.0, kTol);
}

TEST(HeadScores, InductionNeverCountsTheQueryItself)
{
    // ids [4, 4]: row 1's earlier copy is key 0, the key after it is the query itself: no induction row.
    AttentionMap a;
    a.tokens = 2;
    a.probs = {1.f, 0.f, 0.3f, 0.7f};
    const std::vector<int32_t> ids = {4, 4};
    const TokenRepeats r(ids);
    EXPECT_TRUE(std::isnan(inductionScore(a, r)));
    EXPECT_NEAR(duplicateTokenScore(a, r), 0.3, kTol);
}

TEST(HeadScores, TokenScoresAreNaNWithoutTokensOrRepeats)
{
    const HeadMetrics m = computeHeadMetrics(fiveByFive());
    EXPECT_TRUE(std::isnan(m.duplicateToken));
    EXPECT_TRUE(std::isnan(m.induction));
    const std::vector<int32_t> distinct = {1, 2, 3, 4, 5};
    const TokenRepeats r(distinct);
    EXPECT_TRUE(std::isnan(duplicateTokenScore(fiveByFive(), r)));
    EXPECT_TRUE(std::isnan(inductionScore(fiveByFive(), r)));
    const std::vector<int32_t> tooShort = {7, 7};
    const TokenRepeats wrongLength(tooShort);   // ids of another prompt: not used
    EXPECT_TRUE(std::isnan(computeHeadMetrics(fiveByFive(), {}, &wrongLength).induction));
}

TEST(HeadScores, SinkFreeDistanceAndEntropy)
{
    // Row 0 gives everything to key 0: excluded. Renormalised over keys ≥ 1 (s = 1 − A[i,0]):
    //   row 1: s 0.4, [1]                      distance 0
    //   row 2: s 0.5, [0.6, 0.4]               distance 0.6·1
    //   row 3: s 0.9, [2/9, 3/9, 4/9]          distance (2·2 + 3·1)/9 = 7/9
    //   row 4: s 0.9, [1/6, 5/9, 1/18, 2/9]    distance (3/6 + 2·5/9 + 1/18) = 15/9
    const AttentionMap a = fiveByFive();
    EXPECT_NEAR(sinkFreeDistance(a), (0.0 + 0.6 + 7.0 / 9.0 + 15.0 / 9.0) / 4.0, kTol);
    const double h = (entropyOf({1.0}) + entropyOf({0.6, 0.4}) + entropyOf({2.0 / 9, 3.0 / 9, 4.0 / 9})
                      + entropyOf({1.0 / 6, 5.0 / 9, 1.0 / 18, 2.0 / 9})) / 4.0;
    EXPECT_NEAR(sinkFreeEntropy(a), h, kTol);
}

TEST(HeadScores, ASinkDoesNotHideAPreviousTokenHead)
{
    // Row i ≥ 2: 0.8 on the sink (key 0), 0.2 on key i − 1. Row 1: 0.8 / 0.2 on keys 0 / 1.
    const int T = 12;
    AttentionMap a;
    a.tokens = T;
    a.probs.assign(static_cast<size_t>(T * T), 0.f);
    a.probs[0] = 1.f;
    a.probs[1 * T + 0] = 0.8f;
    a.probs[1 * T + 1] = 0.2f;
    for (int i = 2; i < T; ++i) {
        a.probs[static_cast<size_t>(i * T)] = 0.8f;
        a.probs[static_cast<size_t>(i * T + i - 1)] = 0.2f;
    }
    // With the sink the mean distance is ≈ 0.8·i on average: large.
    EXPECT_GT(meanAttentionDistance(a), 3.0);
    // Without it, row 1 looks at itself (distance 0) and every other row at the previous token (distance 1).
    EXPECT_NEAR(sinkFreeDistance(a), (0.0 + 10.0 * 1.0) / 11.0, kTol);
    EXPECT_NEAR(sinkFreeEntropy(a), 0.0, kTol);   // each renormalised row is one key
    EXPECT_NEAR(previousTokenScore(a), (0.8 + 10 * 0.2) / 11.0, kTol);
}

TEST(HeadScores, RowsAlmostAllOnTheSinkAreLeftOut)
{
    AttentionMap a;
    a.tokens = 3;
    a.probs = {1.f, 0.f, 0.f, 0.9995f, 0.0005f, 0.f, 0.5f, 0.25f, 0.25f};
    // Row 1 keeps 5e-4 < 1e-3 off the sink: only row 2 counts, renormalised [0.5, 0.5] at distances 1, 0.
    EXPECT_NEAR(sinkFreeDistance(a), 0.5, kTol);
    EXPECT_NEAR(sinkFreeEntropy(a), std::log(2.0), kTol);
    MetricParams p;
    p.sinkFreeMinMass = 1e-4;   // now row 1 counts too: [1] at distance 0
    EXPECT_NEAR(sinkFreeDistance(a, p), 0.25, kTol);
}

TEST(HeadScores, MaskedRowsAreExcluded)
{
    AttentionMap a = fiveByFive();
    a.maskedRows = {0, 0, 1, 0, 0};   // row 2 fully masked
    EXPECT_NEAR(previousTokenScore(a), (0.6 + 0.3 + 0.05) / 3.0, kTol);
    EXPECT_NEAR(selfAttentionScore(a), (0.4 + 0.4 + 0.2) / 3.0, kTol);
    a.maskedRows = {1, 1, 1, 1, 1};
    EXPECT_TRUE(std::isnan(previousTokenScore(a)));
    EXPECT_TRUE(std::isnan(selfAttentionScore(a)));
    EXPECT_TRUE(std::isnan(sinkFreeDistance(a)));
}

TEST(HeadScores, NonCausalMapsUseEveryKey)
{
    // 3×3 bidirectional map over ids [1, 2, 1]:
    //   row 0: [0.2, 0.5, 0.3]   row 1: [0.1, 0.6, 0.3]   row 2: [0.4, 0.4, 0.2]
    AttentionMap a;
    a.tokens = 3;
    a.mask = AttentionMask::bidirectional();
    a.probs = {0.2f, 0.5f, 0.3f, 0.1f, 0.6f, 0.3f, 0.4f, 0.4f, 0.2f};
    const std::vector<int32_t> ids = {1, 2, 1};
    const TokenRepeats r(ids);
    EXPECT_NEAR(previousTokenScore(a), (0.1 + 0.4) / 2.0, kTol);
    EXPECT_NEAR(selfAttentionScore(a), (0.2 + 0.6 + 0.2) / 3.0, kTol);   // every row has three keys
    EXPECT_NEAR(duplicateTokenScore(a, r), 0.4, kTol);                  // row 2: key 0 (earlier keys only)
    EXPECT_NEAR(inductionScore(a, r), 0.4, kTol);                       // row 2: key 1 follows key 0
    // Sink-free distance: row 0 [0.5, 0.3]/0.8 at distances 1, 2; row 1 [0.6, 0.3]/0.9 at 0, 1;
    // row 2 [0.4, 0.2]/0.6 at 1, 0.
    EXPECT_NEAR(sinkFreeDistance(a), ((0.5 + 0.6) / 0.8 + 0.3 / 0.9 + 0.4 / 0.6) / 3.0, kTol);
}

TEST(HeadScores, TableCarriesEveryScoreAndIdsRoundTrip)
{
    const TokenRepeats r(kIds);
    auto m = std::make_shared<AttentionMap>(fiveByFive());
    std::vector<AttentionMapPtr> maps(2 * 2);
    maps[3] = m;
    const MetricsTable t = buildMetricsTable(maps, 2, 2, {}, &r);
    EXPECT_NEAR(t.value(1, 1, HeadMetric::Induction), 0.35, kTol);
    EXPECT_NEAR(t.value(1, 1, HeadMetric::PrevToken), 0.3125, kTol);
    for (int i = 0; i < kHeadMetricCount; ++i) {
        const auto metric = static_cast<HeadMetric>(i);
        EXPECT_TRUE(std::isnan(t.value(0, 0, metric))) << headMetricId(metric);
        EXPECT_FALSE(std::isnan(t.value(1, 1, metric))) << headMetricId(metric);
        HeadMetric back{};
        ASSERT_TRUE(headMetricFromId(headMetricId(metric), back));
        EXPECT_EQ(back, metric);
        EXPECT_FALSE(headMetricDefinition(metric).empty());
    }
    EXPECT_TRUE(headMetricNeedsTokens(HeadMetric::Induction));
    EXPECT_FALSE(headMetricNeedsTokens(HeadMetric::PrevToken));
}

TEST(HeadRanking, OrdersByScoreWithNaNLastAndTiesByPosition)
{
    MetricsTable t;
    t.layers = 2;
    t.heads = 3;
    t.cells.assign(6, HeadMetrics::missing());
    auto set = [&](int l, int h, double v) { t.cells[static_cast<size_t>(l * 3 + h)].prevToken = v; };
    set(0, 0, 0.2);
    set(0, 1, 0.9);
    set(0, 2, 0.5);
    set(1, 0, 0.5);
    set(1, 2, 0.1);   // (1, 1) stays NaN
    const auto desc = rankHeads(t, HeadMetric::PrevToken);
    ASSERT_EQ(desc.size(), 6u);
    const int expected[6][2] = {{0, 1}, {0, 2}, {1, 0}, {0, 0}, {1, 2}, {1, 1}};
    for (size_t k = 0; k < 6; ++k) {
        EXPECT_EQ(desc[k].layer, expected[k][0]) << k;
        EXPECT_EQ(desc[k].head, expected[k][1]) << k;
    }
    EXPECT_DOUBLE_EQ(desc[0].score, 0.9);
    EXPECT_TRUE(std::isnan(desc[5].score));
    const auto asc = rankHeads(t, HeadMetric::PrevToken, /*ascending=*/true);
    EXPECT_EQ(asc[0].layer, 1);
    EXPECT_EQ(asc[0].head, 2);
    EXPECT_EQ(asc[2].layer, 0);   // ties keep (layer, head) order in both directions
    EXPECT_EQ(asc[2].head, 2);
    EXPECT_TRUE(std::isnan(asc[5].score));
}

TEST(AttentionReceived, MeanOverLaterQueriesAndOneQuery)
{
    const AttentionMap a = fiveByFive();
    EXPECT_NEAR(attentionReceived(a, 1), (0.3 + 0.2 + 0.15) / 3.0, kTol);
    EXPECT_NEAR(attentionReceived(a, 0), (0.6 + 0.5 + 0.1 + 0.1) / 4.0, kTol);   // = the sink share
    EXPECT_NEAR(attentionReceived(a, 0), firstTokenShare(a), kTol);
    EXPECT_TRUE(std::isnan(attentionReceived(a, 4)));   // no later query
    EXPECT_TRUE(std::isnan(attentionReceived(a, 9)));
    EXPECT_NEAR(attentionFromQuery(a, 4, 2), 0.5, kTol);
    EXPECT_TRUE(std::isnan(attentionFromQuery(a, 2, 3)));   // masked
    AttentionMap b = a;
    b.maskedRows = {0, 0, 0, 1, 0};
    EXPECT_NEAR(attentionReceived(b, 1), (0.3 + 0.15) / 2.0, kTol);
    EXPECT_TRUE(std::isnan(attentionFromQuery(b, 3, 1)));
}

TEST(MemoryBudget, CaptureBytesAndTheLargestPromptThatFits)
{
    EXPECT_EQ(captureBytes(10, 2), 2u * 10u * 11u * 4u);
    EXPECT_EQ(captureBytes(0, 5), 0u);
    EXPECT_EQ(maxTokensWithinBudget(880, 2), 10);
    EXPECT_EQ(maxTokensWithinBudget(879, 2), 9);
    EXPECT_EQ(maxTokensWithinBudget(7, 1), 0);   // one token needs 8 bytes
    EXPECT_EQ(maxHeadsWithinBudget(880, 10), 2u);
    EXPECT_EQ(maxHeadsWithinBudget(879, 10), 1u);
    // SmolLM2's 270 heads under a 16 GiB budget: the answer is exact at the boundary.
    const uint64_t budget = uint64_t(16) << 30;
    const int64_t t = maxTokensWithinBudget(budget, 270);
    EXPECT_LE(captureBytes(t, 270), budget);
    EXPECT_GT(captureBytes(t + 1, 270), budget);
    EXPECT_GT(t, 3800);
    EXPECT_LT(t, 4000);
}

namespace {

std::unique_ptr<Tokenizer> tinyLlamaTokenizer()
{
    std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama/tokenizer.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return makeTokenizerFromHfJson(ss.str(), "", "tokenizer.json");
}

} // namespace

TEST(InductionProbe, TwoCopiesOfDistinctSingleTokenWords)
{
    // The tiny fixture tokenizer has exactly four single-token words (" the", " at", " tok", " token").
    const auto tok = tinyLlamaTokenizer();
    const InductionProbe p = makeInductionProbe(*tok, 4, 7);
    ASSERT_EQ(p.randomIds.size(), 4u);
    std::vector<int32_t> twice = p.randomIds;
    twice.insert(twice.end(), p.randomIds.begin(), p.randomIds.end());
    EXPECT_EQ(tok->encode(p.text, false).ids, twice);
    for (size_t i = 0; i < p.randomIds.size(); ++i)
        for (size_t j = i + 1; j < p.randomIds.size(); ++j)
            EXPECT_NE(p.randomIds[i], p.randomIds[j]);
    EXPECT_EQ(makeInductionProbe(*tok, 4, 7).text, p.text);   // deterministic for a seed
    // On the probe's own ids, a perfect induction head (row i of the second copy on key i − n + 1) scores 1.
    const int n = 4, T = 2 * n;
    AttentionMap a;
    a.tokens = T;
    a.probs.assign(static_cast<size_t>(T * T), 0.f);
    for (int i = 0; i < T; ++i)
        a.probs[static_cast<size_t>(i * T + (i >= n ? i - n + 1 : 0))] = 1.f;
    const TokenRepeats r(twice);
    EXPECT_NEAR(inductionScore(a, r), 1.0, kTol);
    EXPECT_NEAR(duplicateTokenScore(a, r), 0.0, kTol);
}

TEST(InductionProbe, RefusesWhenTheVocabularyIsTooSmall)
{
    const auto tok = tinyLlamaTokenizer();
    EXPECT_THROW(makeInductionProbe(*tok, 5), Error);
    EXPECT_THROW(makeInductionProbe(*tok, 1), Error);
}
