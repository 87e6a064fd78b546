// `attnscope-cli run MODEL --text T [--top K] [--attn-out F.npy --layer L --head H] [--beyond-context]`:
// formatting over the engine's run request (core/session/run_request.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "common/save_file_sink.h"
#include "core/backend/backend_set.h"
#include "core/io/npy.h"
#include "core/model/loaded_model.h"
#include "core/session/progress.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "core/util/json_output.h"
#include "core/util/text_escape.h"
#include "kernels/backends/register_backends.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

namespace attnscope::cli {

int cmdRun(const Args& a)
{
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const int topCount = static_cast<int>(a.getInt("top", 10, 1, 1000));
    const auto attnOut = a.get("attn-out");
    const int threads = static_cast<int>(a.getInt("threads", 0, 0, 256));

    auto model = LoadedModel::open(a.model());
    const ModelConfig& cfg = model->config();
    const double openMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

    int layer = -1, head = -1;
    if (attnOut) {
        if (!a.get("layer") || !a.get("head"))
            throw Error(ErrorKind::Usage, "", "", -1, "--attn-out needs --layer L and --head H");
        layer = static_cast<int>(a.getInt("layer", 0, 0, cfg.nLayers - 1));
        head = static_cast<int>(a.getInt("head", 0, 0, cfg.nHeads - 1));
    }

    RunRequest req;
    req.text = inputText(a);
    req.addSpecial = !a.has("no-special");
    req.topK = topCount;
    req.beyondContext = a.has("beyond-context");
    req.capture.logits = CaptureSpec::Logits::Last;
    if (attnOut) {
        req.capture.heads = CaptureSpec::Heads::Selected;
        req.capture.selected.insert({layer, head});
    }
    if (!cfg.hasLmHead)
        req.capture.quantities.insert(Quantity::FinalHidden);

    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    Progress progress;
    std::jthread reporter;
    if (a.has("progress"))   // the Progress contract: atomics polled at ~10 Hz from another thread
        reporter = std::jthread([&progress](std::stop_token st) {
            while (!st.stop_requested()) {
                std::fprintf(stderr, "\rattnscope-cli: %s %lld/%lld", stageName(progress.currentStage()),
                             static_cast<long long>(progress.done.load()), static_cast<long long>(progress.total.load()));
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            std::fprintf(stderr, "\n");
        });
    const RunResult r = executeRun(model, backends, req, {}, &progress);
    if (reporter.joinable()) {
        reporter.request_stop();
        reporter.join();
    }

    if (attnOut) {
        AttentionMapPtr m = r.captures.map(layer, head);
        SaveFileSink sink(QString::fromStdString(*attnOut));
        if (!m || !writeNpyFloat32(sink, m->probs.data(), {m->tokens, m->tokens}) || !sink.commit())
            throw Error(ErrorKind::Io, *attnOut, "", -1, "cannot write: " + sink.errorString());
    }
    const double totalMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    const ForwardTimings& ft = r.timings;
    const std::vector<TopToken> none;
    const std::vector<TopToken>& top = r.logits.empty() ? none : r.logits.front().top;

    if (a.has("json")) {
        nlohmann::json j;
        j["ids"] = r.tokens.ids;
        j["tokens"] = r.tokens.display;
        j["backend"] = r.backendName;
        j["backend_description"] = r.backend;
        if (!backends.notes.empty())
            j["backend_notes"] = backends.notes;
        j["notes"] = r.notes;
        j["has_lm_head"] = r.hasLmHead;
        j["top"] = nlohmann::json::array();
        for (const TopToken& e : top)
            j["top"].push_back({{"id", e.id}, {"token", e.display}, {"logit", e.logit}, {"prob", e.prob}});
        j["hidden_max_abs"] = nlohmann::json::array();
        for (const LayerStats& s : r.layerStats)
            j["hidden_max_abs"].push_back({{"layer", s.layer}, {"value", s.hiddenMaxAbs}, {"token", s.maxToken}, {"dim", s.maxDim}});
        j["memory_estimate_bytes"] = r.estimate.total();
        j["timings_ms"] = {{"open", openMs}, {"forward", ft.totalMs}, {"dequant", ft.dequantMs}, {"dense", ft.denseMs},
                           {"attention", ft.attentionMs}, {"lm_head", ft.lmHeadMs}, {"total", totalMs}};
        if (attnOut)
            j["attn_out"] = {{"file", *attnOut}, {"layer", layer}, {"head", head}, {"shape", {r.tokens.size(), r.tokens.size()}}};
        if (const auto escaped = makeJsonPrintable(j); !escaped.empty())
            j["escaped_fields"] = escaped;
        std::cout << dumpForTerminal(j) << "\n";
        return 0;
    }
    std::printf("%zu tokens on %s; forward %.0f ms (open %.0f ms)\n", r.tokens.size(), r.backend.c_str(), ft.totalMs, openMs);
    for (const std::string& n : r.notes)
        std::printf("note: %s\n", escapeControl(n).c_str());
    if (r.hasLmHead) {
        std::printf("next token after \"%s\":\n", r.tokens.display.empty() ? "" : escapeControl(r.tokens.display.back()).c_str());
        for (const TopToken& e : top)
            std::printf("  %7d  %-20s logit %8.3f  p %.4f\n", e.id, escapeControl(e.display).c_str(), e.logit, e.prob);
    } else {
        std::printf("hidden-state max |h| per layer:");
        for (const LayerStats& s : r.layerStats)
            std::printf(" %.2f", s.hiddenMaxAbs);
        std::printf("\n");
    }
    if (attnOut)
        std::printf("wrote layer %d head %d probabilities (%zu×%zu float32) to %s\n", layer, head, r.tokens.size(),
                    r.tokens.size(), escapeControl(*attnOut).c_str());
    return 0;
}

} // namespace attnscope::cli
