// Per-head attention metrics: one pass per row, definitions in the header.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/head_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool rowValid(const AttentionMap& a, int64_t i)
{
    return a.maskedRows.empty() || a.maskedRows[static_cast<size_t>(i)] == 0;
}

/// [lo, hi): the span of row i outside which every key is masked (interior keys are still tested one by one).
std::pair<int64_t, int64_t> keyBounds(const AttentionMap& a, int64_t i)
{
    int64_t lo = 0, hi = a.tokens;
    while (hi > lo && a.isMasked(i, hi - 1))
        --hi;
    while (lo < hi && a.isMasked(i, lo))
        ++lo;
    return {lo, hi};
}

/// Sum of the k largest values of row[0..n): a small descending buffer beats sorting the row for k ≪ n.
double sumTopK(const float* row, int64_t n, int k)
{
    if (k <= 0)
        return 0;
    if (n <= k) {
        double s = 0;
        for (int64_t j = 0; j < n; ++j)
            s += row[j];
        return s;
    }
    float best[64];
    const int kk = std::min(k, 64);
    int have = 0;
    for (int64_t j = 0; j < n; ++j) {
        const float v = row[j];
        if (have < kk) {
            int pos = have++;
            while (pos > 0 && best[pos - 1] < v) {
                best[pos] = best[pos - 1];
                --pos;
            }
            best[pos] = v;
        } else if (v > best[kk - 1]) {
            int pos = kk - 1;
            while (pos > 0 && best[pos - 1] < v) {
                best[pos] = best[pos - 1];
                --pos;
            }
            best[pos] = v;
        }
    }
    double s = 0;
    for (int t = 0; t < kk; ++t)
        s += best[t];
    if (k > kk) {   // rare: fall back to a partial sort for large k
        std::vector<float> copy(row, row + n);
        std::nth_element(copy.begin(), copy.begin() + (k - 1), copy.end(), std::greater<float>());
        s = 0;
        for (int t = 0; t < k; ++t)
            s += copy[static_cast<size_t>(t)];
    }
    return s;
}

} // namespace


namespace {

struct MetricInfo {
    HeadMetric metric;
    const char* id;
    const char* label;
    const char* definition;
};

constexpr MetricInfo kInfo[kHeadMetricCount] = {
    {HeadMetric::SinkShare, "sink", "first-token (sink) share", "mean A[i, 0] over query rows i ≥ 1"},
    {HeadMetric::Entropy, "entropy", "row entropy (nats)", "mean over rows of −Σⱼ A[i, j] ln A[i, j]"},
    {HeadMetric::MeanDistance, "distance", "mean attention distance (tokens)", "mean over rows of Σⱼ A[i, j] · |i − j|"},
    {HeadMetric::TopKMass, "topk", "top-k mass", "mean over rows of the sum of the k largest weights"},
    {HeadMetric::PrevToken, "prev_token", "previous-token score", "mean A[i, i − 1] over rows i ≥ 1"},
    {HeadMetric::DuplicateToken, "duplicate", "duplicate-token score",
     "mass on earlier occurrences of the query's own token (rows whose token occurred before)"},
    {HeadMetric::Induction, "induction", "induction score",
     "mass on the token right after an earlier occurrence of the query's token (rows that have one)"},
    {HeadMetric::SelfAttention, "self", "self (diagonal) score", "mean A[i, i] over rows with at least two keys"},
    {HeadMetric::SinkFreeDistance, "distance_nosink", "sink-free mean distance (tokens)",
     "mean distance with key 0 dropped and each row renormalised"},
    {HeadMetric::SinkFreeEntropy, "entropy_nosink", "sink-free row entropy (nats)",
     "row entropy with key 0 dropped and each row renormalised"},
};

const MetricInfo& info(HeadMetric m)
{
    const int i = static_cast<int>(m);
    return kInfo[i >= 0 && i < kHeadMetricCount ? i : 0];
}

} // namespace

const char* headMetricId(HeadMetric m)
{
    return info(m).id;
}

