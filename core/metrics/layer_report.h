// Per-layer statistics of a run, the numbers `attnscope-cli stats` prints and the sink/gate/differential views
// plot (docs/METRICS.md "Layer report"). Built layer by layer from streamed captures, so no map has to be kept:
//
//   first_token_share  mean over heads and query rows i ≥ 1 of A[i, 0] (the Gated Attention paper's F-Attn; row 0
//                      is left out: under a causal mask it can only attend to itself)
//   max_abs_hidden     max |h| of the layer's output (massive activations), with the token and dim where it sits
//   sink_rate          share of heads whose mean attention to token 0 over all valid rows (α) exceeds ε (Gu et al.,
//                      default ε = 0.3); α per head is kept, so the rate at another ε needs no rerun
//   gate_mean, gate_frac_below {0.5, 0.1, 0.01}   over every gate value of the layer (heads, tokens, dims)
//   attn_out_norm_before_gate / _after_gate       mean over heads and tokens of the SDPA output's L2 norm
//   sink_mass          mean over heads and rows of the probability a sink column took (also per head)
//   lambda             per head: the differential λ (mean over tokens for V2)
//   diff_negative_share  share of the combined map's mass Σ|D| that is negative, over heads and rows
// A statistic whose quantity the layer did not produce is absent (not zero).
// A long run (docs/LONG-CONTEXT.md) keeps no map: its heads' first-token share and α come from column 0
// recomputed exactly from the kept queries, keys and row normalisers (headSinkSharesFromTiles), fed to
// addStreamedLayer; every other statistic is read from the same series as for a run with maps.
// Threading: a builder is fed from one thread; the report is a plain value.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <limits>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnscope {

struct LayerReport {
    int layer = 0;
    std::optional<double> firstTokenShare;
    double maxAbsHidden = 0;
    int64_t maxToken = 0, maxDim = 0;
    std::optional<double> sinkRate;
    std::optional<double> gateMean;
    std::map<double, double> gateFracBelow;          // threshold -> share of gate values below it
    std::optional<double> attnOutNormBeforeGate, attnOutNormAfterGate;
    std::optional<double> sinkMass;
    std::vector<double> lambda;                      // per head (empty when not differential)
    std::optional<double> diffNegativeShare;
    std::vector<double> firstTokenSharePerHead;      // per head, NaN where not captured
    std::vector<double> firstTokenAlphaPerHead;      // per head: α = mean over all valid rows of A[i, 0] (NaN: none)
    std::vector<double> sinkMassPerHead;             // per head: mean p_sink over rows (empty without sinks)
    /// Share of this layer's heads whose α exceeds eps (the sink rate at another threshold); empty without maps.
    std::optional<double> sinkRateAt(double eps) const;
};

struct ModelReport {
    std::vector<LayerReport> layers;
    double sinkThreshold = 0.3;
    /// Means over layers of the statistics every layer has (first_token_share, max_abs_hidden, gate_mean, …).
    std::map<std::string, double> means() const;
    /// The model's sink rate (Gu et al.): share of all (layer, head) pairs whose α exceeds eps; empty without maps.
    std::optional<double> sinkRate(double eps) const;
};

class HeadTileSource;

/// One head's A[i, 0] means: `share` over valid rows i ≥ 1 (first_token_share), `alpha` over every valid row
/// (the sink rate's α); key 0 masked in a row counts as 0. NaN when no row qualifies.
struct HeadSinkShares {
    double share = std::numeric_limits<double>::quiet_NaN();
    double alpha = std::numeric_limits<double>::quiet_NaN();
};
/// The same two numbers as addLayer takes from a stored map, from column 0 recomputed by a long run's tiles
/// (T · head_dim multiply-adds). Any thread.
HeadSinkShares headSinkSharesFromTiles(const HeadTileSource& src);

class LayerReportBuilder {
public:
    explicit LayerReportBuilder(int heads, double sinkThreshold = 0.3) : m_heads(heads) { m_report.sinkThreshold = sinkThreshold; }
    /// One layer's captured maps (attention probabilities, combined maps) and series (gates, sink mass, norms, λ).
    void addLayer(int layer, const LayerStats& stats, const std::vector<AttentionMapPtr>& maps,
                  const std::vector<CapturedSeriesPtr>& series);
    /// A long run's layer: per-head shares recomputed from tiles (index = head; missing heads NaN) instead of maps.
    void addStreamedLayer(int layer, const LayerStats& stats, const std::vector<HeadSinkShares>& heads,
                          const std::vector<CapturedSeriesPtr>& series);
    const ModelReport& report() const { return m_report; }

private:
    void addSeries(LayerReport& r, const std::vector<CapturedSeriesPtr>& series) const;
    void addShares(LayerReport& r, const std::vector<HeadSinkShares>& heads) const;
    int m_heads;
    ModelReport m_report;
};

} // namespace attnscope
