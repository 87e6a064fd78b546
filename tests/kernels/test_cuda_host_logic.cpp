// The host-testable half of the CUDA kernels (docs/CUDA.md "What is verified where"), built and run in every
// build, GPU or not: the device copy of the mask (mask_math.h) against core's AttentionMask and brute force, the
// per-row softmax bookkeeping (softmax_math.h) driven through the kernels' tile loop against an fp64 softmax, the
// activation formulas against the CPU reference, and the launch heuristics' invariants (cuda_heuristics.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_mask.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/activation_math.h"
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/mask_math.h"
#include "kernels/cuda/mask_tables.h"
#include "kernels/cuda/softmax_math.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <vector>

using namespace attnscope;

namespace {

/// A core mask and its device form with the tables attached as host copies (the mask functions are plain C++ on
/// the host).
struct MaskCase {
    AttentionMask core;
    cuda::MaskTables tables;
    cuda::MaskParams dev;
    bool exactTiles = false;   // maskTileMayHaveValid must be exact (the kinds whose tile skipping matters)
};

std::vector<MaskCase> maskCases(int64_t T)
{
    std::vector<AttentionMask> masks = {AttentionMask::causal(), AttentionMask::bidirectional()};
    for (bool causal : {true, false})
        for (int64_t w : {1, 2, 3, 5, 20}) {
            masks.push_back(AttentionMask::sliding(w, causal));
            for (int64_t s : {0, 1, 3})
                masks.push_back(AttentionMask::slidingWithSinks(w, s, causal));
        }
    for (bool causal : {true, false}) {
        masks.push_back(AttentionMask::longformer(2, {0, 3, 11, 40}, causal));
        masks.push_back(AttentionMask::longformer(5, {}, causal));
        masks.push_back(AttentionMask::fixed(4, 1, causal));
        masks.push_back(AttentionMask::fixed(3, 0, causal));
        masks.push_back(AttentionMask::fixed(5, 5, causal));
        auto layout = std::make_shared<BlockLayout>();
        layout->block = 3;
        layout->allowed = {{0}, {0, 1}, {0, 2, 3}, {1, 3, 7}};   // block 7 is past any T here; rows past 3 see nothing
        masks.push_back(AttentionMask::bigbird(layout, causal));
        auto bits = std::make_shared<MaskBits>(T + 1);   // one row and column more than the sequence
        uint32_t r = 99;
        for (int64_t i = 0; i <= T; ++i)
            for (int64_t j = 0; j <= T; ++j) {
                r = r * 1103515245u + 12345u;
                if ((r >> 16) % 3 == 0)
                    bits->set(i, j);
            }
        masks.push_back(AttentionMask::explicitBits(bits, "random", causal));
    }
    std::vector<MaskCase> v;
    for (const AttentionMask& m : masks) {
        MaskCase c;
        c.core = m;
        std::string why;
        EXPECT_TRUE(cuda::buildMaskTables(m, T, c.tables, why)) << why;
        c.dev = cuda::maskParams(m);
        cuda::attachMaskTables(m, c.tables, c.tables.data(), c.dev);
        c.exactTiles = m.kind == MaskKind::Causal || m.kind == MaskKind::Bidirectional || m.kind == MaskKind::Sliding ||
                       m.kind == MaskKind::SlidingSinks;
        v.push_back(std::move(c));
    }
    return v;
}

} // namespace

TEST(CudaMaskMath, PredicateAndHullEqualCoresForEveryKind)
{
    for (int64_t T = 1; T <= 14; ++T)
        for (const MaskCase& m : maskCases(T)) {
            SCOPED_TRACE(m.core.describe() + " T " + std::to_string(T));
            EXPECT_EQ(cuda::maskIsCausal(m.dev), m.core.isCausal());
            for (int64_t i = 0; i < T; ++i)
                for (int64_t j = 0; j < T; ++j)
                    ASSERT_EQ(cuda::maskValid(m.dev, i, j), m.core.valid(i, j)) << i << "," << j;
            for (int64_t i0 = -1; i0 <= T; ++i0)
                for (int64_t i1 = i0; i1 <= T + 2; ++i1) {
                    const KeyRange a = m.core.blockHull(i0, i1, T);
                    const cuda::KeySpan b = cuda::maskBlockHull(m.dev, i0, i1, T);
                    ASSERT_EQ(a.size() > 0, b.end > b.begin) << i0 << ".." << i1;
                    if (a.size() > 0) {
                        EXPECT_EQ(a.begin, b.begin);
                        EXPECT_EQ(a.end, b.end);
                    }
                }
        }
}

