// Long prompts without every map (docs/LONG-CONTEXT.md): on SmolLM2 at 1,024 tokens, tiles recomputed from the
// captured queries, keys and per-row log-sum-exps equal the maps the forward stored (every layer, a sample of
// heads, ≤ 1e-6); the scores streamed row by row equal the scores of the stored maps exactly; the pooled coarse
// maps equal a brute-force pooling of the stored maps. On Gemma 3 at 8,192 tokens (the CI-sized long run; 32k is a
// benchmark) a streaming run completes with every head's scores and pooled map, and a recomputed row of a global
// layer equals its sliding-window-free definition while a local layer's row stops at its 512-key window.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

#include "core/attention/tile_recompute.h"
#include "core/backend/backend_set.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/streaming_head_stats.h"
#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

using namespace attnscope;

namespace {

std::vector<int32_t> longIds(const LoadedModel& model, int64_t n)
{
    const std::string text =
        "Attention heads look back at earlier tokens. Some attend to the first token, some to the previous one, and "
        "some copy what followed an earlier occurrence of the current token. Long prompts make these patterns visible. ";
    std::vector<int32_t> ids;
    while (static_cast<int64_t>(ids.size()) < n) {
        const TokenizedText t = model.tokenizer().encode(text, ids.empty());
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
    }
    ids.resize(static_cast<size_t>(n));
    return ids;
}

BackendSet cpu2()
{
    BackendSet b;
    b.primary = std::make_unique<cpu::CpuBackend>(2);
    return b;
}

} // namespace

TEST(LongContext, RecomputedTilesStreamedScoresAndPooledMapsEqualTheStoredMaps)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kSmolLM2);
    auto model = LoadedModel::open(path);
    const ModelConfig& cfg = model->config();
    BackendSet backends = cpu2();
    RunRequest req;
    req.ids = longIds(*model, 1024);
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.quantities = {Quantity::AttentionProbs, Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp,
                              Quantity::HeadScores, Quantity::CoarseMax, Quantity::CoarseMean};
    const RunResult r = executeRun(model, backends, req);
    const TokenRepeats repeats(*req.ids);
    double worstTile = 0;
    int checkedHeads = 0;
    for (int l = 0; l < cfg.nLayers; ++l)
        for (int h = 0; h < cfg.nHeads; ++h) {
            AttentionMapPtr m = r.captures.map(l, h);
            ASSERT_TRUE(m);
            // streamed scores == stored-map scores, exactly (the same floats through the same accumulator)
            CapturedSeriesPtr sc = r.captures.series(Quantity::HeadScores, l, h);
            ASSERT_TRUE(sc);
            const HeadMetrics stored = computeHeadMetrics(*m, {}, &repeats);
            for (int k = 0; k < kHeadMetricCount; ++k) {
                const float want = static_cast<float>(stored.value(static_cast<HeadMetric>(k)));
                if (std::isnan(want))
                    EXPECT_TRUE(std::isnan(sc->values[size_t(k)]));
                else
                    ASSERT_EQ(sc->values[size_t(k)], want) << "L" << l << "H" << h << " " << headMetricId(static_cast<HeadMetric>(k));
            }
            // pooled maps == brute-force pooling of the stored map
            CapturedSeriesPtr mx = r.captures.series(Quantity::CoarseMax, l, h), mean = r.captures.series(Quantity::CoarseMean, l, h);
            ASSERT_TRUE(mx && mean);
            const int64_t p = StreamingHeadStats::poolFor(1024), side = mx->shape[0];
            ASSERT_EQ(side, 256);
            for (int64_t gr = 0; gr < side; gr += 37)
                for (int64_t gc = 0; gc < side; gc += 23) {
                    float best = NAN;
                    double sum = 0;
                    int n = 0;
                    for (int64_t i = gr * p; i < (gr + 1) * p; ++i)
                        for (int64_t j = gc * p; j < (gc + 1) * p; ++j)
                            if (!m->isMasked(i, j)) {
                                const float v = m->at(i, j);
                                best = std::isnan(best) ? v : std::max(best, v);
                                sum += v;
                                ++n;
                            }
                    const float gotMax = mx->values[size_t(gr * side + gc)], gotMean = mean->values[size_t(gr * side + gc)];
                    if (n == 0) {
                        EXPECT_TRUE(std::isnan(gotMax) && std::isnan(gotMean));
                    } else {
                        EXPECT_EQ(gotMax, best);
                        EXPECT_NEAR(gotMean, sum / n, 1e-7);
                    }
                }
            // recomputed tiles == stored map, for a sample of heads in every layer
            if ((l * cfg.nHeads + h) % 4 != 0)
                continue;
            ++checkedHeads;
            HeadTileSource src(r.captures.series(Quantity::Queries, l, -1), r.captures.series(Quantity::Keys, l, -1),
                               r.captures.series(Quantity::RowLogSumExp, l, h), h, cfg.nHeads, cfg.nKvHeads, cfg.headDim,
                               cfg.attnScale);
            std::vector<float> tile(256 * 256);
            for (int64_t i0 : {0, 384, 768})
                for (int64_t j0 : {0, 256, 768}) {
                    src.tile(i0, i0 + 256, j0, j0 + 256, tile.data());
                    for (int64_t i = 0; i < 256; ++i)
                        for (int64_t j = 0; j < 256; ++j)
                            worstTile = std::max(worstTile, double(std::fabs(tile[size_t(i * 256 + j)] - m->at(i0 + i, j0 + j))));
                }
        }
    std::printf("[ measured ] recomputed tiles vs stored maps: max |Δ| %.2e over %d heads\n", worstTile, checkedHeads);
    EXPECT_LE(worstTile, 1e-6);
    EXPECT_EQ(checkedHeads, (cfg.nLayers * cfg.nHeads + 3) / 4);
}

