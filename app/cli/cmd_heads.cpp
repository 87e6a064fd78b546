// `attnscope-cli heads MODEL --text T | --text-file F | --induction-probe [--score NAME] [--top N] [--ascending]
//  [--streamed] [--beyond-context]`
// Every head's scores (core/metrics/head_metrics.h), ranked by one of them with the ranking the GUI's head
// finder uses (core/metrics/head_ranking.h). Up to kStreamAboveTokens each layer's maps are scored as the forward
// delivers them and released, so memory holds one layer's maps; above it (or with --streamed) the attention
// kernel scores each row as it computes it and no map is ever formed (docs/LONG-CONTEXT.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/head_ranking.h"
#include "core/metrics/induction_probe.h"
#include "core/session/run_request.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace attnscope::cli {

namespace {

std::string metricIdList()
{
    std::string s;
    for (int i = 0; i < kHeadMetricCount; ++i)
        s += (i ? ", " : "") + std::string(headMetricId(static_cast<HeadMetric>(i)));
    return s;
}

/// Above this many tokens scores are streamed by the attention kernel (one layer of SmolLM2's maps at 8,192
/// tokens would be 2.4 GB); the same threshold as the desktop app's long runs.
constexpr size_t kStreamAboveTokens = 4096;

nlohmann::json number(double v)
{
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

} // namespace

int cmdHeads(const Args& a)
{
    const int threads = static_cast<int>(a.getInt("threads", 0, 0, 256));
    HeadMetric metric = HeadMetric::Induction;
    if (auto s = a.get("score"); s && !headMetricFromId(*s, metric))
        throw Error(ErrorKind::Usage, "", "", -1, "--score must be one of " + metricIdList() + ", got '" + *s + "'");
    const bool ascending = a.has("ascending");
    const bool probe = a.has("induction-probe");
    if (probe && (a.get("text") || a.get("text-file")))
        throw Error(ErrorKind::Usage, "", "", -1, "--induction-probe replaces --text/--text-file: give one of them");

    auto model = LoadedModel::open(a.model());
    const ModelConfig& cfg = model->config();
    const int heads = cfg.nLayers * cfg.nHeads;
    const int top = static_cast<int>(a.getInt("top", heads, 1, heads));
    const std::string text = probe ? makeInductionProbe(model->tokenizer(), kInductionProbeTokens,
                                                        static_cast<uint64_t>(a.getInt("seed", 0, 0, 1ll << 40))).text
                                   : inputText(a);
    const TokenizedText tokens = model->tokenizer().encode(text, !a.has("no-special"));
    const TokenRepeats repeats(tokens.ids);

    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    const bool normalised = a.has("normalised-entropy");   // H_i / ln(n_i): 1 = uniform over the visible keys
    const bool streamed = a.has("streamed") || (tokens.size() > kStreamAboveTokens && !normalised);
    if (streamed && normalised)
        throw Error(ErrorKind::Usage, "", "", -1,
                    "--normalised-entropy needs each map whole; it cannot be combined with --streamed");
    RunRequest req;
    req.ids = tokens.ids;
    req.beyondContext = a.has("beyond-context");
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.logits = CaptureSpec::Logits::None;
    if (streamed)
        req.capture.quantities = {Quantity::HeadScores};
    req.keepCaptures = false;
    MetricsTable table;
    table.layers = cfg.nLayers;
    table.heads = cfg.nHeads;
    table.params.normaliseEntropy = normalised;
    table.cells.assign(static_cast<size_t>(cfg.nLayers) * static_cast<size_t>(cfg.nHeads), HeadMetrics::missing());
    const auto cell = [&](int layer, int head) -> HeadMetrics& {
        return table.cells[static_cast<size_t>(layer) * static_cast<size_t>(cfg.nHeads) + static_cast<size_t>(head)];
    };
    RunStreaming streaming;
    streaming.onLayer = [&](const LayerCaptures& lc) {
        for (const AttentionMapPtr& m : lc.maps)
            if (m->quantity == Quantity::AttentionProbs)
                cell(m->layer, m->head) = computeHeadMetrics(*m, table.params, &repeats);
        // Streamed: the kernel's HeadMetricsAccumulator over each row, delivered in HeadMetric order.
        for (const CapturedSeriesPtr& s : lc.series)
            if (s->key.quantity == Quantity::HeadScores && s->values.size() == static_cast<size_t>(kHeadMetricCount))
                cell(s->key.layer, s->key.head) = headMetricsFromValues(s->values.data());
        return true;
    };
    const RunResult run = executeRun(model, backends, req, streaming);
    const ForwardTimings& ft = run.timings;

    std::vector<RankedHead> ranked = rankHeads(table, metric, ascending);
    ranked.resize(static_cast<size_t>(std::min<int>(top, static_cast<int>(ranked.size()))));
    const int group = cfg.nKvHeads > 0 ? std::max(1, cfg.nHeads / cfg.nKvHeads) : 1;

    if (a.has("json")) {
        nlohmann::json j;
        j["model"] = a.model();
        j["tokens"] = tokens.size();
        j["input"] = probe ? "induction-probe" : "text";
        j["score"] = headMetricId(metric);
        j["order"] = ascending ? "ascending" : "descending";
        j["forward_ms"] = ft.totalMs;
        j["streamed"] = streamed;
        j["heads"] = nlohmann::json::array();
        int rank = 0;
        for (const RankedHead& r : ranked) {
            nlohmann::json scores = nlohmann::json::object();
            for (int m = 0; m < kHeadMetricCount; ++m)
                scores[headMetricId(static_cast<HeadMetric>(m))] = number(table.value(r.layer, r.head, static_cast<HeadMetric>(m)));
            j["heads"].push_back({{"rank", ++rank}, {"layer", r.layer}, {"head", r.head}, {"kv_head", r.head / group},
                                  {"scores", scores}});
        }
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::printf("%zu tokens%s; %d heads ranked by %s (%s), forward %.0f ms\n", tokens.size(),
                probe ? " (induction probe)" : "", heads, headMetricLabel(metric).c_str(),
                ascending ? "lowest first" : "highest first", ft.totalMs);
    std::printf("%5s %5s %5s", "rank", "layer", "head");
    for (int m = 0; m < kHeadMetricCount; ++m)
        std::printf(" %15s", headMetricId(static_cast<HeadMetric>(m)));
    std::printf("\n");
    int rank = 0;
    for (const RankedHead& r : ranked) {
        std::printf("%5d %5d %5d", ++rank, r.layer, r.head);
        for (int m = 0; m < kHeadMetricCount; ++m) {
            const double v = table.value(r.layer, r.head, static_cast<HeadMetric>(m));
            if (std::isnan(v))
                std::printf(" %15s", "-");
            else
                std::printf(" %15.4f", v);
        }
        std::printf("\n");
    }
    return 0;
}

} // namespace attnscope::cli
