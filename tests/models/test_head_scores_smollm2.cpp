// Head scores on SmolLM2-135M-Instruct (Q4_1 GGUF): on the repeated-random-tokens probe the strongest
// induction head must score ≥ 0.3 (a model without induction heads scores ≈ 1/T on it), and the probe's
// first copy, which repeats nothing, must leave the duplicate-token and induction rows to the second copy.
// The ranking printed here is the one `attnscope-cli heads --induction-probe` shows.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

#include "core/capture/collecting_observer.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/head_ranking.h"
#include "core/metrics/induction_probe.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

using namespace attnscope;

TEST(HeadScoresSmolLM2, InductionProbeFindsInductionHeads)
{
    ATTNSCOPE_REQUIRE_MODEL(path, test::kSmolLM2);
    auto model = LoadedModel::open(path);
    const InductionProbe probe = makeInductionProbe(model->tokenizer());
    const TokenizedText tt = model->tokenizer().encode(probe.text, true);
    const int n = static_cast<int>(probe.randomIds.size());
    ASSERT_EQ(n, kInductionProbeTokens);
    ASSERT_GE(tt.size(), static_cast<size_t>(2 * n));

    cpu::CpuBackend backend(2);
    CaptureSpec spec;
    spec.heads = CaptureSpec::Heads::All;
    spec.logits = CaptureSpec::Logits::None;
    CollectingObserver obs(spec);
    runForward(*model, backend, tt.ids, obs);

    const TokenRepeats repeats(tt.ids);
    const MetricsTable table = buildMetricsTable(obs.store().grid(Quantity::AttentionProbs, obs.layers(), obs.heads()), obs.layers(), obs.heads(), {}, &repeats);
    const auto induction = rankHeads(table, HeadMetric::Induction);
    const auto prev = rankHeads(table, HeadMetric::PrevToken);
    for (int k = 0; k < 5; ++k)
        std::printf("induction #%d: L%dH%d %.3f   previous-token #%d: L%dH%d %.3f\n", k + 1, induction[k].layer,
                    induction[k].head, induction[k].score, k + 1, prev[k].layer, prev[k].head, prev[k].score);
    EXPECT_GE(induction.front().score, 0.3);
    EXPECT_LE(induction.front().score, 1.0 + 1e-6);
    // A head that attends uniformly scores 1/(i+1) per row: far below every real induction head.
    EXPECT_LT(induction.back().score, 0.3);
    // Every head has every score on this prompt (it repeats tokens, so none is NaN).
    for (int l = 0; l < table.layers; ++l)
        for (int h = 0; h < table.heads; ++h)
            for (int m = 0; m < kHeadMetricCount; ++m)
                EXPECT_FALSE(std::isnan(table.value(l, h, static_cast<HeadMetric>(m))))
                    << "L" << l << "H" << h << " " << headMetricId(static_cast<HeadMetric>(m));
}