TEST(CudaMaskMath, TileTestNeverSkipsAValidCellAndIsExactForTheBandKinds)
{
    // maskTileMayHaveValid decides which key tiles the kernels skip (and write as zeros): a false "no valid cell"
    // would drop probability mass, a false "maybe" only costs time. For the causal, bidirectional and sliding
    // kinds it must be exact (skipping is what makes sliding-window layers linear in the length).
    for (int64_t T = 1; T <= 9; ++T)
        for (const MaskCase& m : maskCases(T)) {
            SCOPED_TRACE(m.core.describe());
            for (int64_t i0 = 0; i0 < T; ++i0)
                for (int64_t i1 = i0 + 1; i1 <= T + 1; ++i1)
                    for (int64_t j0 = 0; j0 < T; ++j0)
                        for (int64_t j1 = j0 + 1; j1 <= T + 2; ++j1) {
                            bool any = false;
                            for (int64_t i = i0; i < std::min(i1, T) && !any; ++i)
                                for (int64_t j = j0; j < std::min(j1, T) && !any; ++j)
                                    any = m.core.valid(i, j);
                            const bool maybe = cuda::maskTileMayHaveValid(m.dev, i0, i1, j0, j1, T);
                            if (m.exactTiles) {
                                ASSERT_EQ(maybe, any) << "T " << T << " rows " << i0 << ".." << i1 << " keys " << j0 << ".." << j1;
                            } else if (any) {
                                ASSERT_TRUE(maybe) << "T " << T << " rows " << i0 << ".." << i1 << " keys " << j0 << ".." << j1;
                            }
                        }
        }
}

TEST(CudaMaskMath, EveryValidKeyOfABlockLiesInItsHull)
{
    for (int64_t T : {1, 5, 16, 33})
        for (const MaskCase& m : maskCases(T))
            for (int64_t rows : {1, 4, 8, 16})
                for (int64_t i0 = 0; i0 < T; i0 += rows) {
                    const cuda::KeySpan h = cuda::maskBlockHull(m.dev, i0, i0 + rows, T);
                    for (int64_t i = i0; i < std::min(i0 + rows, T); ++i)
                        for (int64_t j = 0; j < T; ++j) {
                            if (cuda::maskValid(m.dev, i, j)) {
                                ASSERT_TRUE(j >= h.begin && j < h.end) << m.core.describe() << " row " << i << " key " << j;
                            }
                        }
                }
}

TEST(CudaMaskMath, TablesAreRefusedWhenTheMaskLacksThem)
{
    AttentionMask m = AttentionMask::longformer(4, {1}, true);
    m.globals.reset();
    cuda::MaskTables t;
    std::string why;
    EXPECT_FALSE(cuda::buildMaskTables(m, 10, t, why));
    EXPECT_NE(why.find("Longformer"), std::string::npos);
    EXPECT_TRUE(cuda::buildMaskTables(AttentionMask::causal(), 10, t, why));
    EXPECT_FALSE(t.needed());
}

namespace {

/// The statistics pass's per-row bookkeeping as the kernel runs it: tiles of `tile` keys, per tile the max of the
/// valid scores, then the sum of exp(s − newMax), folded into RowStats; then the LSE with the optional sink.
float kernelLse(const std::vector<float>& s, const std::vector<bool>& valid, int tile, bool hasSink, float sink)
{
    cuda::RowStats st;
    const int n = static_cast<int>(s.size());
    for (int j0 = 0; j0 < n; j0 += tile) {
        float tileMax = -INFINITY;
        for (int j = j0; j < std::min(n, j0 + tile); ++j)
            if (valid[size_t(j)])
                tileMax = std::max(tileMax, s[size_t(j)]);
        const float newMax = cuda::rowStatsNewMax(st, tileMax);
        float sum = 0.f;
        if (newMax != -INFINITY)
            for (int j = j0; j < std::min(n, j0 + tile); ++j)
                if (valid[size_t(j)])
                    sum += std::exp(s[size_t(j)] - newMax);
        cuda::rowStatsAdd(st, newMax, sum);
    }
    return cuda::lseFromNorm(cuda::rowStatsNorm(st, hasSink, sink));
}

/// The same tiled statistics as a normaliser (max, log-sum).
cuda::RowNorm kernelNorm(const std::vector<float>& s, const std::vector<bool>& valid, int tile, bool hasSink, float sink)
{
    cuda::RowStats st;
    const int n = static_cast<int>(s.size());
    for (int j0 = 0; j0 < n; j0 += tile) {
        float tileMax = -INFINITY;
        for (int j = j0; j < std::min(n, j0 + tile); ++j)
            if (valid[size_t(j)])
                tileMax = std::max(tileMax, s[size_t(j)]);
        const float newMax = cuda::rowStatsNewMax(st, tileMax);
        float sum = 0.f;
        if (newMax != -INFINITY)
            for (int j = j0; j < std::min(n, j0 + tile); ++j)
                if (valid[size_t(j)])
                    sum += std::exp(s[size_t(j)] - newMax);
        cuda::rowStatsAdd(st, newMax, sum);
    }
    return cuda::rowStatsNorm(st, hasSink, sink);
}

} // namespace

