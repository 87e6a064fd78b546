// A long run's map streamed by row blocks (core/io/streamed_map.h, docs/LONG-CONTEXT.md "Figures and data
// export"): on a synthetic head whose map is known in closed form (keys that repeat every three tokens), under a
// causal and a sliding-window mask, the streamed rows, the streamed .npy and the HDF5 writer's streamed dataset
// hold that map; the rows span several 256-row blocks.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/tile_recompute.h"
#include "core/io/hdf5_writer.h"
#include "core/io/npy.h"
#include "core/io/streamed_map.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>

using namespace attnscope;

namespace {

constexpr int64_t kD = 4;
constexpr float kScale = 0.5f;

/// Logit of query i and key j: scale · q_i · k_j with q_i = (1 + i % 2) e0, k_j = (j % 3) e0.
double logit(int64_t i, int64_t j)
{
    return kScale * (1.0 + double(i % 2)) * double(j % 3);
}

struct Synthetic {
    std::shared_ptr<const HeadTileSource> source;
    std::vector<double> dense;   // the exact map, T × T
};

Synthetic makeHead(int64_t T, const AttentionMask& mask)
{
    auto q = std::make_shared<CapturedSeries>(), k = std::make_shared<CapturedSeries>(), lse = std::make_shared<CapturedSeries>();
    q->shape = {T, kD};
    k->shape = {T, kD};
    q->values.assign(size_t(T * kD), 0.f);
    k->values.assign(size_t(T * kD), 0.f);
    for (int64_t i = 0; i < T; ++i) {
        q->values[size_t(i * kD)] = float(1 + i % 2);
        k->values[size_t(i * kD)] = float(i % 3);
    }
    lse->shape = {2, T};
    lse->values.assign(size_t(2 * T), 0.f);
    lse->mask = std::make_shared<const AttentionMask>(mask);
    Synthetic s;
    s.dense.assign(size_t(T * T), 0.0);
    RowKeys keys;
    for (int64_t i = 0; i < T; ++i) {
        mask.rowKeys(i, T, keys);
        double m = -1e30;
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                m = std::max(m, logit(i, j));
        double sum = 0;
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                sum += std::exp(logit(i, j) - m);
        lse->values[size_t(i)] = float(m);
        lse->values[size_t(T + i)] = float(std::log(sum));
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                s.dense[size_t(i * T + j)] = std::exp(logit(i, j) - m) / sum;
    }
    s.source = std::make_shared<const HeadTileSource>(q, k, lse, 0, 1, 1, kD, kScale);
    return s;
}

} // namespace

TEST(StreamedMap, RowsAndNpyEqualTheMap)
{
    for (const AttentionMask& mask : {AttentionMask::causal(), AttentionMask::sliding(100)}) {
        const int64_t T = 600;   // three row blocks, the last one short
        const Synthetic s = makeHead(T, mask);
        std::vector<float> rows(size_t(200 * T));
        streamedMapRows(*s.source, 300, 500, rows.data(), 2);
        double worst = 0;
        for (int64_t i = 300; i < 500; ++i)
            for (int64_t j = 0; j < T; ++j)
                worst = std::max(worst, std::fabs(double(rows[size_t((i - 300) * T + j)]) - s.dense[size_t(i * T + j)]));
        EXPECT_LE(worst, 1e-6) << mask.describe();

        MemorySink sink;
        std::string error;
        ASSERT_TRUE(writeStreamedMapNpy(sink, *s.source, error)) << error;
        const std::string header = npyHeader("<f4", {T, T});
        ASSERT_EQ(sink.bytes().size(), header.size() + size_t(T * T) * 4);
        EXPECT_EQ(std::string(sink.bytes().data(), header.size()), header);
        std::vector<float> v(size_t(T * T));
        std::memcpy(v.data(), sink.bytes().data() + header.size(), v.size() * 4);
        worst = 0;
        for (size_t c = 0; c < v.size(); ++c)
            worst = std::max(worst, std::fabs(double(v[c]) - s.dense[c]));
        EXPECT_LE(worst, 1e-6) << mask.describe();
    }
}

TEST(StreamedMap, Hdf5WritesTheStreamedHeadAsAMapDataset)
{
    if (!hdf5Available())
        GTEST_SKIP() << "built without HDF5";
    const int64_t T = 300;
    const Synthetic s = makeHead(T, AttentionMask::causal());
    RunData run;
    run.info.layers = 2;
    run.info.heads = 3;
    run.info.kvHeads = 1;
    for (int64_t i = 0; i < T; ++i) {
        run.tokens.ids.push_back(int32_t(i));
        run.tokens.display.push_back("t" + std::to_string(i));
    }
    run.streamedMaps.push_back({Quantity::AttentionProbs, 1, 2, s.source});
    MemorySink sink;
    std::string error;
    ASSERT_TRUE(writeRunHdf5(sink, run, error)) << error;
    const std::vector<char>& b = sink.bytes();
    ASSERT_GT(b.size(), 8u);
    EXPECT_EQ(std::memcmp(b.data(), "\x89HDF\r\n\x1a\n", 8), 0);
    // The dataset's name is in the file; its values are checked with h5py in tests/ui/test_ui_long_context.cpp.
    const std::string bytes(b.begin(), b.end());
    EXPECT_NE(bytes.find("layer_1"), std::string::npos);
    EXPECT_NE(bytes.find("recomputed"), std::string::npos);
    // A source whose length differs from the tokens' is left out, not written half.
    RunData wrong = run;
    wrong.streamedMaps[0].source = makeHead(T + 1, AttentionMask::causal()).source;
    MemorySink other;
    ASSERT_TRUE(writeRunHdf5(other, wrong, error)) << error;
    const std::string o(other.bytes().begin(), other.bytes().end());
    EXPECT_EQ(o.find("recomputed"), std::string::npos);
}
