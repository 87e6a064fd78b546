// `attnscope-cli stats MODEL --text T [--sink-threshold E] [--variant SPEC] [--json]`: the per-layer statistics of
// core/metrics/layer_report.h (first-token share, massive activations, sink rate, and gate, sink and differential
// statistics where the model has them: sink mass per layer and head for learned sinks, λ per head and the negative
// share of A1 − λ·A2 for differential heads) — the numbers the Gated Attention paper tabulates (its Table 4
// columns).
// Maps are scored as they stream and dropped, so memory holds one layer's maps.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/metrics/layer_report.h"
#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace attnscope::cli {

namespace {

nlohmann::json optional(const std::optional<double>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json();
}

/// Per-head values; NaN (a head not captured) becomes null.
nlohmann::json perHead(const std::vector<double>& v)
{
    nlohmann::json a = nlohmann::json::array();
    for (double x : v)
        a.push_back(std::isnan(x) ? nlohmann::json() : nlohmann::json(x));
    return a;
}

/// " 0.812 0.790 …" (λ per head), NaN as "–".
std::string headList(const std::vector<double>& v)
{
    std::string s;
    char buf[32];
    for (double x : v) {
        std::snprintf(buf, sizeof buf, std::isnan(x) ? " –" : " %.3f", x);
        s += buf;
    }
    return s;
}

} // namespace

