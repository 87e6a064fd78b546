// The per-layer report behind `attnscope-cli stats` (core/metrics/layer_report.h) on hand-computed maps and
// series: first-token share without row 0, the sink rate with every row, gate statistics, sink mass, λ and the
// negative share of a combined map. A quantity the layer did not produce stays absent.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/layer_report.h"

#include "core/attention/tile_recompute.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace attnscope;

namespace {

AttentionMapPtr map3(int head, std::vector<float> probs, Quantity q = Quantity::AttentionProbs)
{
    auto m = std::make_shared<AttentionMap>();
    m->quantity = q;
    m->head = head;
    m->tokens = 3;
    m->probs.assign(probs.begin(), probs.end());
    return m;
}

CapturedSeriesPtr series(Quantity q, int head, std::vector<float> v)
{
    auto s = std::make_shared<CapturedSeries>();
    s->key = {q, 0, head};
    s->shape = {static_cast<int64_t>(v.size())};
    s->values = std::move(v);
    return s;
}

} // namespace

TEST(LayerReport, FirstTokenShareSinkRateAndMassiveActivations)
{
    // head 0: rows 1, 2 put 0.5 and 0.25 on token 0 → F = 0.375; α (rows 0..2) = (1 + 0.5 + 0.25)/3 = 0.583
    // head 1: rows 1, 2 put 0.1 and 0.1 on token 0 → F = 0.1; α = (1 + 0.1 + 0.1)/3 = 0.4
    auto h0 = map3(0, {1, 0, 0, 0.5f, 0.5f, 0, 0.25f, 0.25f, 0.5f});
    auto h1 = map3(1, {1, 0, 0, 0.1f, 0.9f, 0, 0.1f, 0.4f, 0.5f});
    LayerStats st;
    st.hiddenMaxAbs = 812.5f;
    st.maxToken = 0;
    st.maxDim = 17;
    LayerReportBuilder b(2, 0.5);
    b.addLayer(0, st, {h0, h1}, {});
    const LayerReport& r = b.report().layers.at(0);
    ASSERT_TRUE(r.firstTokenShare);
    EXPECT_NEAR(*r.firstTokenShare, (0.375 + 0.1) / 2, 1e-7);
    EXPECT_NEAR(r.firstTokenSharePerHead[1], 0.1, 1e-7);
    ASSERT_TRUE(r.sinkRate);
    EXPECT_DOUBLE_EQ(*r.sinkRate, 0.5);   // only head 0's α = 0.583 exceeds 0.5
    EXPECT_FLOAT_EQ(r.maxAbsHidden, 812.5f);
    EXPECT_EQ(r.maxDim, 17);
    EXPECT_FALSE(r.gateMean);
    EXPECT_FALSE(r.sinkMass);
    EXPECT_TRUE(r.lambda.empty());
    EXPECT_FALSE(r.diffNegativeShare);
}

TEST(LayerReport, GateSinkLambdaAndDifferentialStatistics)
{
    LayerReportBuilder b(2);
    auto combined = map3(0, {1, 0, 0, 0.6f, -0.2f, 0, 0.3f, -0.1f, 0.4f}, Quantity::AttentionCombined);
    b.addLayer(3, LayerStats{},
               {combined},
               {series(Quantity::Gate, 0, {0.05f, 0.2f, 0.7f, 0.005f}), series(Quantity::Gate, 1, {0.5f, 0.9f}),
                series(Quantity::AttnOutNormPre, 0, {2.f, 4.f}), series(Quantity::AttnOutNormPost, 0, {0.5f, 0.25f}),
                series(Quantity::SinkProb, 0, {0.2f, 0.4f}), series(Quantity::SinkProb, 1, {0.0f, 0.6f}),
                series(Quantity::Lambda, 1, {0.25f, 0.75f})});
    const LayerReport& r = b.report().layers.at(0);
    ASSERT_TRUE(r.gateMean);
    EXPECT_NEAR(*r.gateMean, (0.05 + 0.2 + 0.7 + 0.005 + 0.5 + 0.9) / 6, 1e-6);
    EXPECT_NEAR(r.gateFracBelow.at(0.5), 3.0 / 6, 1e-12);   // 0.05, 0.2, 0.005 (0.5 itself is not below)
    EXPECT_NEAR(r.gateFracBelow.at(0.1), 2.0 / 6, 1e-12);
    EXPECT_NEAR(r.gateFracBelow.at(0.01), 1.0 / 6, 1e-12);
    EXPECT_NEAR(*r.attnOutNormBeforeGate, 3.0, 1e-6);
    EXPECT_NEAR(*r.attnOutNormAfterGate, 0.375, 1e-6);
    EXPECT_NEAR(*r.sinkMass, 0.3, 1e-6);
    ASSERT_EQ(r.lambda.size(), 2u);
    EXPECT_TRUE(std::isnan(r.lambda[0]));
    EXPECT_NEAR(r.lambda[1], 0.5, 1e-7);
    // |D| mass 1 + 0.6 + 0.2 + 0.3 + 0.1 + 0.4 = 2.6, negative 0.3
    EXPECT_NEAR(*r.diffNegativeShare, 0.3 / 2.6, 1e-6);
    EXPECT_FALSE(r.firstTokenShare);   // no probability map captured
}

