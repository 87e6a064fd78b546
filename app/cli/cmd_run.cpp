// `attnscope-cli run MODEL --text T [--top K] [--attn-out F.npy --layer L --head H]`
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "common/save_file_sink.h"
#include "core/backend/backend_set.h"
#include "core/capture/collecting_observer.h"
#include "core/io/npy.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "core/util/json_output.h"
#include "core/util/text_escape.h"
#include "kernels/backends/register_backends.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <thread>

namespace attnscope::cli {

namespace {

struct TopEntry {
    int32_t id;
    float logit;
    double prob;
};

std::vector<TopEntry> topK(const std::vector<float>& logits, int k)
{
    const double mx = *std::max_element(logits.begin(), logits.end());
    double z = 0;
    for (float l : logits)
        z += std::exp(double(l) - mx);
    std::vector<int32_t> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min<int>(k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t x, int32_t y) {
        return logits[x] > logits[y] || (logits[x] == logits[y] && x < y);
    });
    std::vector<TopEntry> r;
    for (int i = 0; i < k; ++i)
        r.push_back({idx[i], logits[idx[i]], std::exp(double(logits[idx[i]]) - mx) / z});
    return r;
}

} // namespace

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

    const std::string text = inputText(a);
    const auto tt = Clock::now();
    TokenizedText tokens = model->tokenizer().encode(text, !a.has("no-special"));
    const double tokMs = std::chrono::duration<double, std::milli>(Clock::now() - tt).count();

    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    CaptureSpec spec;
    spec.logits = CaptureSpec::Logits::Last;
    if (attnOut) {
        spec.heads = CaptureSpec::Heads::Selected;
        spec.selected.insert({layer, head});
    }
    CollectingObserver obs(spec);
    Progress progress;
    ForwardOptions options;
    options.progress = &progress;
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
    ForwardTimings ft = runForward(*model, backends.main(), backends.fallback(), tokens.ids, obs, options);
    if (reporter.joinable()) {
        reporter.request_stop();
        reporter.join();
    }

    std::vector<TopEntry> top = topK(obs.logits().at(0).second, topCount);
    if (attnOut) {
        AttentionMapPtr m = obs.map(layer, head);
        SaveFileSink sink(QString::fromStdString(*attnOut));
        if (!writeNpyFloat32(sink, m->probs.data(), {m->tokens, m->tokens}) || !sink.commit())
            throw Error(ErrorKind::Io, *attnOut, "", -1, "cannot write: " + sink.errorString());
    }
    const double totalMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

    if (a.has("json")) {
        nlohmann::json j;
        j["ids"] = tokens.ids;
        j["tokens"] = tokens.display;
        j["backend"] = backends.primary->name();
        j["backend_description"] = backends.primary->description();
        if (!backends.notes.empty())
            j["backend_notes"] = backends.notes;
        j["top"] = nlohmann::json::array();
        for (const TopEntry& e : top)
            j["top"].push_back({{"id", e.id}, {"token", model->tokenizer().tokenDisplay(e.id)}, {"logit", e.logit}, {"prob", e.prob}});
        j["timings_ms"] = {{"open", openMs}, {"tokenize", tokMs}, {"forward", ft.totalMs}, {"dequant", ft.dequantMs},
                           {"dense", ft.denseMs}, {"attention", ft.attentionMs}, {"lm_head", ft.lmHeadMs}, {"total", totalMs}};
        if (attnOut)
            j["attn_out"] = {{"file", *attnOut}, {"layer", layer}, {"head", head}, {"shape", {tokens.size(), tokens.size()}}};
        if (const auto escaped = makeJsonPrintable(j); !escaped.empty())
            j["escaped_fields"] = escaped;
        std::cout << dumpForTerminal(j) << "\n";
        return 0;
    }
    std::printf("%zu tokens on %s; forward %.0f ms (open %.0f ms)\n", tokens.size(), backends.primary->description().c_str(),
                ft.totalMs, openMs);
    std::printf("next token after \"%s\":\n", tokens.display.empty() ? "" : escapeControl(tokens.display.back()).c_str());
    for (const TopEntry& e : top)
        std::printf("  %7d  %-20s logit %8.3f  p %.4f\n", e.id, escapeControl(model->tokenizer().tokenDisplay(e.id)).c_str(),
                    e.logit, e.prob);
    if (attnOut)
        std::printf("wrote layer %d head %d probabilities (%zu×%zu float32) to %s\n", layer, head, tokens.size(),
                    tokens.size(), escapeControl(*attnOut).c_str());
    return 0;
}

} // namespace attnscope::cli