std::string headMetricLabel(HeadMetric m, int topK)
{
    if (m == HeadMetric::TopKMass)
        return "top-" + std::to_string(topK) + " mass";
    return info(m).label;
}

std::string headMetricDefinition(HeadMetric m)
{
    return info(m).definition;
}

bool headMetricFromId(const std::string& id, HeadMetric& out)
{
    for (const MetricInfo& i : kInfo) {
        if (id == i.id) {
            out = i.metric;
            return true;
        }
    }
    return false;
}

bool headMetricNeedsTokens(HeadMetric m)
{
    return m == HeadMetric::DuplicateToken || m == HeadMetric::Induction;
}

double firstTokenShare(const AttentionMap& a, const MetricParams& p)
{
    double sum = 0;
    int64_t rows = 0;
    for (int64_t i = p.sinkIncludesQuery0 ? 0 : 1; i < a.tokens; ++i) {
        if (!rowValid(a, i) || a.isMasked(i, 0))
            continue;
        sum += a.at(i, 0);
        ++rows;
    }
    return rows ? sum / static_cast<double>(rows) : kNaN;
}

double rowEntropy(const AttentionMap& a, const MetricParams& p)
{
    return computeHeadMetrics(a, p).entropy;
}

double meanAttentionDistance(const AttentionMap& a, const MetricParams& p)
{
    return computeHeadMetrics(a, p).meanDistance;
}

double topKMass(const AttentionMap& a, const MetricParams& p)
{
    return computeHeadMetrics(a, p).topKMass;
}

double previousTokenScore(const AttentionMap& a)
{
    return computeHeadMetrics(a).prevToken;
}

double selfAttentionScore(const AttentionMap& a)
{
    return computeHeadMetrics(a).self;
}

double duplicateTokenScore(const AttentionMap& a, const TokenRepeats& repeats)
{
    return computeHeadMetrics(a, {}, &repeats).duplicateToken;
}

double inductionScore(const AttentionMap& a, const TokenRepeats& repeats)
{
    return computeHeadMetrics(a, {}, &repeats).induction;
}

double sinkFreeDistance(const AttentionMap& a, const MetricParams& p)
{
    return computeHeadMetrics(a, p).sinkFreeDistance;
}

double sinkFreeEntropy(const AttentionMap& a, const MetricParams& p)
{
    return computeHeadMetrics(a, p).sinkFreeEntropy;
}

namespace {

/// Running mean: the sum and the number of rows that contributed.
struct Mean {
    double sum = 0;
    int64_t rows = 0;
    void add(double v)
    {
        sum += v;
        ++rows;
    }
    double value() const { return rows ? sum / static_cast<double>(rows) : kNaN; }
};

} // namespace

