// One run request → one run result (docs/ENGINE.md "Runs"): the CLI and the GUI both build a RunRequest and get a
// RunResult back; they only format it. The request says what to capture, which logits to decode (top-k), the
// memory budget and whether to go beyond the model's context; executeRun tokenises, checks the context length
// and the whole run's memory up front (one formula, one message, before any work), runs the forward with
// progress and cancel, decodes logits and returns immutable results. Captures can also stream layer by layer.
// Threading: executeRun runs on the calling (compute) thread; the streaming callbacks are called on it too.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_spec.h"
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/results/capture_store.h"
#include "core/tokenizer/tokenizer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace attnscope {

class LoadedModel;
struct ModelConfig;
struct BackendSet;
class Progress;

struct RunRequest {
    std::optional<AttentionSpec> variant;          // a what-if run (docs/VARIANTS.md); none = the model's own
    std::string text;                              // tokenised with the model's tokenizer …
    std::optional<std::vector<int32_t>> ids;       // … unless ready ids are given
    bool addSpecial = true;                        // BOS/CLS/SEP as the model's metadata says
    CaptureSpec capture;                           // what to keep (maps, series, hidden states, logits positions)
    int topK = 10;                                 // next-token candidates decoded at each logits position
    bool keepLogits = false;                       // keep the full logit vectors too (perplexity, comparisons)
    bool keepCaptures = true;                      // false: captures are only streamed (RunStreaming::onLayer) and
                                                   // dropped after each layer, so memory holds one layer's maps
    uint64_t memoryBudgetBytes = 0;                // 0 = 80 % of the memory available now
    bool beyondContext = false;                    // allow more tokens than the model's context (extrapolation)
    bool checkFiniteWeights = true;
};

/// The whole run's memory, estimated before it starts (weights still to convert, activations and scratch,
/// captures), compared with the budget.
struct MemoryEstimate {
    int64_t tokens = 0;
    uint64_t weightBytes = 0;       // fp32 weights still to be converted (0 on a rerun of a resident model)
    uint64_t activationBytes = 0;   // activations, RoPE tables, attention scratch, logits
    uint64_t captureBytes = 0;      // captured maps and series
    uint64_t budgetBytes = 0;
    int64_t capturedMaps = 0;
    uint64_t total() const { return weightBytes + activationBytes + captureBytes; }
    bool fits() const { return budgetBytes == 0 || total() <= budgetBytes; }
    /// "1024 tokens need 1.3 GB (weights 0.5 GB, activations 0.1 GB, 270 maps 0.7 GB); budget 18.0 GB".
    std::string describe() const;
};

struct TopToken {
    int32_t id = 0;
    std::string display;
    float logit = 0.f;
    double prob = 0.0;
};

struct PositionLogits {
    int64_t position = 0;
    std::vector<TopToken> top;      // topK most likely next tokens, most likely first (ties: lower id first)
    std::vector<float> logits;      // all of them when RunRequest::keepLogits
    double logSumExp = 0.0;         // of the logits: log p(token) = logit − logSumExp
};

struct RunResult {
    TokenizedText tokens;
    RunShape shape;
    bool hasLmHead = true;
    CaptureStore captures;
    std::vector<LayerStats> layerStats;
    std::vector<PositionLogits> logits;
    ForwardTimings timings;
    MemoryEstimate estimate;
    std::string backend;            // description of the backend that ran it
    std::string backendName;        // its name ("cpu", "cuda")
    std::vector<std::string> notes; // what a reader should know (encoder: no next-token prediction, …)
};

/// Everything one layer delivered, for front ends that show maps as they arrive.
struct LayerCaptures {
    int layer = 0;
    std::vector<AttentionMapPtr> maps;
    std::vector<CapturedSeriesPtr> series;
    LayerStats stats;
};

struct RunStreaming {
    /// After tokenising and the up-front checks, before the forward. A run retried after a device error or
    /// out-of-memory (see executeRun) starts again: onStarted is called again and layers arrive again from 0.
    std::function<void(const TokenizedText&, const RunShape&, const MemoryEstimate&)> onStarted;
    /// After each layer; return false to stop the run (it ends as cancelled).
    std::function<bool(const LayerCaptures&)> onLayer;
};

