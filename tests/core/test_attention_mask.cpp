// The mask value against a brute-force construction (docs/ENGINE.md "Masks"): for every kind and small n, the
// valid-key ranges of each row equal the predicate, block hulls cover every valid key of their rows, and rows
// with no valid key are reported as empty (kernels then write zeros and flag them).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_mask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace attnscope;

namespace {

std::vector<AttentionMask> allMasks()
{
    std::vector<AttentionMask> m = {AttentionMask::causal(), AttentionMask::bidirectional()};
    for (bool causal : {true, false}) {
        for (int64_t w : {1, 2, 3, 7, 40})
            m.push_back(AttentionMask::sliding(w, causal));
        for (int64_t w : {1, 3, 8})
            for (int64_t s : {0, 1, 4, 10})
                m.push_back(AttentionMask::slidingWithSinks(w, s, causal));
        m.push_back(AttentionMask::longformer(4, {0, 5, 11}, causal));
        m.push_back(AttentionMask::longformer(1, {}, causal));
        m.push_back(AttentionMask::fixed(4, 1, causal));
        m.push_back(AttentionMask::fixed(5, 5, causal));
        auto layout = std::make_shared<BlockLayout>();
        layout->block = 3;
        layout->allowed = {{0, 1}, {0, 1, 2}, {0, 2, 5}, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 3, 4, 5}, {0, 5, 6}, {6, 7}, {0, 7}};
        m.push_back(AttentionMask::bigbird(layout, causal));
        auto bits = std::make_shared<MaskBits>(24);
        for (int64_t i = 0; i < 24; ++i)
            for (int64_t j = 0; j < 24; ++j)
                if ((i * 7 + j * 3) % 5 == 0 || i == j)
                    bits->set(i, j);
        m.push_back(AttentionMask::explicitBits(bits, "pattern", causal));
    }
    return m;
}

/// The textbook predicate, written independently of AttentionMask::valid.
bool bruteForce(const AttentionMask& m, int64_t i, int64_t j)
{
    if (m.kind == MaskKind::Bidirectional)
        return true;
    const bool causalOk = !m.requireCausal || j <= i;
    const int64_t dist = std::abs(i - j);
    bool pattern = false;
    switch (m.kind) {
    case MaskKind::Causal: pattern = true; break;
    case MaskKind::Bidirectional: pattern = true; break;
    case MaskKind::Sliding: pattern = dist <= m.window - 1; break;
    case MaskKind::SlidingSinks: pattern = j < m.sinks || dist <= m.window - 1; break;
    case MaskKind::Longformer: {
        const auto& g = *m.globals;
        pattern = 2 * dist <= m.window || std::count(g.begin(), g.end(), i) || std::count(g.begin(), g.end(), j);
        break;
    }
    case MaskKind::BigBird: {
        const auto& a = m.blocks->allowed;
        const size_t bi = size_t(i / m.blocks->block);
        pattern = bi < a.size() && std::count(a[bi].begin(), a[bi].end(), j / m.blocks->block);
        break;
    }
    case MaskKind::Fixed: pattern = i / m.block == j / m.block || j % m.block >= m.block - m.stride; break;
    case MaskKind::Explicit: pattern = i < m.bits->tokens() && j < m.bits->tokens() && m.bits->get(i, j); break;
    }
    return causalOk && pattern;
}

} // namespace

TEST(AttentionMask, RowKeysEqualTheBruteForcePredicateForEveryKind)
{
    for (const AttentionMask& m : allMasks())
        for (int64_t n = 1; n <= 24; ++n)
            for (int64_t i = 0; i < n; ++i) {
                const RowKeys rk = m.rowKeys(i, n);
                std::vector<bool> inRanges(static_cast<size_t>(n), false);
                int64_t prevEnd = -1;
                for (int r = 0; r < rk.count(); ++r) {
                    ASSERT_GT(rk.range[r].begin, prevEnd) << "ranges must be disjoint and increasing";
                    ASSERT_LT(rk.range[r].begin, rk.range[r].end) << "ranges are never empty";
                    for (int64_t j = rk.range[r].begin; j < rk.range[r].end; ++j)
                        inRanges[static_cast<size_t>(j)] = true;
                    prevEnd = rk.range[r].end;
                }
                int64_t count = 0;
                for (int64_t j = 0; j < n; ++j) {
                    const bool want = bruteForce(m, i, j);
                    ASSERT_EQ(m.valid(i, j), want) << m.describe() << " n=" << n << " i=" << i << " j=" << j;
                    ASSERT_EQ(inRanges[static_cast<size_t>(j)], want) << m.describe() << " i=" << i << " j=" << j;
                    count += want ? 1 : 0;
                }
                EXPECT_EQ(m.validCount(i, n), count);
            }
}

TEST(AttentionMask, BlockHullsCoverEveryValidKeyOfTheirRows)
{
    for (const AttentionMask& m : allMasks())
        for (int64_t n : {1, 5, 33, 70})
            for (int64_t block : {1, 4, 64})
                for (int64_t i0 = 0; i0 < n; i0 += block) {
                    const int64_t i1 = std::min(n, i0 + block);
                    const KeyRange hull = m.blockHull(i0, i1, n);
                    for (int64_t i = i0; i < i1; ++i)
                        for (int64_t j = 0; j < n; ++j)
                            if (m.valid(i, j)) {
                                ASSERT_GE(j, hull.begin) << m.describe();
                                ASSERT_LT(j, hull.end) << m.describe();
                            }
                }
}

TEST(AttentionMask, SlidingWindowCoveringThePromptIsCausal)
{
    const AttentionMask c = AttentionMask::causal(), s = AttentionMask::sliding(50);
    for (int64_t i = 0; i < 50; ++i)
        for (int64_t j = 0; j < 50; ++j)
            EXPECT_EQ(c.valid(i, j), s.valid(i, j));
}

TEST(AttentionMask, DescriptionsAndMaskedReasonsNameTheRule)
{
    EXPECT_EQ(AttentionMask::causal().describe(), "causal");
    EXPECT_EQ(AttentionMask::bidirectional().describe(), "bidirectional");
    EXPECT_EQ(AttentionMask::sliding(512).describe(), "sliding window 512");
    EXPECT_EQ(AttentionMask::slidingWithSinks(64, 4).describe(), "sliding window 64 + 4 sinks");
    EXPECT_EQ(AttentionMask::causal().maskedReason(1, 2), "causal: a query cannot see later keys");
    EXPECT_EQ(AttentionMask::sliding(2).maskedReason(5, 1), "outside the sliding window of 2 keys");
    EXPECT_EQ(AttentionMask::sliding(2).maskedReason(5, 5), "");
}
