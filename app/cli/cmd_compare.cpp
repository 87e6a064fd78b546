// `attnscope-cli compare MODEL --text T|--text-file F --variant SPEC [--variant SPEC …] [--json]`: the baseline and
// what-if variants on the same text and weights (core/session/compare_run.h); formatting only.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "core/session/compare_run.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"
#include "kernels/backends/register_backends.h"

#include <cmath>
#include <cstdio>
#include <iostream>

namespace attnscope::cli {

namespace {

nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

} // namespace

int cmdCompare(const Args& a)
{
    const int threads = static_cast<int>(a.getInt("threads", 0, 0, 256));
    auto model = LoadedModel::open(a.model());
    const ModelConfig& cfg = model->config();
    CompareRequest req;
    req.base.text = inputText(a);
    req.base.addSpecial = !a.has("no-special");
    req.base.beyondContext = a.has("beyond-context");
    req.reuseBaselineBelowVariant = !a.has("no-reuse");
    for (const std::string& s : a.all("variant"))
        req.variants.push_back(AttentionSpec::parse(s));
    if (req.variants.empty())
        throw Error(ErrorKind::Usage, "", "", -1, "compare: give at least one --variant SPEC (e.g. sliding:window=64)");
    // Long prompts (docs/LONG-CONTEXT.md): no T × T map is formed, not even to score the variants; the mass
    // outside a mask pattern comes from the baseline's exact tiles, top-k and other whole-row variants report null.
    const std::string mode = a.get("run-mode").value_or("auto");
    if (mode != "auto" && mode != "maps" && mode != "long")
        throw Error(ErrorKind::Usage, "", "", -1, "--run-mode must be auto, maps or long, got '" + mode + "'");
    if (mode == "long")
        req.longPrompt = true;
    else if (mode == "auto") {
        std::vector<std::string> notes;
        const int64_t t = static_cast<int64_t>(tokenizeAndCheck(*model, req.base, notes).size());
        req.longPrompt = prefersLongCompare(t, cfg, req.variants.size(), defaultCaptureBudgetBytes());
    }
    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    const CompareResult r = executeCompare(model, backends, req);

    if (a.has("json")) {
        nlohmann::json j;
        j["model"] = a.model();
        j["tokens"] = r.tokens.size();
        j["has_lm_head"] = r.hasLmHead;
        j["notes"] = r.notes;
        j["long_prompt"] = req.longPrompt;
        j["baseline"] = {{"ppl", number(r.baselinePerplexity)}, {"forward_ms", r.baselineTimings.totalMs}};
        j["variants"] = nlohmann::json::array();
        for (const VariantComparison& v : r.variants) {
            nlohmann::json e;
            e["spec"] = v.spec.toString();
            e["mass_outside_mask"] = v.massOutsideMean;
            nlohmann::json perLayer = nlohmann::json::array();
            for (int l = 0; l < cfg.nLayers; ++l) {
                double s = 0;
                for (int h = 0; h < cfg.nHeads; ++h)
                    s += v.massOutside[size_t(l) * size_t(cfg.nHeads) + size_t(h)];
                perLayer.push_back(s / cfg.nHeads);
            }
            e["mass_outside_mask_per_layer"] = perLayer;
            if (r.hasLmHead) {
                e["ppl"] = number(v.perplexity);
                e["kl_mean"] = v.klMean;
                e["kl_max"] = v.klMax;
                e["top1_agree"] = v.top1Agreement;
                if (a.has("per-position"))
                    e["kl_per_position"] = v.klPerPosition;
            } else {
                e["cosine_mean"] = v.cosineMean;
                if (a.has("per-position"))
                    e["cosine_per_position"] = v.cosinePerPosition;
            }
            e["start_layer"] = v.startLayer;
            e["forward_ms"] = v.timings.totalMs;
            j["variants"].push_back(std::move(e));
        }
        j["total_ms"] = r.totalMs;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%zu tokens, %s; baseline perplexity %.3f\n", r.tokens.size(), cfg.architecture.c_str(), r.baselinePerplexity);
    for (const std::string& n : r.notes)
        std::printf("note: %s\n", n.c_str());
    if (r.hasLmHead)
        std::printf("%-44s %10s %10s %10s %8s %10s\n", "variant", "ppl", "KL mean", "KL max", "top-1", "outside");
    else
        std::printf("%-44s %10s %10s\n", "variant", "cosine", "outside");
    for (const VariantComparison& v : r.variants) {
        if (r.hasLmHead)
            std::printf("%-44s %10.3f %10.4f %10.4f %7.1f%% %9.1f%%\n", v.spec.toString().c_str(), v.perplexity, v.klMean,
                        v.klMax, 100 * v.top1Agreement, 100 * v.massOutsideMean);
        else
            std::printf("%-44s %10.4f %9.1f%%\n", v.spec.toString().c_str(), v.cosineMean, 100 * v.massOutsideMean);
    }
    std::printf("(%.0f ms in all)\n", r.totalMs);
    return 0;
}

} // namespace attnscope::cli