TEST(LayerReport, SinkRateCountsEveryValidRowAndCanBeReadAtAnotherThreshold)
{
    // Gu et al.: α_h = mean over all valid rows (query 0 included) of A[i, 0]; the sink rate is the share of heads
    // with α > ε. Head 0 (causal): rows put 1, 0.2, 0.1 on token 0 → α = 0.4333. Head 1 (causal) puts 1, 0.05, 0.05
    // → α = 0.3667. Head 2 slides a window of 2 keys: key 0 is masked in row 2 and counts 0 → α = (1 + 0.5 + 0)/3.
    // Head 3 has every row masked: no α, not counted.
    auto h0 = map3(0, {1, 0, 0, 0.2f, 0.8f, 0, 0.1f, 0.2f, 0.7f});
    auto h1 = map3(1, {1, 0, 0, 0.05f, 0.95f, 0, 0.05f, 0.05f, 0.9f});
    auto h2w = std::make_shared<AttentionMap>(*map3(2, {1, 0, 0, 0.5f, 0.5f, 0, 0, 0.4f, 0.6f}));
    h2w->mask = AttentionMask::sliding(2);
    auto h3w = std::make_shared<AttentionMap>(*map3(3, {0, 0, 0, 0, 0, 0, 0, 0, 0}));
    h3w->maskedRows = {1, 1, 1};
    LayerReportBuilder b(4);   // default ε = 0.3
    b.addLayer(0, LayerStats{}, {h0, h1, h2w, h3w}, {series(Quantity::SinkProb, 2, {0.25f, 0.75f})});
    const LayerReport& r = b.report().layers.at(0);
    ASSERT_EQ(r.firstTokenAlphaPerHead.size(), 4u);
    EXPECT_NEAR(r.firstTokenAlphaPerHead[0], 1.3 / 3, 1e-7);
    EXPECT_NEAR(r.firstTokenAlphaPerHead[1], 1.1 / 3, 1e-7);
    EXPECT_NEAR(r.firstTokenAlphaPerHead[2], 1.5 / 3, 1e-7);
    EXPECT_TRUE(std::isnan(r.firstTokenAlphaPerHead[3]));
    ASSERT_TRUE(r.sinkRate);
    EXPECT_DOUBLE_EQ(*r.sinkRate, 1.0) << "all three α exceed 0.3";
    EXPECT_DOUBLE_EQ(*r.sinkRateAt(0.4), 2.0 / 3) << "0.433 and 0.5 exceed 0.4";
    EXPECT_DOUBLE_EQ(*r.sinkRateAt(0.5), 0.0) << "strictly above the threshold";
    EXPECT_DOUBLE_EQ(*b.report().sinkRate(0.4), 2.0 / 3);
    // per-head sink mass: only head 2 has a sink series
    ASSERT_EQ(r.sinkMassPerHead.size(), 4u);
    EXPECT_NEAR(r.sinkMassPerHead[2], 0.5, 1e-7);
    EXPECT_TRUE(std::isnan(r.sinkMassPerHead[0]));

    LayerReportBuilder second(4);
    second.addLayer(0, LayerStats{}, {h0}, {});
    second.addLayer(1, LayerStats{}, {h1, h2w}, {});
    EXPECT_DOUBLE_EQ(*second.report().sinkRate(0.4), 2.0 / 3) << "pooled over (layer, head) pairs";
    EXPECT_FALSE(LayerReportBuilder(2).report().sinkRate(0.3));
}