TEST(CudaSoftmaxMath, TiledLseAndProbabilitiesMatchAnFp64Softmax)
{
    std::mt19937 rng(7);
    std::normal_distribution<float> score(0.f, 6.f);
    for (int trial = 0; trial < 400; ++trial) {
        const int n = 1 + int(rng() % 150);
        std::vector<float> s(static_cast<size_t>(n));
        std::vector<bool> valid(static_cast<size_t>(n));
        for (int j = 0; j < n; ++j) {
            s[size_t(j)] = score(rng) + (trial % 7 == 0 ? 80.f : 0.f);   // large logits must not overflow
            valid[size_t(j)] = (rng() % 4) != 0 || trial % 11 == 0;
        }
        if (trial % 13 == 0)
            std::fill(valid.begin(), valid.end(), false);   // masked rows
        const bool hasSink = trial % 3 == 0;
        const float sink = hasSink ? score(rng) : 0.f;
        double m = hasSink ? double(sink) : -std::numeric_limits<double>::infinity();
        bool any = hasSink;
        for (int j = 0; j < n; ++j)
            if (valid[size_t(j)]) {
                m = std::max(m, double(s[size_t(j)]));
                any = true;
            }
        double z = hasSink ? std::exp(double(sink) - m) : 0.0;
        for (int j = 0; j < n; ++j)
            if (valid[size_t(j)])
                z += std::exp(double(s[size_t(j)]) - m);
        const double lseRef = any ? m + std::log(z) : std::numeric_limits<double>::infinity();
        for (int tile : {1, 3, 8, 16, 32, 64, 256}) {
            SCOPED_TRACE("trial " + std::to_string(trial) + " tile " + std::to_string(tile));
            const float lse = kernelLse(s, valid, tile, hasSink, sink);
            const cuda::RowNorm norm = kernelNorm(s, valid, tile, hasSink, sink);
            if (!any) {
                EXPECT_EQ(lse, INFINITY);
                EXPECT_EQ(norm.max, INFINITY);
                EXPECT_EQ(norm.logSum, 0.f);
                for (int j = 0; j < n; ++j)
                    EXPECT_EQ(cuda::probFromNorm(s[size_t(j)], norm), 0.f);
                EXPECT_EQ(cuda::sinkProbFromNorm(false, 0.f, norm), 0.f);
                continue;
            }
            ASSERT_TRUE(std::isfinite(lse));
            EXPECT_NEAR(lse, lseRef, 1e-5 * std::max(1.0, std::fabs(lseRef)));
            EXPECT_EQ(norm.max, float(m)) << "the normaliser's max is the row's max logit (the sink's when larger)";
            EXPECT_NEAR(norm.logSum, std::log(z), 1e-5);
            double sum = cuda::sinkProbFromNorm(hasSink, sink, norm);
            for (int j = 0; j < n; ++j) {
                if (!valid[size_t(j)])
                    continue;
                const float p = cuda::probFromNorm(s[size_t(j)], norm);
                const double ref = std::exp(double(s[size_t(j)]) - lseRef);
                EXPECT_NEAR(p, ref, 1e-5 * std::max(ref, 1e-3));
                sum += p;
            }
            EXPECT_NEAR(sum, 1.0, 2e-5);
        }
    }
}

