// What-if runs and comparisons on the tiny HF-written checkpoints (core/session/compare_run.h):
// a variant identical to the baseline gives KL exactly 0 and the same perplexity; a sliding window covering the
// prompt equals full attention bit for bit; resuming a variant from the baseline's residual stream changes
// nothing; every variant kind runs through the forward with causal, normalised maps that carry their masks; mass
// outside a window equals the same metric on the baseline's maps; GQA regrouping maps heads to the new groups;
// encoders are compared by cosine similarity.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/metrics/row_metrics.h"
#include "core/model/loaded_model.h"
#include "core/session/compare_run.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace attnscope;

namespace {

std::shared_ptr<const LoadedModel> tiny(const char* name)
{
    return LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/" + name);
}

BackendSet cpuBackends()
{
    BackendSet b;
    b.primary = std::make_unique<cpu::CpuBackend>(2);
    return b;
}

const char* kText = "The first token is an attention sink, and a sliding window of four keys hides it from later rows.";

} // namespace

TEST(Compare, AVariantIdenticalToTheBaselineHasZeroKlAndTheSamePerplexity)
{
    auto model = tiny("tiny-llama");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.variants = {AttentionSpec::parse("sliding:window=100000"), AttentionSpec::parse("full"),
                    AttentionSpec::parse("sliding:window=3")};
    const CompareResult r = executeCompare(model, backends, req);
    ASSERT_EQ(r.variants.size(), 3u);
    EXPECT_GT(r.shape.tokens, 8);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(r.variants[i].klMax, 0.0) << r.variants[i].spec.toString();
        EXPECT_EQ(r.variants[i].perplexity, r.baselinePerplexity);
        EXPECT_EQ(r.variants[i].top1Agreement, 1.0);
        EXPECT_EQ(r.variants[i].massOutsideMean, 0.0);
    }
    EXPECT_GT(r.variants[2].klMean, 0.0);
    EXPECT_GT(r.variants[2].massOutsideMean, 0.0);
    EXPECT_TRUE(std::isfinite(r.baselinePerplexity));
}

TEST(Compare, SlidingWindowCoveringThePromptEqualsFullAttentionBitForBit)
{
    auto model = tiny("tiny-gemma3");   // its own layers slide (window 4): "full" keeps them, a wide window replaces them
    BackendSet backends = cpuBackends();
    RunRequest base;
    base.text = kText;
    base.capture.heads = CaptureSpec::Heads::All;
    base.keepLogits = true;
    RunRequest wide = base;
    wide.variant = AttentionSpec::parse("sliding:window=100000@layers=2");   // layer 2 is a full layer
    const RunResult a = executeRun(model, backends, base), b = executeRun(model, backends, wide);
    ASSERT_EQ(a.captures.mapCount(), b.captures.mapCount());
    for (const auto& [key, m] : a.captures.maps()) {
        AttentionMapPtr o = b.captures.map(key.quantity, key.layer, key.head);
        ASSERT_TRUE(o);
        EXPECT_EQ(m->probs, o->probs) << "layer " << key.layer << " head " << key.head;
    }
    EXPECT_EQ(a.logits.at(0).logits, b.logits.at(0).logits);
}

TEST(Compare, ResumingFromTheBaselineStreamChangesNothing)
{
    auto model = tiny("tiny-qwen3");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.variants = {AttentionSpec::parse("topk:k=2@layers=1")};
    const CompareResult reused = executeCompare(model, backends, req);
    req.reuseBaselineBelowVariant = false;
    const CompareResult full = executeCompare(model, backends, req);
    EXPECT_EQ(reused.variants[0].startLayer, 1);
    EXPECT_EQ(full.variants[0].startLayer, 0);
    EXPECT_EQ(reused.variants[0].klPerPosition, full.variants[0].klPerPosition);
    EXPECT_EQ(reused.variants[0].perplexity, full.variants[0].perplexity);
}

TEST(Compare, EveryVariantKindRunsWithCausalNormalisedMapsThatCarryTheirMask)
{
    const char* specs[] = {"sliding:window=3", "sliding:window=3,sinks=2", "longformer:window=4,global=0;5",
                           "bigbird:block=4,window=1,global=1,random=1,seed=3", "fixed:block=4,stride=1",
                           "hier:local=3,region=4,global=1", "topk:k=3", "threshold:p=0.2", "lsh:buckets=4,rounds=2",
                           "cluster:k=3", "nsa:block=4,select=1,window=3", "linear", "performer:features=16",
                           "linformer:k=4", "offbyone", "sink:logit=1", "gqa:groups=1", "mqa"};
    for (const char* model : {"tiny-gemma3", "tiny-gpt2", "tiny-bert"}) {
        auto m = tiny(model);
        BackendSet backends = cpuBackends();
        for (const char* spec : specs) {
            SCOPED_TRACE(std::string(model) + " " + spec);
            RunRequest req;
            req.text = kText;
            req.capture.heads = CaptureSpec::Heads::All;
            req.capture.quantities.insert(Quantity::SinkProb);
            req.variant = AttentionSpec::parse(spec);
            if (req.variant->kind == VariantKind::Gqa && m->config().nKvHeads % 1 != 0)
                continue;
            const RunResult r = executeRun(m, backends, req);
            const int64_t T = r.shape.tokens;
            const bool sink = req.variant->kind == VariantKind::Sink || req.variant->kind == VariantKind::OffByOne;
            for (const auto& [key, map] : r.captures.maps()) {
                CapturedSeriesPtr sp = r.captures.series(Quantity::SinkProb, key.layer, key.head);
                EXPECT_EQ(static_cast<bool>(sp), sink);
                for (int64_t i = 0; i < T; ++i) {
                    double sum = 0;
                    for (int64_t j = 0; j < T; ++j) {
                        const float w = map->at(i, j);
                        ASSERT_TRUE(std::isfinite(w));
                        if (map->isMasked(i, j))
                            ASSERT_EQ(w, 0.f) << "weight on a cell the map's mask removes";
                        if (m->config().causal() && j > i)
                            ASSERT_EQ(w, 0.f) << "the future";
                        sum += w;
                    }
                    EXPECT_NEAR(sum + (sp ? sp->values[size_t(i)] : 0.0), 1.0, 1e-4);
                }
            }
        }
    }
}

