// Variant specs (core/attention/attention_spec.h): every kind round-trips through its string, defaults are
// omitted from the canonical form, layer sets parse and merge, malformed specs are refused with one message naming
// the bad key, and the mask-pattern kinds build the masks their definitions say (BigBird deterministic per seed).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_spec.h"
#include "core/util/error.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

std::string errorOf(const std::string& text)
{
    try {
        AttentionSpec::parse(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(AttentionSpec, EveryKindRoundTripsThroughItsString)
{
    const char* specs[] = {
        "full", "sliding:window=64", "sliding:window=64,sinks=4@layers=20-29", "longformer:window=32,global=0;5;9",
        "bigbird:block=16,window=5,global=2,random=1,seed=7", "fixed:block=8,stride=2", "hier:local=16,region=8,global=1",
        "topk:k=8", "threshold:p=0.05", "lsh:buckets=4,rounds=2,seed=3", "cluster:k=4,seed=1", "nsa:block=16,select=2,window=32",
        "linear", "performer:features=32,seed=5", "linformer:k=16", "offbyone", "sink:logit=-1.5", "gqa:groups=1", "mqa",
        "topk:k=4@layers=0,3-5"};
    for (const char* text : specs) {
        SCOPED_TRACE(text);
        const AttentionSpec s = AttentionSpec::parse(text);
        EXPECT_EQ(s.toString(), text);
        EXPECT_EQ(AttentionSpec::parse(s.toString()), s);
    }
    // Defaults are omitted, order is the table's, spaces are tolerated.
    EXPECT_EQ(AttentionSpec::parse(" sliding : sinks=0 , window=64 ").toString(), "sliding:window=64");
    EXPECT_EQ(AttentionSpec::parse("bigbird:seed=0,block=64").toString(), "bigbird");
    EXPECT_EQ(AttentionSpec::parse("linear:feature=elu").toString(), "linear");
    EXPECT_EQ(AttentionSpec::parse("topk:k=2@layers=5-7,1,6-9").layers.toString(), "1,5-9");
}

TEST(AttentionSpec, MalformedSpecsNameTheBadKey)
{
    EXPECT_NE(errorOf("slidng:window=4").find("unknown variant 'slidng'"), std::string::npos);
    EXPECT_NE(errorOf("sliding:widow=4").find("unknown key 'widow'"), std::string::npos);
    EXPECT_NE(errorOf("sliding").find("missing required key 'window'"), std::string::npos);
    EXPECT_NE(errorOf("sliding:window=abc").find("window must be an integer"), std::string::npos);
    EXPECT_NE(errorOf("sliding:window=0").find("window must be in 1"), std::string::npos);
    EXPECT_NE(errorOf("topk:k=3,k=4").find("'k' given twice"), std::string::npos);
    EXPECT_NE(errorOf("threshold:p=1").find("strictly between 0 and 1"), std::string::npos);
    EXPECT_NE(errorOf("lsh:buckets=5").find("buckets must be even"), std::string::npos);
    EXPECT_NE(errorOf("fixed:block=4,stride=5").find("stride must not exceed block"), std::string::npos);
    EXPECT_NE(errorOf("mqa:groups=2").find("unknown key 'groups' (it takes none)"), std::string::npos);
    EXPECT_NE(errorOf("topk:k=4@layers=9-3").find("@layers"), std::string::npos);
    EXPECT_NE(errorOf("topk:k=4@heads=1").find("only @layers"), std::string::npos);
    EXPECT_NE(errorOf("longformer:window=4,global=1;x").find("global"), std::string::npos);
    EXPECT_NE(errorOf("").find("empty variant"), std::string::npos);
}

TEST(AttentionSpec, LayerSetsAndApplicability)
{
    const AttentionSpec s = AttentionSpec::parse("topk:k=4@layers=2,5-6");
    EXPECT_FALSE(s.appliesTo(1));
    EXPECT_TRUE(s.appliesTo(2));
    EXPECT_TRUE(s.appliesTo(6));
    EXPECT_FALSE(s.appliesTo(7));
    EXPECT_EQ(s.layers.first(), 2);
    EXPECT_TRUE(AttentionSpec::parse("topk:k=4").appliesTo(99));
    EXPECT_FALSE(AttentionSpec::parse("full").appliesTo(0));
}

TEST(AttentionSpec, MaskPatternsFollowTheirDefinitions)
{
    const AttentionMask f = AttentionSpec::parse("fixed:block=4,stride=1").mask(12, 0, true);
    // row 9 (block 2): own block 8..9, plus the summary column 3 and 7 of earlier blocks
    EXPECT_EQ(f.rowKeys(9, 12).range, (std::vector<KeyRange>{{3, 4}, {7, 10}}));
    const AttentionMask lf = AttentionSpec::parse("longformer:window=2,global=0").mask(10, 0, false);
    EXPECT_EQ(lf.rowKeys(5, 10).range, (std::vector<KeyRange>{{0, 1}, {4, 7}}));
    EXPECT_EQ(lf.rowKeys(0, 10).range, (std::vector<KeyRange>{{0, 10}}));   // a global row sees everything
    const AttentionSpec bb = AttentionSpec::parse("bigbird:block=4,window=3,global=1,random=2,seed=11");
    const AttentionMask a = bb.mask(64, 3, true), b = bb.mask(64, 3, true), c = bb.mask(64, 4, true);
    EXPECT_EQ(a, b) << "the same seed and layer give the same blocks";
    EXPECT_NE(a, c) << "another layer draws other random blocks";
    for (int64_t i = 0; i < 64; ++i) {
        EXPECT_TRUE(a.valid(i, i)) << "own block";
        EXPECT_TRUE(a.valid(i, 0)) << "global block";
        for (int64_t j = i + 1; j < 64; ++j)
            ASSERT_FALSE(a.valid(i, j)) << "causal";
    }
}