TEST(CudaSoftmaxMath, AMaskedRowWithASinkGivesTheSinkEverything)
{
    const cuda::RowNorm n = cuda::rowStatsNorm(cuda::RowStats{}, true, 1.5f);
    EXPECT_EQ(n.max, 1.5f);   // the CPU kernel's convention: a masked row with a sink has max = the sink logit …
    EXPECT_EQ(n.logSum, 0.f);   // … and log-sum 0
    EXPECT_EQ(cuda::lseFromNorm(n), 1.5f);
    EXPECT_EQ(cuda::sinkProbFromNorm(true, 1.5f, n), 1.f);
}

TEST(CudaSoftmaxMath, MergingPartialStatisticsEqualsSequentialFolding)
{
    std::mt19937 rng(3);
    std::normal_distribution<float> score(0.f, 4.f);
    for (int trial = 0; trial < 100; ++trial) {
        cuda::RowStats a, b, all;
        for (int j = 0; j < 20; ++j) {
            const float s = score(rng);
            cuda::RowStats& half = j < 10 ? a : b;
            for (cuda::RowStats* st : {&half, &all}) {
                const float nm = cuda::rowStatsNewMax(*st, s);
                cuda::rowStatsAdd(*st, nm, std::exp(s - nm));
            }
        }
        const cuda::RowStats m = cuda::rowStatsMerge(a, b);
        EXPECT_EQ(m.m, all.m);
        EXPECT_NEAR(m.l, all.l, 1e-5f * all.l);
        const cuda::RowStats e = cuda::rowStatsMerge(cuda::RowStats{}, a);
        EXPECT_EQ(e.m, a.m);
        EXPECT_FLOAT_EQ(e.l, a.l);
    }
}

TEST(CudaActivationMath, FormulasEqualTheCpuReference)
{
    const std::pair<cuda::ActKind, Activation> kinds[] = {
        {cuda::ActKind::Silu, Activation::Silu},         {cuda::ActKind::GeluErf, Activation::GeluErf},
        {cuda::ActKind::GeluTanh, Activation::GeluTanh}, {cuda::ActKind::Softcap, Activation::Softcap},
        {cuda::ActKind::Sigmoid, Activation::Sigmoid},   {cuda::ActKind::Identity, Activation::Identity}};
    for (const auto& [dev, ref] : kinds)
        for (float x = -30.f; x <= 30.f; x += 0.37f) {
            const float a = cuda::activate(dev, x, 30.f), b = cpu::activate(ref, x, 30.f);
            EXPECT_NEAR(a, b, 2e-7f * std::max(1.f, std::fabs(b))) << activationName(ref) << " at " << x;
        }
}

TEST(CudaHeuristics, AttentionTilesFitAndCoverEveryShape)
{
    for (int64_t d = 1; d <= 256; d += (d < 16 ? 1 : 7))
        for (int64_t T : {int64_t(1), int64_t(7), int64_t(100), int64_t(4096), int64_t(32768), int64_t(1) << 20})
            for (int64_t heads : {1, 4, 9, 64})
                for (int level = 0; level <= cuda::kMaxTileLevel; ++level) {
                    SCOPED_TRACE("d " + std::to_string(d) + " T " + std::to_string(T) + " heads " +
                                 std::to_string(heads) + " level " + std::to_string(level));
                    const cuda::AttentionTiles t = cuda::chooseAttentionTiles(T, d, heads, level);
                    ASSERT_TRUE(t.ok);
                    EXPECT_GE(t.dMax, d);
                    EXPECT_TRUE(t.dMax == 64 || t.dMax == 128 || t.dMax == 256);
                    EXPECT_TRUE(t.warps == 1 || t.warps == 2 || t.warps == 4);
                    EXPECT_EQ(t.rowsPerBlock, t.warps * cuda::kAttnRowsPerWarp);
                    EXPECT_GE(t.keyTile, 8);
                    EXPECT_LE(t.keyTile, 64);   // two keys per lane at most (attention.cu)
                    EXPECT_LE(t.outputSmemBytes, cuda::kStaticSmemLimit);
                    EXPECT_LE(t.statsSmemBytes, t.outputSmemBytes);
                    EXPECT_EQ(t.outputSmemBytes, cuda::attentionOutputSmem(d, t.rowsPerBlock, t.keyTile));
                    EXPECT_GE(t.rowBlocks * t.rowsPerBlock, T);
                    EXPECT_LT((t.rowBlocks - 1) * t.rowsPerBlock, T);
                    EXPECT_GE(t.rowBlocksPerLaunch, 1);
                    EXPECT_LE(t.rowBlocksPerLaunch, t.rowBlocks);
                    if (level > 0) {
                        const cuda::AttentionTiles prev = cuda::chooseAttentionTiles(T, d, heads, level - 1);
                        EXPECT_LE(t.keyTile, prev.keyTile);
                        EXPECT_LE(t.warps, prev.warps);
                        EXPECT_LE(t.outputSmemBytes, prev.outputSmemBytes);
                        EXPECT_TRUE(t.keyTile < prev.keyTile || t.warps < prev.warps || prev.keyTile == 8)
                            << "each level makes the tiles smaller until the smallest";
                    }
                }
}