/// The ops a run of this request needs beyond the baseline ones (what-if variants use extra ops).
std::vector<OpKind> extraOps(const RunRequest& request);
/// The ops a model needs beyond the baseline ones (mixture-of-experts models: index_add, and Qwen3-Next's router;
/// Gated DeltaNet layers: the causal convolution and the gated delta rule).
std::vector<OpKind> modelOps(const ModelConfig& config);
/// Tokenises the request's text (or takes its ids) and checks the prompt against the model's context length.
/// `notes` receives a note when the request runs beyond the context on purpose. Throws Error(Usage).
TokenizedText tokenizeAndCheck(const LoadedModel& model, const RunRequest& request, std::vector<std::string>& notes);
/// Checks a variant against the model (layers in range, gqa groups dividing the K/V heads, …). Throws Error(Usage).
void checkVariant(const ModelConfig& cfg, const AttentionSpec& spec);

/// Tokenises (or takes ids), checks, runs and decodes. Throws Error: Usage (empty prompt, over the context
/// without beyondContext), Resource (over the memory budget: the message has the numbers and how many tokens
/// would fit), Cancelled, or whatever the forward throws.
/// Device backends (docs/BACKENDS.md "Failures"): when the device's free memory cannot hold every captured map of
/// a layer at once the maps are computed one head at a time, and when it cannot hold even that the run goes to
/// the CPU. A run whose forward fails on the device with out-of-memory or a device error (Error Resource or
/// Internal) is retried once with smaller tiles and one head per attention call, then on the CPU backend; each
/// step is added to RunResult::notes. A device left unusable (sticky error) is skipped by later runs.
RunResult executeRun(const std::shared_ptr<const LoadedModel>& model, BackendSet& backends, const RunRequest& request,
                     const RunStreaming& streaming = {}, Progress* progress = nullptr, std::stop_token stop = {});

/// The estimate executeRun checks; weightBytesToConvert = fp32 weights not yet on the backend. With
/// keepCaptures = false only one layer's captures count.
MemoryEstimate estimateRun(const LoadedModel& model, int64_t tokens, const CaptureSpec& capture, uint64_t budgetBytes,
                           uint64_t weightBytesToConvert, int threads, bool keepCaptures = true);
/// Prompts longer than this run as long runs (docs/LONG-CONTEXT.md): no maps, but what recomputes any tile of
/// them exactly. 4,096 is where maps stop being a reasonable thing to hold on a laptop.
inline constexpr int64_t kLongPromptTokens = 4096;
/// The capture of a long run for a request that asked `maps`: the map quantities (attention probabilities, a
/// differential head's maps, λ, a learned sink's probability) replaced by the layer's queries and keys, the
/// heads' row normalisers, streamed scores and pooled grids. Every other quantity stays.
CaptureSpec longRunCapture(const CaptureSpec& maps);
/// The one rule front ends share: a run is long when the prompt has more than kLongPromptTokens tokens or its
/// maps do not fit the budget.
bool prefersLongRun(int64_t tokens, const MemoryEstimate& mapsEstimate);
/// For front ends that ask nothing before a run (attnscope-cli): tokenises the request's text, and when the
/// rule above says long, replaces request.capture by longRunCapture(request.capture) and returns true.
/// Throws what tokenizeAndCheck throws.
bool chooseLongRun(const LoadedModel& model, RunRequest& request, int threads);
/// The largest token count whose estimate fits the budget (0 if not even one token fits).
int64_t maxTokensThatFit(const LoadedModel& model, const CaptureSpec& capture, uint64_t budgetBytes,
                         uint64_t weightBytesToConvert, int threads, bool keepCaptures = true);

/// Device memory a run needs on a backend with its own memory (weights still to upload, activations and
/// workspaces, one layer's captured maps), with the layer's maps all at once and one head at a time.
struct DeviceMemoryPlan {
    uint64_t freeBytes = 0;
    uint64_t needAllHeads = 0;
    uint64_t needOneHead = 0;
    bool fitsAllHeads() const { return needAllHeads <= usable(); }
    bool fitsOneHead() const { return needOneHead <= usable(); }
    uint64_t usable() const { return freeBytes / 10 * 9; }   // 10 % headroom for the driver and fragmentation
};
DeviceMemoryPlan planDeviceMemory(const LoadedModel& model, int64_t tokens, const CaptureSpec& capture,
                                  const MemoryEstimate& estimate, uint64_t weightBytesToUpload, bool weightsResident,
                                  uint64_t freeBytes);

/// The k most likely next tokens of a logit vector (softmax in double; ties: lower id first).
std::vector<TopToken> topTokens(const Tokenizer& tok, const float* logits, int64_t vocab, int k, double* logSumExp = nullptr);

} // namespace attnscope
