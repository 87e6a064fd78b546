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
    return computeHeadMetrics(a, p).sinkShare;
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

struct HeadMetricsAccumulator::Sums {
    Mean sink, entropy, distance, topk, prev, self, dup, induction, freeDistance, freeEntropy;
};

HeadMetricsAccumulator::HeadMetricsAccumulator(const MetricParams& p, const AttentionMask& mask, int64_t tokens,
                                               const TokenRepeats* repeats)
    : m_p(p), m_mask(mask), m_tokens(tokens), m_repeats(repeats && repeats->size() == tokens ? repeats : nullptr),
      m_sums(std::make_unique<Sums>())
{
}

HeadMetricsAccumulator::~HeadMetricsAccumulator() = default;
HeadMetricsAccumulator::HeadMetricsAccumulator(HeadMetricsAccumulator&&) noexcept = default;

void HeadMetricsAccumulator::addRow(int64_t i, const float* values, int64_t offset)
{
    Sums& s = *m_sums;
    m_mask.rowKeys(i, m_tokens, m_keys);
    if (m_keys.range.empty())
        return;   // a masked row is excluded, never counted as zeros
    auto w = [&](int64_t j) { return static_cast<double>(values[j - offset]); };
    auto valid = [&](int64_t j) {
        for (const KeyRange& r : m_keys.range)
            if (j >= r.begin && j < r.end)
                return true;
        return false;
    };
    const int64_t n = m_keys.size();
    double h = 0, d = 0, rest = 0;   // rest: mass on valid keys other than key 0
    for (const KeyRange& r : m_keys.range)
        for (int64_t j = r.begin; j < r.end; ++j) {
            const double x = w(j);
            if (x > 0)
                h -= x * std::log(x);
            d += x * static_cast<double>(i > j ? i - j : j - i);
            if (j != 0)
                rest += x;
        }
    if (i >= (m_p.sinkIncludesQuery0 ? 0 : 1))
        s.sink.add(valid(0) ? w(0) : 0.0);   // a row that cannot see token 0 gives it nothing
    s.entropy.add(m_p.normaliseEntropy ? (n > 1 ? h / std::log(static_cast<double>(n)) : 0.0) : h);
    s.distance.add(d);
    if (m_keys.range.size() == 1) {
        s.topk.add(sumTopK(values + (m_keys.range[0].begin - offset), n, m_p.topK));
    } else {
        m_scratch.clear();
        for (const KeyRange& r : m_keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                m_scratch.push_back(values[j - offset]);
        s.topk.add(sumTopK(m_scratch.data(), n, m_p.topK));
    }
    if (i >= 1 && valid(i - 1))
        s.prev.add(w(i - 1));
    if (n >= 2 && valid(i))
        s.self.add(w(i));
    if (rest >= m_p.sinkFreeMinMass) {
        const double a0 = valid(0) ? w(0) : 0.0;
        const double h0 = a0 > 0 ? -a0 * std::log(a0) : 0.0;
        s.freeEntropy.add((h - h0) / rest + std::log(rest));
        s.freeDistance.add((d - a0 * static_cast<double>(i)) / rest);
    }
    if (m_repeats) {
        bool anyDup = false, anyInd = false;
        double dupMass = 0, indMass = 0;
        for (const int32_t k : m_repeats->earlier(i)) {
            if (valid(k)) {
                dupMass += w(k);
                anyDup = true;
            }
            const int64_t j = int64_t(k) + 1;
            if (j < i && valid(j)) {
                indMass += w(j);
                anyInd = true;
            }
        }
        if (anyDup)
            s.dup.add(dupMass);
        if (anyInd)
            s.induction.add(indMass);
    }
}

HeadMetrics HeadMetricsAccumulator::finish() const
{
    const Sums& s = *m_sums;
    HeadMetrics m;
    m.sinkShare = s.sink.value();
    m.entropy = s.entropy.value();
    m.meanDistance = s.distance.value();
    m.topKMass = s.topk.value();
    m.prevToken = s.prev.value();
    m.self = s.self.value();
    m.sinkFreeDistance = s.freeDistance.value();
    m.sinkFreeEntropy = s.freeEntropy.value();
    m.duplicateToken = m_repeats ? s.dup.value() : kNaN;
    m.induction = m_repeats ? s.induction.value() : kNaN;
    return m;
}

HeadMetrics computeHeadMetrics(const AttentionMap& a, const MetricParams& p, const TokenRepeats* repeats)
{
    HeadMetricsAccumulator acc(p, a.mask, a.tokens, repeats);
    for (int64_t i = 0; i < a.tokens; ++i)
        if (rowValid(a, i))
            acc.addRow(i, a.row(i), 0);
    return acc.finish();
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

HeadMetrics headMetricsFromValues(const float* v)
{
    HeadMetrics m;
    double* slots[kHeadMetricCount] = {};
    for (int k = 0; k < kHeadMetricCount; ++k) {
        switch (static_cast<HeadMetric>(k)) {
        case HeadMetric::SinkShare: slots[k] = &m.sinkShare; break;
        case HeadMetric::Entropy: slots[k] = &m.entropy; break;
        case HeadMetric::MeanDistance: slots[k] = &m.meanDistance; break;
        case HeadMetric::TopKMass: slots[k] = &m.topKMass; break;
        case HeadMetric::PrevToken: slots[k] = &m.prevToken; break;
        case HeadMetric::DuplicateToken: slots[k] = &m.duplicateToken; break;
        case HeadMetric::Induction: slots[k] = &m.induction; break;
        case HeadMetric::SelfAttention: slots[k] = &m.self; break;
        case HeadMetric::SinkFreeDistance: slots[k] = &m.sinkFreeDistance; break;
        case HeadMetric::SinkFreeEntropy: slots[k] = &m.sinkFreeEntropy; break;
        }
        if (slots[k])
            *slots[k] = v[k];
    }
    return m;
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
