// `attnscope-cli bench MODEL --tokens N [--threads T] [--repeats R]` — docs/PERFORMANCE.md method: warm-up, then
// medians of R timed runs (with min/max), the same-run FMA peak as the reference for dense GFLOP/s, and peak
// resident memory measured separately for runs without and with every head's probabilities captured. For a model
// with output gates or Gated DeltaNet layers, the all-maps runs alternate with runs that also capture every gate
// series (gate values, SDPA output norms before/after the gate, DeltaNet β/decay/SiLU(z)), so the two medians
// come from the same stretch of machine time and their ratio is the cost of gate capture.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace attnscope::cli {

namespace {

const char* kBenchText =
    "Attention is a mechanism that lets every token look at every earlier token and decide how much of each "
    "to take in. Researchers study which heads attend to the first token, which track syntax, and which copy "
    "earlier patterns. In 2023, the paper on attention sinks showed that keeping four initial tokens restores "
    "perplexity under a sliding window; gated attention later removed the sink altogether.\n";

/// Resets the kernel's peak-RSS counter for this process (Linux ≥ 4.0: writing 5 to clear_refs).
void resetPeakRss()
{
    std::ofstream("/proc/self/clear_refs") << "5";
}

double peakRssMb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;   // kB
    return 0;
}

struct Stats {
    double median = 0, min = 0, max = 0;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    Stats s;
    s.min = v.front();
    s.max = v.back();
    const size_t n = v.size();
    s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return s;
}

nlohmann::json toJson(const Stats& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

} // namespace

