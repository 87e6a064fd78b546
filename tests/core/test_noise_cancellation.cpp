// The differential view's noise-cancellation measure (core/metrics/noise_cancellation.h) on hand-computed maps:
// signal and noise mass on A1, on λ·A2 (= A1 − D) and on D, the SNR gain, the negative share of D, the default
// query rows, masked cells that are never read, and the pooled average over heads.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/noise_cancellation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

using namespace attnscope;

namespace {

AttentionMap map4(std::vector<float> v, AttentionMask mask = AttentionMask::causal(),
                  Quantity q = Quantity::AttentionProbs)
{
    AttentionMap m;
    m.quantity = q;
    m.tokens = 4;
    m.mask = mask;
    m.probs.assign(v.begin(), v.end());
    m.maskedRows.assign(4, 0);
    return m;
}

// A1 and A2 of one head (causal, 4 tokens) and D = A1 − 0.5·A2:
//   A1: [1 0 0 0] [.5 .5 0 0] [.2 .6 .2 0] [.1 .5 .1 .3]
//   A2: [1 0 0 0] [.8 .2 0 0] [.4 .2 .4 0] [.3 .1 .3 .3]
//   D : [.5 0 0 0] [.1 .4 0 0] [0 .5 0 0] [−.05 .45 −.05 .15]
const std::vector<float> kA1 = {1, 0, 0, 0, .5f, .5f, 0, 0, .2f, .6f, .2f, 0, .1f, .5f, .1f, .3f};
const std::vector<float> kD = {.5f, 0, 0, 0, .1f, .4f, 0, 0, 0, .5f, 0, 0, -.05f, .45f, -.05f, .15f};

} // namespace

TEST(NoiseCancellation, SignalAndNoiseBeforeAndAfterTheSubtraction)
{
    const AttentionMap a1 = map4(kA1), d = map4(kD, AttentionMask::causal(), Quantity::AttentionCombined);
    // Signal span: key 1. Default rows: the rows after the span, 2 and 3.
    const NoiseCancellation r = measureNoiseCancellation(a1, d, {1, 2});
    EXPECT_EQ(r.rows, 2);
    EXPECT_NEAR(r.before.signal, (0.6 + 0.5) / 2, 1e-6);
    EXPECT_NEAR(r.before.noise, (0.4 + 0.5) / 2, 1e-6);
    EXPECT_NEAR(r.before.snr(), 0.55 / 0.45, 1e-5);
    // λ·A2 = A1 − D: rows 2 [.2 .1 .2] and 3 [.15 .05 .15 .15]
    EXPECT_NEAR(r.removed.signal, (0.1 + 0.05) / 2, 1e-6);
    EXPECT_NEAR(r.removed.noise, (0.4 + 0.45) / 2, 1e-6);
    // D: signal (.5 + .45) / 2; noise |0| + |0| and |−.05| + |−.05| + |.15|
    EXPECT_NEAR(r.after.signal, 0.475, 1e-6);
    EXPECT_NEAR(r.after.noise, 0.125, 1e-6);
    EXPECT_NEAR(r.after.snr(), 3.8, 1e-5);
    EXPECT_NEAR(r.snrGain(), 3.8 / (0.55 / 0.45), 1e-5);
    // negative share over rows 2–3: 0.1 of |D| mass 0.5 + 0.7
    EXPECT_NEAR(r.negativeShare(), 0.1 / 1.2, 1e-6);

    // Explicit rows 0–1 (before the span ends): row 0 cannot see key 1 at all.
    const NoiseCancellation early = measureNoiseCancellation(a1, d, {1, 2}, {0, 2});
    EXPECT_EQ(early.rows, 2);
    EXPECT_NEAR(early.before.signal, (0 + 0.5) / 2, 1e-6);
    EXPECT_NEAR(early.after.noise, (0.5 + 0.1) / 2, 1e-6);
    EXPECT_NEAR(early.negativeShare(), 0.0, 1e-12);
}

TEST(NoiseCancellation, DefaultRowsAndMaskedCellsAreNeverRead)
{
    EXPECT_EQ(defaultQueryRows({1, 3}, 6).begin, 3);
    EXPECT_EQ(defaultQueryRows({1, 3}, 6).end, 6);
    EXPECT_EQ(defaultQueryRows({2, 6}, 6).begin, 2) << "a span reaching the end: rows from its start";
    EXPECT_EQ(defaultQueryRows({2, 9}, 6).end, 6);

    // Sliding window of 2 keys: row i sees {i − 1, i}. Masked cells hold 9 to prove they are skipped.
    const AttentionMap a = map4({1, 9, 9, 9, .4f, .6f, 9, 9, 9, .3f, .7f, 9, 9, 9, .4f, .6f}, AttentionMask::sliding(2));
    const NoiseCancellation r = measureNoiseCancellation(a, a, {2, 3});
    EXPECT_EQ(r.rows, 1);   // row 3
    EXPECT_NEAR(r.before.signal, 0.4, 1e-6);
    EXPECT_NEAR(r.before.noise, 0.6, 1e-6);
    EXPECT_NEAR(r.removed.signal, 0.0, 1e-12) << "D = A1: nothing removed";
    EXPECT_NEAR(r.snrGain(), 1.0, 1e-9);

    AttentionMap masked = a;
    masked.maskedRows = {1, 1, 1, 1};
    const NoiseCancellation none = measureNoiseCancellation(masked, masked, {2, 3});
    EXPECT_EQ(none.rows, 0);
    EXPECT_TRUE(std::isnan(none.before.signal));
    EXPECT_TRUE(std::isnan(none.snrGain()));
    EXPECT_TRUE(std::isnan(none.negativeShare()));
}

TEST(NoiseCancellation, AverageOverHeadsPoolsSignalNoiseAndMasses)
{
    const AttentionMap a1 = map4(kA1), d = map4(kD, AttentionMask::causal(), Quantity::AttentionCombined);
    const NoiseCancellation h0 = measureNoiseCancellation(a1, d, {1, 2});
    const NoiseCancellation h1 = measureNoiseCancellation(a1, a1, {1, 2});   // λ = 0: nothing cancelled
    const NoiseCancellation none{};                                         // rows = 0: skipped
    const std::vector<NoiseCancellation> heads = {h0, h1, none};
    const NoiseCancellation avg = averageNoiseCancellation(heads);
    EXPECT_EQ(avg.rows, 4);
    EXPECT_NEAR(avg.before.signal, 0.55, 1e-6);
    EXPECT_NEAR(avg.after.signal, (0.475 + 0.55) / 2, 1e-6);
    EXPECT_NEAR(avg.after.noise, (0.125 + 0.45) / 2, 1e-6);
    EXPECT_NEAR(avg.after.snr(), 0.5125 / 0.2875, 1e-5);
    EXPECT_NEAR(avg.negativeShare(), 0.1 / (1.2 + 2.0), 1e-6);   // h1's |D| mass over rows 2–3 is 2.0
    EXPECT_TRUE(std::isnan(averageNoiseCancellation({}).before.snr()));
}