TEST(CudaHeuristics, LaunchChunksAreBoundedButFillTheGpu)
{
    // ≥ 1024 blocks per launch (or every row block when there are fewer), and ≤ 2^36 multiply-adds unless the
    // minimum block count forces more.
    for (int64_t T : {int64_t(64), int64_t(4096), int64_t(16384), int64_t(32768), int64_t(1) << 20})
        for (int64_t d : {64, 128, 256})
            for (int64_t heads : {1, 4, 9, 32}) {
                const cuda::AttentionTiles t = cuda::chooseAttentionTiles(T, d, heads, 0);
                ASSERT_TRUE(t.ok);
                const int64_t blocks = t.rowBlocksPerLaunch * heads;
                EXPECT_TRUE(blocks >= 1024 || t.rowBlocksPerLaunch == t.rowBlocks) << T << " " << d << " " << heads;
                const double macs = double(t.rowBlocksPerLaunch) * t.rowsPerBlock * double(T) * double(d) * double(heads);
                const int64_t minBlocks = (1024 + heads - 1) / heads;
                EXPECT_TRUE(macs <= double(int64_t(1) << 36) || t.rowBlocksPerLaunch <= minBlocks)
                    << T << " " << d << " " << heads;
            }
    EXPECT_EQ(cuda::chooseAttentionTiles(4096, 64, 9, 0).rowBlocksPerLaunch,
              cuda::chooseAttentionTiles(4096, 64, 9, 0).rowBlocks)
        << "SmolLM2 at 4k tokens: one launch per pass";
}

TEST(CudaHeuristics, UnsupportedShapesAreRefused)
{
    EXPECT_FALSE(cuda::chooseAttentionTiles(100, 257, 4, 0).ok);
    EXPECT_FALSE(cuda::chooseAttentionTiles(0, 64, 4, 0).ok);
    EXPECT_FALSE(cuda::chooseAttentionTiles(100, 0, 4, 0).ok);
    EXPECT_FALSE(cuda::chooseAttentionTiles(100, 64, 0, 0).ok);
    EXPECT_TRUE(cuda::chooseAttentionTiles(100, 64, 4, 99).ok) << "levels past the last clamp to the smallest tiles";
}

TEST(CudaHeuristics, ElementwiseGridsCoverEverySize)
{
    EXPECT_EQ(cuda::elementwiseBlocks(0), 0);
    for (int64_t n : {int64_t(1), int64_t(255), int64_t(256), int64_t(257), int64_t(1) << 24, int64_t(1) << 40}) {
        const int64_t b = cuda::elementwiseBlocks(n);
        EXPECT_GE(b, 1);
        EXPECT_LE(b, cuda::kMaxElementwiseBlocks);
        // grid-stride loops: any positive grid covers n; small n get exactly enough blocks
        if (n <= cuda::kMaxElementwiseBlocks * cuda::kElementwiseThreads) {
            EXPECT_EQ(b, (n + cuda::kElementwiseThreads - 1) / cuda::kElementwiseThreads);
        }
    }
    for (int64_t cols : {1, 32, 64, 256, 257, 576, 1024, 1025, 4096}) {
        const int t = cuda::normThreads(cols);
        EXPECT_EQ(t % 32, 0);
        EXPECT_LE(t, 1024);
    }
    EXPECT_GT(cuda::gemmWorkspaceBytes(0), cuda::gemmWorkspaceBytes(1));
    EXPECT_GT(cuda::gemmWorkspaceBytes(1), cuda::gemmWorkspaceBytes(2));
    EXPECT_EQ(cuda::gemmWorkspaceBytes(2), 0u);
}