TEST(LongContext, Gemma3At8kStreamsEveryHeadWithoutStoringMaps)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kGemma3);
    auto model = LoadedModel::open(path);
    const ModelConfig& cfg = model->config();
    BackendSet backends = cpu2();
    RunRequest req;
    req.ids = longIds(*model, 8192);
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.quantities = {Quantity::Queries, Quantity::Keys, Quantity::RowLogSumExp, Quantity::HeadScores,
                              Quantity::CoarseMax};
    const RunResult r = executeRun(model, backends, req);
    EXPECT_EQ(r.captures.mapCount(), 0u) << "no T × T map is stored";
    std::printf("[ measured ] Gemma 3 at 8192 tokens, streaming: forward %.0f ms, captures %.0f MB\n", r.timings.totalMs,
                double(r.captures.bytes()) / 1e6);
    for (int l = 0; l < cfg.nLayers; ++l)
        for (int h = 0; h < cfg.nHeads; ++h) {
            CapturedSeriesPtr sc = r.captures.series(Quantity::HeadScores, l, h);
            ASSERT_TRUE(sc);
            EXPECT_TRUE(std::isfinite(sc->values[size_t(HeadMetric::Entropy)]));
        }
    // A local layer's row stops at its 512-key window; a global layer's row spans the prompt; both sum to 1.
    for (int l : {0, 5}) {
        HeadTileSource src(r.captures.series(Quantity::Queries, l, -1), r.captures.series(Quantity::Keys, l, -1),
                           r.captures.series(Quantity::RowLogSumExp, l, 1), 1, cfg.nHeads, cfg.nKvHeads, cfg.headDim,
                           cfg.attnScale);
        const std::vector<float> row = src.row(8000);
        double sum = 0;
        int64_t nonzero = 0;
        for (float v : row) {
            sum += v;
            nonzero += v > 0 ? 1 : 0;
        }
        EXPECT_NEAR(sum, 1.0, 1e-4) << "layer " << l;
        if (l == 0)
            EXPECT_EQ(nonzero, 512) << "the sliding window";
        else
            EXPECT_GT(nonzero, 4000);
    }
}
