// Per-head attention scores as pure functions over an AttentionMap (and, for the token-matching scores, the
// token ids), and the layers × heads table the overview's summary heatmap, the head finder and
// `attnscope-cli heads` show. No Qt; callable from any thread (the inputs are immutable).
// docs/METRICS.md states every definition with a worked example.
//
// Notation: A is the T×T map, row i = query, column j = key. Row i is *valid* unless map.maskedRows[i] is set
// (fully masked rows are excluded, never counted as zeros). Key j is *valid* in row i unless map.isMasked(i, j).
// K_i = the valid keys of row i, n_i = |K_i|. "Mean over rows" is the unweighted mean over the rows the score
// uses; a score with no usable row is NaN. Nothing here assumes the causal prefix: keys are tested one by one.
//
//  - First-token (sink) share   S = mean_i A[i, 0]  over valid rows i ≥ 1 by default. Query 0 is left out because
//                               under a causal mask it can only attend to itself (A[0,0] = 1 always), which would
//                               bias short prompts towards 1; MetricParams::sinkIncludesQuery0 puts it back.
//  - Row entropy                H = mean_i ( −Σ_{j∈K_i} A_ij · ln A_ij ), nats, 0·ln 0 = 0.
//                               With MetricParams::normaliseEntropy each row's H is divided by ln(n_i) (rows with
//                               n_i = 1 contribute 0), giving a value in [0, 1].
//  - Mean attention distance    D = mean_i Σ_{j∈K_i} A_ij · |i − j|, in tokens (Vig & Belinkov 2019).
//  - Top-k mass                 M = mean_i (sum of the k largest A_ij over j ∈ K_i); rows with n_i ≤ k sum all
//                               their keys. k = MetricParams::topK (default 5).
//  - Previous-token score       P = mean A[i, i−1] over valid rows i ≥ 1 whose key i−1 is valid.
//  - Self (diagonal) score      Q = mean A[i, i] over valid rows with i ∈ K_i and n_i ≥ 2 (a row with one valid
//                               key is forced to attend to it and says nothing about the head).
//  - Duplicate-token score      U = mean over rows with E_i ≠ ∅ of Σ_{j∈E_i} A_ij, where
//                               E_i = { j ∈ K_i : j < i, id_j = id_i } (earlier occurrences of the query's token).
//  - Induction score            I = mean over rows with F_i ≠ ∅ of Σ_{j∈F_i} A_ij, where
//                               F_i = { j ∈ K_i : 1 ≤ j < i, id_{j−1} = id_i } (the token right after an earlier
//                               occurrence of the query's token; Olsson et al. 2022). On a prompt of n random
//                               tokens repeated twice this is the standard induction measurement.
//  - Sink-free distance / entropy: key 0 (the first token, where sinks sit) is dropped and each row renormalised
//                               over its other valid keys, Ã_ij = A_ij / s_i with s_i = Σ_{j∈K_i, j≠0} A_ij;
//                               D' = mean_i Σ Ã_ij |i − j|, H' = mean_i −Σ Ã_ij ln Ã_ij, over valid rows with
//                               s_i ≥ MetricParams::sinkFreeMinMass (rows that give the sink everything have no
//                               local behaviour left to measure). A sink no longer hides a local head.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/token_repeats.h"
#include "core/results/attention_map.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

inline constexpr double kMetricNaN = std::numeric_limits<double>::quiet_NaN();

enum class HeadMetric {
    SinkShare,
    Entropy,
    MeanDistance,
    TopKMass,
    PrevToken,
    DuplicateToken,
    Induction,
    SelfAttention,
    SinkFreeDistance,
    SinkFreeEntropy,
};
inline constexpr int kHeadMetricCount = 10;
/// Short stable identifier ("sink", "entropy", "distance", "topk", "prev_token", "duplicate", "induction",
/// "self", "distance_nosink", "entropy_nosink") for sessions and the CLI.
const char* headMetricId(HeadMetric m);
/// Human-readable label with units ("first-token (sink) share", "row entropy (nats)", …).
std::string headMetricLabel(HeadMetric m, int topK = 5);
/// One-line definition for tooltips ("mean A[i, i−1] over rows i ≥ 1").
std::string headMetricDefinition(HeadMetric m);
/// Parses headMetricId(); returns false for an unknown id.
bool headMetricFromId(const std::string& id, HeadMetric& out);
/// True for the scores that need the token ids (duplicate-token, induction).
bool headMetricNeedsTokens(HeadMetric m);

