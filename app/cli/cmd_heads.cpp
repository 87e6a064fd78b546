// `attnscope-cli heads MODEL --text T | --text-file F | --induction-probe [--score NAME] [--top N] [--ascending]`
// Every head's scores (core/metrics/head_metrics.h), ranked by one of them with the ranking the GUI's head
// finder uses (core/metrics/head_ranking.h). Each map is scored as soon as the forward pass delivers it and
// released right away, so memory stays at one map, not T² · layers · heads.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/capture/observer.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/head_ranking.h"
#include "core/metrics/induction_probe.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"
#include "kernels/backends/register_backends.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace attnscope::cli {

namespace {

/// Wants every head, scores each map on delivery and keeps only the scores.
class ScoringObserver : public ForwardObserver {
public:
    ScoringObserver(const TokenRepeats& repeats) : m_repeats(repeats) {}

    bool wantsAttention(int, int) const override { return true; }
    bool onRunStarted(int64_t, int layers, int heads) override
    {
        m_table.layers = layers;
        m_table.heads = heads;
        m_table.cells.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), HeadMetrics::missing());
        return true;
    }
    bool onAttention(const AttentionMapPtr& map) override
    {
        const size_t k = static_cast<size_t>(map->layer) * static_cast<size_t>(m_table.heads) + static_cast<size_t>(map->head);
        if (k < m_table.cells.size())
            m_table.cells[k] = computeHeadMetrics(*map, m_table.params, &m_repeats);
        return true;
    }
    const MetricsTable& table() const { return m_table; }

private:
    const TokenRepeats& m_repeats;
    MetricsTable m_table;
};

std::string metricIdList()
{
    std::string s;
    for (int i = 0; i < kHeadMetricCount; ++i)
        s += (i ? ", " : "") + std::string(headMetricId(static_cast<HeadMetric>(i)));
    return s;
}

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
    ScoringObserver obs(repeats);
    ForwardOptions options;
    // The observer keeps no map: one map is alive at a time, so that is what must fit, not all of them.
    const uint64_t budget = defaultCaptureBudgetBytes();
    const uint64_t oneMap = captureBytes(static_cast<int64_t>(tokens.size()), 1);
    if (budget != 0 && oneMap > budget)
        throw Error(ErrorKind::Resource, "", "capture", -1,
                    "one attention map at " + std::to_string(tokens.size()) + " tokens needs " + formatBytes(oneMap) +
                        " but the budget is " + formatBytes(budget) + " (80% of available memory); use fewer tokens");
    options.captureBudgetBytes = std::max<uint64_t>(budget, captureBytes(static_cast<int64_t>(tokens.size()), heads));
    const ForwardTimings ft = runForward(*model, backends.main(), backends.fallback(), tokens.ids, obs, options);

    const MetricsTable& table = obs.table();
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