int cmdStats(const Args& a)
{
    const int threads = static_cast<int>(a.getInt("threads", 0, 0, 256));
    const double threshold = a.getDouble("sink-threshold", 0.3, 0.0, 1.0);
    auto model = LoadedModel::open(a.model());
    const ModelConfig& cfg = model->config();

    RunRequest req;
    req.text = inputText(a);
    req.addSpecial = !a.has("no-special");
    req.beyondContext = a.has("beyond-context");
    req.capture.heads = CaptureSpec::Heads::All;
    req.capture.logits = CaptureSpec::Logits::None;
    req.capture.quantities = {Quantity::AttentionProbs, Quantity::AttentionCombined, Quantity::Gate, Quantity::SinkProb,
                              Quantity::AttnOutNormPre, Quantity::AttnOutNormPost, Quantity::Lambda};
    req.keepCaptures = false;
    if (const auto v = a.get("variant"))
        req.variant = AttentionSpec::parse(*v);   // a what-if run: the statistics of the variant's maps
    LayerReportBuilder builder(cfg.nHeads, threshold);
    RunStreaming streaming;
    streaming.onLayer = [&builder](const LayerCaptures& lc) {
        builder.addLayer(lc.layer, lc.stats, lc.maps, lc.series);
        return true;
    };
    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    const RunResult r = executeRun(model, backends, req, streaming);
    const ModelReport& rep = builder.report();

    if (a.has("json")) {
        nlohmann::json j;
        j["model"] = a.model();
        j["architecture"] = cfg.architecture;
        j["tokens"] = r.tokens.size();
        if (req.variant)
            j["variant"] = req.variant->toString();
        j["sink_threshold"] = threshold;
        j["notes"] = r.notes;
        j["layers"] = nlohmann::json::array();
        for (const LayerReport& l : rep.layers) {
            nlohmann::json e;
            e["layer"] = l.layer;
            e["softmax_map"] = cfg.layers[static_cast<size_t>(l.layer)].hasSoftmaxMap();
            e["first_token_share"] = optional(l.firstTokenShare);
            e["max_abs_hidden"] = l.maxAbsHidden;
            e["max_abs_hidden_at"] = {{"token", l.maxToken}, {"dim", l.maxDim}};
            e["sink_rate"] = optional(l.sinkRate);
            if (l.gateMean) {
                e["gate_mean"] = *l.gateMean;
                e["gate_frac_below"] = nlohmann::json::object();
                for (const auto& [t, v] : l.gateFracBelow)
                    e["gate_frac_below"][std::to_string(t).substr(0, t < 0.1 ? 4 : 3)] = v;
            }
            if (l.attnOutNormBeforeGate)
                e["attn_out_norm_before_gate"] = *l.attnOutNormBeforeGate;
            if (l.attnOutNormAfterGate)
                e["attn_out_norm_after_gate"] = *l.attnOutNormAfterGate;
            if (l.sinkMass) {
                e["sink_mass"] = *l.sinkMass;
                e["sink_mass_per_head"] = perHead(l.sinkMassPerHead);
            }
            e["first_token_share_per_head"] = perHead(l.firstTokenSharePerHead);
            e["first_token_alpha_per_head"] = perHead(l.firstTokenAlphaPerHead);
            if (!l.lambda.empty())
                e["lambda"] = l.lambda;
            if (l.diffNegativeShare)
                e["diff_negative_share"] = *l.diffNegativeShare;
            j["layers"].push_back(std::move(e));
        }
        j["means"] = rep.means();
        j["sink_rate"] = optional(rep.sinkRate(threshold));   // over every (layer, head) pair
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%zu tokens, %s%s; sink threshold %.2f\n", r.tokens.size(), cfg.architecture.c_str(),
                req.variant ? (" under " + req.variant->toString()).c_str() : "", threshold);
    for (const std::string& n : r.notes)
        std::printf("note: %s\n", n.c_str());
    // Columns for the gate, learned-sink and differential statistics appear when the model produces them.
    bool gated = false, anySink = false, anyDiff = false;
    for (const LayerReport& l : rep.layers) {
        gated = gated || l.gateMean.has_value();
        anySink = anySink || l.sinkMass.has_value();
        anyDiff = anyDiff || l.diffNegativeShare.has_value() || !l.lambda.empty();
    }
    std::printf("layer  first-token share  sink rate  max |h| (token, dim)%s%s%s\n",
                gated ? "  gate mean   <0.5   <0.1  <0.01  |o| before  after gate" : "", anySink ? "  sink mass" : "",
                anyDiff ? "  D<0 share  λ per head" : "");
    for (const LayerReport& l : rep.layers) {
        char at[48];
        std::snprintf(at, sizeof at, "(%lld, %lld)", static_cast<long long>(l.maxToken), static_cast<long long>(l.maxDim));
        if (!cfg.layers[static_cast<size_t>(l.layer)].hasSoftmaxMap()) {
            std::printf("%5d  %28s  %9.1f %-10s  linear attention\n", l.layer, "no softmax map", l.maxAbsHidden, at);
            continue;
        }
        const bool more = gated || anySink || anyDiff;
        std::printf("%5d  %17.3f  %9.2f  %9.1f %s%*s", l.layer, l.firstTokenShare.value_or(NAN), l.sinkRate.value_or(NAN),
                    l.maxAbsHidden, at, more ? static_cast<int>(10 - std::min<size_t>(10, std::strlen(at))) : 0, "");   // under "(token, dim)"
        if (l.gateMean)
            std::printf("  %9.3f  %5.3f  %5.3f  %5.3f  %10.3f  %10.3f", *l.gateMean, l.gateFracBelow.at(0.5),
                        l.gateFracBelow.at(0.1), l.gateFracBelow.at(0.01), l.attnOutNormBeforeGate.value_or(NAN),
                        l.attnOutNormAfterGate.value_or(NAN));
        if (anySink)
            std::printf("  %9.3f", l.sinkMass.value_or(NAN));
        if (anyDiff)
            std::printf("  %9.3f %s", l.diffNegativeShare.value_or(NAN), headList(l.lambda).c_str());
        std::printf("\n");
    }
    if (const auto rate = rep.sinkRate(threshold))
        std::printf("sink rate over all heads (α > %.2f) = %.4g\n", threshold, *rate);
    for (const auto& [k, v] : rep.means())
        std::printf("mean %s = %.4g\n", k.c_str(), v);
    return 0;
}

} // namespace attnscope::cli
