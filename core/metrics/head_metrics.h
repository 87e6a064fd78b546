// Per-head attention metrics (VARIANTS §8) as pure functions over an AttentionMap, and the layers × heads
// table the overview's summary heatmap shows. No Qt; callable from any thread (the inputs are immutable).
//
// Notation: A is the T×T map, row i = query, column j = key. Row i is *valid* unless map.maskedRows[i] is set
// (fully masked rows are excluded, never counted as zeros). Key j is *valid* in row i unless map.isMasked(i, j)
// (causal: j ≤ i). n_i = number of valid keys in row i. "Mean over rows" is the unweighted mean over the rows
// the metric uses; a metric with no usable row is NaN.
//
//  - First-token (sink) share   S = mean_i A[i, 0]  over valid rows i ≥ 1 by default. Query 0 is left out because
//                               under a causal mask it can only attend to itself (A[0,0] = 1 always), which would
//                               bias short prompts towards 1; MetricParams::sinkIncludesQuery0 puts it back
//                               (whether Qiu et al. include it is unverified, VARIANTS §8).
//  - Row entropy                H = mean_i ( −Σ_j A_ij · ln A_ij ), nats, valid keys only, 0·ln 0 = 0.
//                               With MetricParams::normaliseEntropy each row's H is divided by ln(n_i) (rows with
//                               n_i = 1 contribute 0), giving a value in [0, 1].
//  - Mean attention distance    D = mean_i Σ_j A_ij · |i − j|, in tokens (Vig & Belinkov). Under a causal mask
//                               |i − j| = i − j.
//  - Top-k mass                 M = mean_i (sum of the k largest A_ij over valid keys j); rows with n_i ≤ k sum
//                               all their keys. k = MetricParams::topK (default 5).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <string>
#include <vector>

namespace attnscope {

enum class HeadMetric { SinkShare, Entropy, MeanDistance, TopKMass };
inline constexpr int kHeadMetricCount = 4;
/// Short stable identifier ("sink", "entropy", "distance", "topk") for sessions and the CLI.
const char* headMetricId(HeadMetric m);
/// Human-readable label with units ("first-token share", "row entropy (nats)", …).
std::string headMetricLabel(HeadMetric m, int topK = 5);
/// Parses headMetricId(); returns false for an unknown id.
bool headMetricFromId(const std::string& id, HeadMetric& out);

struct MetricParams {
    bool sinkIncludesQuery0 = false;
    bool normaliseEntropy = false;
    int topK = 5;
};

double firstTokenShare(const AttentionMap& a, const MetricParams& p = {});
double rowEntropy(const AttentionMap& a, const MetricParams& p = {});
double meanAttentionDistance(const AttentionMap& a, const MetricParams& p = {});
double topKMass(const AttentionMap& a, const MetricParams& p = {});

/// All four metrics of one head, computed in a single pass over the map (same definitions as above).
struct HeadMetrics {
    double sinkShare = 0, entropy = 0, meanDistance = 0, topKMass = 0;
    double value(HeadMetric m) const;
};
HeadMetrics computeHeadMetrics(const AttentionMap& a, const MetricParams& p = {});

/// layers × heads metrics; a cell whose head was not captured (yet) holds NaN in every metric.
struct MetricsTable {
    int layers = 0;
    int heads = 0;
    MetricParams params;
    std::vector<HeadMetrics> cells;   // layer * heads + head

    double value(int layer, int head, HeadMetric m) const;
    bool has(int layer, int head) const;
};

/// Builds the table from maps indexed layer * heads + head (entries may be null = not captured).
MetricsTable buildMetricsTable(const std::vector<AttentionMapPtr>& maps, int layers, int heads,
                               const MetricParams& p = {});

} // namespace attnscope