struct MetricParams {
    bool sinkIncludesQuery0 = false;
    bool normaliseEntropy = false;
    int topK = 5;
    double sinkFreeMinMass = 1e-3;
};

double firstTokenShare(const AttentionMap& a, const MetricParams& p = {});
double rowEntropy(const AttentionMap& a, const MetricParams& p = {});
double meanAttentionDistance(const AttentionMap& a, const MetricParams& p = {});
double topKMass(const AttentionMap& a, const MetricParams& p = {});
double previousTokenScore(const AttentionMap& a);
double selfAttentionScore(const AttentionMap& a);
double duplicateTokenScore(const AttentionMap& a, const TokenRepeats& repeats);
double inductionScore(const AttentionMap& a, const TokenRepeats& repeats);
double sinkFreeDistance(const AttentionMap& a, const MetricParams& p = {});
double sinkFreeEntropy(const AttentionMap& a, const MetricParams& p = {});

/// Every score of one head, computed in a single pass over the map (same definitions as above). The
/// token-matching scores are NaN when no TokenRepeats is given.
struct HeadMetrics {
    double sinkShare = 0, entropy = 0, meanDistance = 0, topKMass = 0;
    double prevToken = kMetricNaN, duplicateToken = kMetricNaN, induction = kMetricNaN, self = kMetricNaN;
    double sinkFreeDistance = kMetricNaN, sinkFreeEntropy = kMetricNaN;
    double value(HeadMetric m) const;
    /// Every score NaN: a head that was not captured (yet).
    static HeadMetrics missing();
};
/// The scores back from kHeadMetricCount values in HeadMetric order (the streamed HeadScores series).
HeadMetrics headMetricsFromValues(const float* values);
HeadMetrics computeHeadMetrics(const AttentionMap& a, const MetricParams& p = {}, const TokenRepeats* repeats = nullptr);

/// The same scores fed one row at a time, for maps that are never stored whole (long prompts: the attention
/// kernel streams each row of probabilities once; docs/LONG-CONTEXT.md). computeHeadMetrics is this accumulator
/// over a stored map's rows, so both give identical numbers.
/// Threading: one accumulator per head, used by one thread.
class HeadMetricsAccumulator {
public:
    HeadMetricsAccumulator(const MetricParams& p, const AttentionMask& mask, int64_t tokens,
                           const TokenRepeats* repeats = nullptr);
    ~HeadMetricsAccumulator();
    HeadMetricsAccumulator(HeadMetricsAccumulator&&) noexcept;
    /// Row i's probabilities: the weight of key j is values[j − offset] for every key the mask leaves valid
    /// (other entries are not read). Call only for rows that are not fully masked.
    void addRow(int64_t i, const float* values, int64_t offset);
    HeadMetrics finish() const;

private:
    struct Sums;
    MetricParams m_p;
    AttentionMask m_mask;
    int64_t m_tokens;
    const TokenRepeats* m_repeats;
    std::unique_ptr<Sums> m_sums;
    RowKeys m_keys;
    std::vector<float> m_scratch;
};

/// layers × heads scores; a cell whose head was not captured (yet) holds NaN in every score.
struct MetricsTable {
    int layers = 0;
    int heads = 0;
    MetricParams params;
    std::vector<HeadMetrics> cells;   // layer * heads + head

    double value(int layer, int head, HeadMetric m) const;
    bool has(int layer, int head) const;
    const HeadMetrics* cell(int layer, int head) const;
};

/// Builds the table from maps indexed layer * heads + head (entries may be null = not captured).
MetricsTable buildMetricsTable(const std::vector<AttentionMapPtr>& maps, int layers, int heads,
                               const MetricParams& p = {}, const TokenRepeats* repeats = nullptr);

} // namespace attnscope