HeadMetrics computeHeadMetrics(const AttentionMap& a, const MetricParams& p, const TokenRepeats* repeats)
{
    Mean entropy, distance, topk, prev, self, dup, induction, freeDistance, freeEntropy;
    const bool useRepeats = repeats && repeats->size() == a.tokens;
    std::vector<float> scratch;   // the valid keys of a row with masked keys inside its span
    for (int64_t i = 0; i < a.tokens; ++i) {
        if (!rowValid(a, i))
            continue;
        const float* row = a.row(i);
        const auto [lo, hi] = keyBounds(a, i);
        int64_t n = 0;
        double h = 0, d = 0, rest = 0;   // rest: mass on valid keys other than key 0
        for (int64_t j = lo; j < hi; ++j) {
            if (a.isMasked(i, j))
                continue;
            ++n;
            const double w = row[j];
            if (w > 0)
                h -= w * std::log(w);
            d += w * static_cast<double>(i > j ? i - j : j - i);
            if (j != 0)
                rest += w;
        }
        if (n == 0)
            continue;
        entropy.add(p.normaliseEntropy ? (n > 1 ? h / std::log(static_cast<double>(n)) : 0.0) : h);
        distance.add(d);
        if (n == hi - lo) {
            topk.add(sumTopK(row + lo, n, p.topK));
        } else {
            scratch.clear();
            for (int64_t j = lo; j < hi; ++j)
                if (!a.isMasked(i, j))
                    scratch.push_back(row[j]);
            topk.add(sumTopK(scratch.data(), n, p.topK));
        }
        if (i >= 1 && !a.isMasked(i, i - 1))
            prev.add(row[i - 1]);
        if (n >= 2 && !a.isMasked(i, i))
            self.add(row[i]);
        if (rest >= p.sinkFreeMinMass) {
            const bool sinkValid = lo == 0 && !a.isMasked(i, 0);
            const double a0 = sinkValid ? row[0] : 0.0;
            const double h0 = a0 > 0 ? -a0 * std::log(a0) : 0.0;
            freeEntropy.add((h - h0) / rest + std::log(rest));
            freeDistance.add((d - a0 * static_cast<double>(i)) / rest);
        }
        if (useRepeats) {
            bool anyDup = false, anyInd = false;
            double dupMass = 0, indMass = 0;
            for (const int32_t k : repeats->earlier(i)) {
                if (!a.isMasked(i, k)) {
                    dupMass += row[k];
                    anyDup = true;
                }
                const int64_t j = int64_t(k) + 1;
                if (j < i && !a.isMasked(i, j)) {
                    indMass += row[j];
                    anyInd = true;
                }
            }
            if (anyDup)
                dup.add(dupMass);
            if (anyInd)
                induction.add(indMass);
        }
    }
    HeadMetrics m;
    m.sinkShare = firstTokenShare(a, p);
    m.entropy = entropy.value();
    m.meanDistance = distance.value();
    m.topKMass = topk.value();
    m.prevToken = prev.value();
    m.self = self.value();
    m.sinkFreeDistance = freeDistance.value();
    m.sinkFreeEntropy = freeEntropy.value();
    m.duplicateToken = useRepeats ? dup.value() : kNaN;
    m.induction = useRepeats ? induction.value() : kNaN;
    return m;
}

double HeadMetrics::value(HeadMetric m) const
{
    switch (m) {
    case HeadMetric::SinkShare: return sinkShare;
    case HeadMetric::Entropy: return entropy;
    case HeadMetric::MeanDistance: return meanDistance;
    case HeadMetric::TopKMass: return topKMass;
    case HeadMetric::PrevToken: return prevToken;
    case HeadMetric::DuplicateToken: return duplicateToken;
    case HeadMetric::Induction: return induction;
    case HeadMetric::SelfAttention: return self;
    case HeadMetric::SinkFreeDistance: return sinkFreeDistance;
    case HeadMetric::SinkFreeEntropy: return sinkFreeEntropy;
    }
    return kNaN;
}

HeadMetrics HeadMetrics::missing()
{
    HeadMetrics m;
    m.sinkShare = m.entropy = m.meanDistance = m.topKMass = kNaN;
    return m;
}

const HeadMetrics* MetricsTable::cell(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= layers || head >= heads)
        return nullptr;
    const size_t k = static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head);
    return k < cells.size() ? &cells[k] : nullptr;
}

double MetricsTable::value(int layer, int head, HeadMetric m) const
{
    const HeadMetrics* c = cell(layer, head);
    return c ? c->value(m) : kNaN;
}

bool MetricsTable::has(int layer, int head) const
{
    return !std::isnan(value(layer, head, HeadMetric::Entropy));
}

MetricsTable buildMetricsTable(const std::vector<AttentionMapPtr>& maps, int layers, int heads, const MetricParams& p,
                               const TokenRepeats* repeats)
{
    MetricsTable t;
    t.layers = layers;
    t.heads = heads;
    t.params = p;
    t.cells.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), HeadMetrics::missing());
    for (size_t k = 0; k < t.cells.size() && k < maps.size(); ++k)
        if (maps[k])
            t.cells[k] = computeHeadMetrics(*maps[k], p, repeats);
    return t;
}

} // namespace attnscope