int cmdBench(const Args& a)
{
    const int64_t nTokens = a.getInt("tokens", 1024, 1, 1 << 20);
    const int threads = static_cast<int>(a.getInt("threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256));
    const int repeats = static_cast<int>(a.getInt("repeats", 5, 1, 1000));
    auto model = LoadedModel::open(a.model());
    const ModelConfig& cfg = model->config();

    // Natural text repeated to length (the timing does not depend on the words, the maps look realistic).
    std::string text = a.get("text") || a.get("text-file") ? inputText(a) : std::string(kBenchText);
    std::vector<int32_t> ids;
    while (static_cast<int64_t>(ids.size()) < nTokens) {
        TokenizedText t = model->tokenizer().encode(text, ids.empty());
        if (t.ids.empty())
            throw Error(ErrorKind::Usage, "", "text", -1, "the bench text produced no tokens");
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
    }
    ids.resize(static_cast<size_t>(nTokens));

    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    std::string placement;
    Backend& backend = backends.runBackend(&placement, modelOps(cfg));
    WeightStore& weights = backends.weightsFor(model, backend);
    // A device backend runs its ops asynchronously: the runs without maps time the whole forward only (no waits
    // between ops); the runs with maps wait around each op so the dense and attention shares are real. On the CPU
    // every op is synchronous and both kinds of run time every op.
    const bool device = !backend.hostMemory();
    const bool gated = cfg.outputGate != OutputGate::None || cfg.anyLayer(TokenMixer::GatedDeltaNet);
    auto runOnce = [&](bool maps, ForwardTimings& ft, bool gates = false) {
        CaptureSpec spec;
        spec.heads = maps ? CaptureSpec::Heads::All : CaptureSpec::Heads::None;
        spec.logits = CaptureSpec::Logits::Last;
        if (gates)
            spec.quantities.insert({Quantity::Gate, Quantity::AttnOutNormPre, Quantity::AttnOutNormPost,
                                    Quantity::DeltaBeta, Quantity::DeltaDecay, Quantity::DeltaOutputGate});
        CollectingObserver obs(spec);
        ForwardOptions fo;
        fo.opTimings = maps || !device;
        ft = runForward(*model, backend, ids, obs, fo, &weights);
    };

    ForwardTimings ft;
    runOnce(false, ft);   // warm-up (and the first run: it converts the weights)
    const double firstRunMs = ft.totalMs, firstConvertMs = ft.dequantMs;
    std::vector<double> plain, withMaps, withGates, pairedRatio, captureMs, firstLayer, denseGflops, attnMs, dequantMs,
        denseMs;
    resetPeakRss();
    for (int r = 0; r < repeats; ++r) {
        runOnce(false, ft);
        plain.push_back(ft.totalMs);
        if (!device) {
            denseGflops.push_back(ft.denseFlops / (ft.denseMs * 1e6));
            denseMs.push_back(ft.denseMs);
        }
        dequantMs.push_back(ft.dequantMs);
    }
    const double rssPlain = peakRssMb();
    resetPeakRss();
    for (int r = 0; r < repeats; ++r) {
        runOnce(true, ft);
        withMaps.push_back(ft.totalMs);
        firstLayer.push_back(ft.firstLayerMapsMs);
        attnMs.push_back(ft.attentionMs);
        if (device) {
            denseGflops.push_back(ft.denseFlops / (ft.denseMs * 1e6));
            denseMs.push_back(ft.denseMs);
        }
        if (gated) {
            runOnce(true, ft, true);
            withGates.push_back(ft.totalMs);
            pairedRatio.push_back(ft.totalMs / withMaps.back());
            captureMs.push_back(ft.gateCaptureMs);
        }
    }
    const double rssMaps = peakRssMb();
    // The CPU FMA peak is the reference of CPU dense GEMMs only.
    const double peak = a.has("skip-peak") || device ? 0.0 : measureFmaPeakGflops(threads);
    const Stats dense = stats(denseGflops);

    nlohmann::json j;
    j["model"] = a.model();
    j["tokens"] = nTokens;
    j["threads"] = threads;
    j["repeats"] = repeats;
    j["backend"] = backend.name();
    j["backend_description"] = backend.description();
    if (!backends.notes.empty())
        j["backend_notes"] = backends.notes;
    if (!placement.empty())
        j["backend_placement"] = placement;
    j["first_run_ms"] = firstRunMs;
    j["weight_conversion_ms"] = firstConvertMs;
    j["weights_resident"] = weights.resident();
    j["forward_ms"] = stats(plain).median;
    j["forward_with_attention_ms"] = stats(withMaps).median;
    j["first_layer_maps_ms"] = stats(firstLayer).median;
    j["detail"] = {{"forward_ms", toJson(stats(plain))},
                   {"forward_with_attention_ms", toJson(stats(withMaps))},
                   {"first_layer_maps_ms", toJson(stats(firstLayer))},
                   {"attention_ms_all_heads", toJson(stats(attnMs))},
                   {"dense_ms", toJson(stats(denseMs))},
                   {"dequant_ms", toJson(stats(dequantMs))},
                   {"dense_gflops", toJson(dense)}};
    j["fma_peak_gflops"] = peak;
    j["dense_share_of_fma_peak"] = peak > 0 ? dense.median / peak : 0.0;
    j["peak_rss_mb_without_maps"] = rssPlain;
    j["peak_rss_mb_with_all_maps"] = rssMaps;
    j["file_mb"] = model->checkpoint().totalBytes / 1e6;
    j["maps_captured"] = int64_t(cfg.nLayers) * cfg.nHeads;
    if (gated) {
        j["forward_with_attention_and_gates_ms"] = stats(withGates).median;
        j["detail"]["forward_with_attention_and_gates_ms"] = toJson(stats(withGates));
        j["gate_capture_overhead"] = stats(withGates).median / stats(withMaps).median - 1.0;
        j["gate_capture_overhead_paired"] = stats(pairedRatio).median - 1.0;   // median of run-pair ratios
        j["gate_capture_ms_in_forward"] = stats(captureMs).median;             // timed inside the forward
        j["detail"]["gate_capture_ms_in_forward"] = toJson(stats(captureMs));
    }
    if (a.has("json")) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%lld tokens, %d threads, %s: %s, median of %d\n", static_cast<long long>(nTokens), threads,
                backend.name().c_str(), backend.description().c_str(), repeats);
    if (!backends.notes.empty() || !placement.empty())
        std::printf("  note: %s%s%s\n", backends.notes.c_str(), backends.notes.empty() || placement.empty() ? "" : "; ",
                    placement.c_str());
    std::printf("  first run (converts weights) %7.1f ms (conversion %.1f ms, weights %s)\n", firstRunMs, firstConvertMs,
                weights.resident() ? "kept for reruns" : "streamed per layer");
    std::printf("  forward (no maps)           %8.1f ms\n", stats(plain).median);
    std::printf("  forward (all %3d maps)      %8.1f ms\n", cfg.nLayers * cfg.nHeads, stats(withMaps).median);
    if (gated)
        std::printf("  forward (all maps + gates)  %8.1f ms (gate capture %+.1f%%, paired %+.1f%%, %.1f ms inside the forward)\n",
                    stats(withGates).median, 100.0 * (stats(withGates).median / stats(withMaps).median - 1.0),
                    100.0 * (stats(pairedRatio).median - 1.0), stats(captureMs).median);
    std::printf("  first layer's maps ready    %8.1f ms\n", stats(firstLayer).median);
    if (peak > 0)
        std::printf("  dense GEMM                  %8.1f GFLOP/s (%.0f%% of the %.1f GFLOP/s FMA peak)\n", dense.median,
                    100.0 * dense.median / peak, peak);
    else
        std::printf("  dense GEMM                  %8.1f GFLOP/s%s\n", dense.median, device ? " (timed with the maps runs)" : "");
    std::printf("  peak RSS                    %8.0f MB without maps, %.0f MB with all maps (file %.0f MB)\n", rssPlain,
                rssMaps, model->checkpoint().totalBytes / 1e6);
    return 0;
}

} // namespace attnscope::cli