TEST(Compare, MassOutsideAWindowEqualsTheMetricOnTheBaselineMaps)
{
    auto model = tiny("tiny-llama");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.base.capture.heads = CaptureSpec::Heads::All;
    req.variants = {AttentionSpec::parse("sliding:window=3")};
    const CompareResult r = executeCompare(model, backends, req);
    const int H = model->config().nHeads;
    for (int l = 0; l < model->config().nLayers; ++l)
        for (int h = 0; h < H; ++h) {
            AttentionMapPtr m = r.baselineCaptures.map(l, h);
            ASSERT_TRUE(m);
            EXPECT_DOUBLE_EQ(r.variants[0].massOutside[size_t(l * H + h)],
                             massOutsidePattern(*m, AttentionMask::sliding(3)));
        }
}

TEST(Compare, GqaRegroupingMapsHeadsToTheNewGroupsAndRefusesNonDividingGroups)
{
    auto model = tiny("tiny-llama");   // 4 heads, 2 K/V heads
    BackendSet backends = cpuBackends();
    RunRequest req;
    req.text = kText;
    req.capture.heads = CaptureSpec::Heads::All;
    req.variant = AttentionSpec::parse("mqa");
    const RunResult r = executeRun(model, backends, req);
    for (const auto& [key, m] : r.captures.maps())
        EXPECT_EQ(m->kvHead, 0);
    req.variant = AttentionSpec::parse("gqa:groups=3");
    try {
        executeRun(model, backends, req);
        FAIL() << "expected a usage error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("must divide the model's 2 K/V heads"), std::string::npos) << e.what();
    }
}

TEST(Compare, EncodersAreComparedByTheCosineOfTheirHiddenStates)
{
    auto model = tiny("tiny-bert");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.variants = {AttentionSpec::parse("full"), AttentionSpec::parse("sliding:window=2")};
    const CompareResult r = executeCompare(model, backends, req);
    EXPECT_FALSE(r.hasLmHead);
    EXPECT_TRUE(r.variants[0].klPerPosition.empty());
    EXPECT_NEAR(r.variants[0].cosineMean, 1.0, 1e-12);
    EXPECT_LT(r.variants[1].cosineMean, 0.999);
    EXPECT_GT(r.variants[1].massOutsideMean, 0.0);
}

TEST(Compare, VariantLayersBeyondTheModelAreRefused)
{
    auto model = tiny("tiny-llama");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.variants = {AttentionSpec::parse("topk:k=2@layers=5")};
    EXPECT_THROW(executeCompare(model, backends, req), Error);
}

TEST(Compare, LongPromptScoresMaskPatternsFromTilesAndLeavesWholeRowVariantsUndefined)
{
    // The same comparison with and without maps: a long prompt forms no T × T map, so the mass outside a window
    // (and a Longformer pattern) comes from the baseline's exact tiles; KL, perplexity and top-1 need only logits
    // and are the same numbers; top-k needs whole rows and says NaN instead of a made-up 0.
    auto model = tiny("tiny-llama");
    BackendSet backends = cpuBackends();
    CompareRequest req;
    req.base.text = kText;
    req.variants = {AttentionSpec::parse("sliding:window=3"), AttentionSpec::parse("topk:k=2"),
                    AttentionSpec::parse("longformer:window=2,global=1")};
    const CompareResult dense = executeCompare(model, backends, req);
    req.longPrompt = true;
    const CompareResult streamed = executeCompare(model, backends, req);
    const int H = model->config().nHeads, L = model->config().nLayers;
    ASSERT_EQ(streamed.variants.size(), 3u);
    EXPECT_DOUBLE_EQ(streamed.baselinePerplexity, dense.baselinePerplexity);
    for (size_t v : {size_t(0), size_t(1), size_t(2)}) {
        EXPECT_DOUBLE_EQ(streamed.variants[v].perplexity, dense.variants[v].perplexity);
        EXPECT_DOUBLE_EQ(streamed.variants[v].top1Agreement, dense.variants[v].top1Agreement);
        EXPECT_DOUBLE_EQ(streamed.variants[v].klMean, dense.variants[v].klMean);
    }
    for (size_t v : {size_t(0), size_t(2)}) {
        double worst = 0, any = 0;
        for (int k = 0; k < L * H; ++k) {
            const double a = dense.variants[v].massOutside[size_t(k)], b = streamed.variants[v].massOutside[size_t(k)];
            ASSERT_FALSE(std::isnan(b)) << v << " " << k;
            worst = std::max(worst, std::fabs(a - b));
            any = std::max(any, a);
        }
        EXPECT_LE(worst, 1e-6) << req.variants[v].toString();
        EXPECT_GT(any, 0.01) << "the pattern discards something on this prompt";
        EXPECT_NEAR(streamed.variants[v].massOutsideMean, dense.variants[v].massOutsideMean, 1e-6);
    }
    for (double m : streamed.variants[1].massOutside)
        EXPECT_TRUE(std::isnan(m));
    EXPECT_TRUE(std::isnan(streamed.variants[1].massOutsideMean));
    EXPECT_GT(dense.variants[1].massOutsideMean, 0.0);
    EXPECT_TRUE(streamed.baselineCaptures.maps().empty()) << "nothing asked to be kept";
}
