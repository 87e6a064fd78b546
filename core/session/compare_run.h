// A comparison run (docs/VARIANTS.md "Comparing"): the baseline and up to a few what-if variants on the same
// text and the same weights, with the numbers that say what changed. Per variant:
//   - per-position KL(p_baseline ‖ p_variant) of the next-token distributions, its mean and max;
//   - the perplexity of the text, exp(mean_i −log p(token_{i+1} | ≤ i)), and the baseline's;
//   - top-1 agreement with the baseline (share of positions whose most likely next token is the same);
//   - per (layer, head) the share of the baseline's attention mass that falls outside the variant's mask
//     (docs/METRICS.md "mass outside a pattern": what the variant discards from the head; 0 on layers it leaves);
//   - encoders (no LM head): the cosine similarity of the output hidden states per position instead of KL and
//     perplexity.
// A variant applied only to layers ≥ k starts from the baseline's residual stream before layer k (the layers
// below are identical), so it costs only its own layers. Logits are reduced position chunk by chunk from the
// runs' final hidden states, so the T × vocab distributions are never all in memory.
// Threading: executeCompare runs on the calling (compute) thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/session/run_request.h"

#include <vector>

namespace attnscope {

struct CompareRequest {
    RunRequest base;                          // text or ids, budget, context, and what to keep for views
    std::vector<AttentionSpec> variants;      // what-ifs to compare with the baseline
    bool reuseBaselineBelowVariant = true;    // start each variant at its first layer from the baseline's stream
    /// A long prompt (docs/LONG-CONTEXT.md): the baseline forms no T × T map to score the variants. The mass
    /// outside a mask pattern comes from the baseline's queries, keys and row normalisers (exact tiles over the
    /// pattern's keys, layer by layer); top-k, threshold and data-dependent supports need whole rows and stay
    /// NaN. Maps the request asks to keep for views are still kept, and so are the streamed pooled grids
    /// (Quantity::CoarseMax / CoarseMean) the request asks for, of the baseline and of every variant that is a mask
    /// pattern (a variant that builds whole maps cannot stream them: its captures have none).
    bool longPrompt = false;
};

/// The rule both front ends use (docs/LONG-CONTEXT.md): a comparison of `variants` variants over `tokens` tokens
/// runs as a long prompt when the prompt is longer than kLongPromptTokens or one layer's maps of the baseline and
/// every variant would take more than a quarter of `budgetBytes`.
bool prefersLongCompare(int64_t tokens, const ModelConfig& config, size_t variants, uint64_t budgetBytes);

struct VariantComparison {
    AttentionSpec spec;
    std::vector<double> klPerPosition;        // T entries (NaN where undefined); empty for encoders
    double klMean = 0, klMax = 0;
    double perplexity = 0;                    // NaN for encoders and single-token prompts
    double top1Agreement = 0;
    std::vector<double> cosinePerPosition;    // encoders: cosine of the output hidden states
    double cosineMean = 0;
    std::vector<double> massOutside;          // layers × heads, row-major (NaN: not computed, see longPrompt)
    double massOutsideMean = 0;               // over the layers the variant applies to, and their heads (NaN: none)
    CaptureStore captures;                    // the variant's maps the request asked to keep (layers below its first
                                              // layer share the baseline's maps)
    std::vector<LayerStats> layerStats;
    ForwardTimings timings;
    int startLayer = 0;                       // where the variant's forward started (reuse)
};

struct CompareResult {
    TokenizedText tokens;
    RunShape shape;
    bool hasLmHead = true;
    double baselinePerplexity = 0;
    CaptureStore baselineCaptures;
    std::vector<LayerStats> baselineStats;
    ForwardTimings baselineTimings;
    std::vector<VariantComparison> variants;
    std::vector<std::string> notes;
    double totalMs = 0;
};

/// Throws Error as executeRun does (Usage for a bad variant or prompt, Resource, Cancelled). Progress counts
/// the baseline and every variant as stages of layers.
CompareResult executeCompare(const std::shared_ptr<const LoadedModel>& model, BackendSet& backends,
                             const CompareRequest& request, Progress* progress = nullptr, std::stop_token stop = {});

} // namespace attnscope