namespace {

/// A one-head layer kept the long-run way (queries, keys, row normalisers) from fixed numbers; the normalisers
/// are computed here in double, so the test does not lean on the forward's kernel.
std::shared_ptr<HeadTileSource> longHead(int64_t T, const AttentionMask& mask, std::vector<double>& probsOut)
{
    constexpr int d = 4;
    constexpr float scale = 0.5f;
    auto q = std::make_shared<CapturedSeries>(), k = std::make_shared<CapturedSeries>(),
         lse = std::make_shared<CapturedSeries>();
    for (int64_t i = 0; i < T; ++i)
        for (int c = 0; c < d; ++c) {
            q->values.push_back(std::sin(0.7f * float(i) + float(c)) * 2.f);
            k->values.push_back(std::cos(0.3f * float(i * (c + 1))) * 1.5f);
        }
    q->shape = {T, d};
    k->shape = {T, d};
    lse->shape = {2, T};
    lse->values.assign(static_cast<size_t>(2 * T), 0.f);
    lse->mask = std::make_shared<const AttentionMask>(mask);
    probsOut.assign(static_cast<size_t>(T * T), 0.0);
    for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(static_cast<size_t>(T), -INFINITY);
        double m = -INFINITY;
        for (int64_t j = 0; j < T; ++j) {
            if (!mask.valid(i, j))
                continue;
            double dot = 0;
            for (int c = 0; c < d; ++c)
                dot += double(q->values[size_t(i * d + c)]) * k->values[size_t(j * d + c)];
            s[size_t(j)] = scale * dot;
            m = std::max(m, s[size_t(j)]);
        }
        double z = 0;
        for (int64_t j = 0; j < T; ++j)
            z += std::isinf(s[size_t(j)]) ? 0.0 : std::exp(s[size_t(j)] - m);
        lse->values[size_t(i)] = float(m);
        lse->values[size_t(T + i)] = float(std::log(z));
        for (int64_t j = 0; j < T; ++j)
            probsOut[size_t(i * T + j)] = std::isinf(s[size_t(j)]) ? 0.0 : std::exp(s[size_t(j)] - m) / z;
    }
    return std::make_shared<HeadTileSource>(q, k, lse, 0, 1, 1, d, scale);
}

} // namespace

TEST(LayerReport, LongRunSharesFromRecomputedColumnEqualTheMapsAndTheDefinition)
{
    // A long run keeps no map: head 0 (causal) and head 1 (sliding window of 3 keys, so key 0 is masked from row 3
    // on and counts 0) give their A[i, 0] means from column 0 recomputed. They must equal the definition
    // (share: rows i ≥ 1; α: every row) and what addLayer reads from the same heads' maps.
    constexpr int64_t T = 9;
    std::vector<double> p0, p1;
    auto causal = longHead(T, AttentionMask::causal(), p0);
    auto sliding = longHead(T, AttentionMask::sliding(3), p1);
    for (const auto& [src, p] : {std::pair{causal, &p0}, std::pair{sliding, &p1}}) {
        double share = 0, col0 = (*p)[0];
        for (int64_t i = 1; i < T; ++i)
            share += (*p)[size_t(i * T)];
        const HeadSinkShares s = headSinkSharesFromTiles(*src);
        EXPECT_NEAR(s.share, share / double(T - 1), 1e-6);
        EXPECT_NEAR(s.alpha, (share + col0) / double(T), 1e-6);
    }
    EXPECT_NEAR(headSinkSharesFromTiles(*sliding).share,
                (p1[size_t(1 * T)] + p1[size_t(2 * T)]) / double(T - 1), 1e-6) << "rows ≥ 3 cannot see key 0";

    auto m0 = causal->materialise(0), m1 = sliding->materialise(0);
    m0->head = 0;
    m1->head = 1;
    LayerReportBuilder dense(2, 0.2), streamed(2, 0.2);
    LayerStats st;
    st.hiddenMaxAbs = 3.5f;
    dense.addLayer(0, st, {m0, m1}, {series(Quantity::SinkProb, 1, {0.25f, 0.75f})});
    streamed.addStreamedLayer(0, st, {headSinkSharesFromTiles(*causal), headSinkSharesFromTiles(*sliding)},
                              {series(Quantity::SinkProb, 1, {0.25f, 0.75f})});
    const LayerReport &a = dense.report().layers.at(0), &b = streamed.report().layers.at(0);
    for (int h = 0; h < 2; ++h) {
        EXPECT_NEAR(a.firstTokenSharePerHead[size_t(h)], b.firstTokenSharePerHead[size_t(h)], 1e-7);
        EXPECT_NEAR(a.firstTokenAlphaPerHead[size_t(h)], b.firstTokenAlphaPerHead[size_t(h)], 1e-7);
    }
    ASSERT_TRUE(a.firstTokenShare && b.firstTokenShare && a.sinkRate && b.sinkRate);
    EXPECT_NEAR(*a.firstTokenShare, *b.firstTokenShare, 1e-7);
    EXPECT_DOUBLE_EQ(*a.sinkRate, *b.sinkRate);
    for (double eps : {0.05, 0.1, 0.2, 0.4})
        EXPECT_EQ(a.sinkRateAt(eps), b.sinkRateAt(eps)) << eps;
    EXPECT_FLOAT_EQ(b.maxAbsHidden, 3.5f);
    ASSERT_TRUE(b.sinkMass);
    EXPECT_NEAR(*b.sinkMass, 0.5, 1e-7);

    // A head the run did not keep stays absent, not zero.
    LayerReportBuilder partial(2);
    partial.addStreamedLayer(0, st, {headSinkSharesFromTiles(*causal)}, {});
    EXPECT_TRUE(std::isnan(partial.report().layers.at(0).firstTokenSharePerHead[1]));
    EXPECT_EQ(*partial.report().layers.at(0).sinkRateAt(0.0), 1.0);
}
