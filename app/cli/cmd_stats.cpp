// `attnscope-cli stats MODEL --text T [--sink-threshold E] [--json]`: the per-layer statistics of
// core/metrics/layer_report.h (first-token share, massive activations, sink rate, and gate, sink and differential
// statistics where the model has them) — the numbers the Gated Attention paper tabulates (its Table 4 columns).
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

namespace attnscope::cli {

namespace {

nlohmann::json optional(const std::optional<double>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json();
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
            if (l.sinkMass)
                e["sink_mass"] = *l.sinkMass;
            if (!l.lambda.empty())
                e["lambda"] = l.lambda;
            if (l.diffNegativeShare)
                e["diff_negative_share"] = *l.diffNegativeShare;
            j["layers"].push_back(std::move(e));
        }
        j["means"] = rep.means();
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%zu tokens, %s; sink threshold %.2f\n", r.tokens.size(), cfg.architecture.c_str(), threshold);
    for (const std::string& n : r.notes)
        std::printf("note: %s\n", n.c_str());
    bool gated = false;
    for (const LayerReport& l : rep.layers)
        gated = gated || l.gateMean.has_value();
    std::printf("layer  first-token share  sink rate  max |h| (token, dim)%s\n",
                gated ? "   gate mean   <0.5   <0.1  <0.01  |o| before  after gate" : "");
    for (const LayerReport& l : rep.layers) {
        char at[48];
        std::snprintf(at, sizeof at, "(%lld, %lld)", static_cast<long long>(l.maxToken), static_cast<long long>(l.maxDim));
        if (!cfg.layers[static_cast<size_t>(l.layer)].hasSoftmaxMap()) {
            std::printf("%5d  %28s  %9.1f %-12s  linear attention\n", l.layer, "no softmax map", l.maxAbsHidden, at);
            continue;
        }
        std::printf("%5d  %17.3f  %9.2f  %9.1f %s%*s", l.layer, l.firstTokenShare.value_or(NAN), l.sinkRate.value_or(NAN),
                    l.maxAbsHidden, at, l.gateMean ? static_cast<int>(12 - std::min<size_t>(12, std::strlen(at))) : 0, "");
        if (l.gateMean)
            std::printf("  %9.3f  %5.3f  %5.3f  %5.3f  %10.3f  %10.3f", *l.gateMean, l.gateFracBelow.at(0.5),
                        l.gateFracBelow.at(0.1), l.gateFracBelow.at(0.01), l.attnOutNormBeforeGate.value_or(NAN),
                        l.attnOutNormAfterGate.value_or(NAN));
        std::printf("\n");
    }
    for (const auto& [k, v] : rep.means())
        std::printf("mean %s = %.4g\n", k.c_str(), v);
    return 0;
}

} // namespace attnscope::cli
