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

const char* headMetricId(HeadMetric m)
{
    switch (m) {
    case HeadMetric::SinkShare: return "sink";
    case HeadMetric::Entropy: return "entropy";
    case HeadMetric::MeanDistance: return "distance";
    case HeadMetric::TopKMass: return "topk";
    }
    return "?";
}

std::string headMetricLabel(HeadMetric m, int topK)
{
    switch (m) {
    case HeadMetric::SinkShare: return "first-token (sink) share";
    case HeadMetric::Entropy: return "row entropy (nats)";
    case HeadMetric::MeanDistance: return "mean attention distance (tokens)";
    case HeadMetric::TopKMass: return "top-" + std::to_string(topK) + " mass";
    }
    return "?";
}

bool headMetricFromId(const std::string& id, HeadMetric& out)
{
    for (int i = 0; i < kHeadMetricCount; ++i) {
        if (id == headMetricId(static_cast<HeadMetric>(i))) {
            out = static_cast<HeadMetric>(i);
            return true;
        }
    }
    return false;
}

double firstTokenShare(const AttentionMap& a, const MetricParams& p)
{
    double sum = 0;
    int64_t rows = 0;
    for (int64_t i = p.sinkIncludesQuery0 ? 0 : 1; i < a.tokens; ++i) {
        if (!rowValid(a, i))
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

HeadMetrics computeHeadMetrics(const AttentionMap& a, const MetricParams& p)
{
    HeadMetrics m;
    double entropy = 0, distance = 0, topk = 0;
    int64_t rows = 0;
    for (int64_t i = 0; i < a.tokens; ++i) {
        if (!rowValid(a, i))
            continue;
        const float* row = a.row(i);
        // The mask's valid keys of the row (one or two ranges; never assumed to be a prefix).
        const RowKeys keys = a.rowKeys(i);
        const int64_t n = keys.size();
        double h = 0, d = 0;
        for (int r = 0; r < keys.count(); ++r)
            for (int64_t j = keys.range[r].begin; j < keys.range[r].end; ++j) {
                const double w = row[j];
                if (w > 0)
                    h -= w * std::log(w);
                d += w * static_cast<double>(i > j ? i - j : j - i);
            }
        if (p.normaliseEntropy)
            h = n > 1 ? h / std::log(static_cast<double>(n)) : 0.0;
        entropy += h;
        distance += d;
        if (keys.count() == 1) {
            topk += sumTopK(row + keys.range[0].begin, n, p.topK);
        } else {
            std::vector<float> valid;
            valid.reserve(static_cast<size_t>(n));
            for (int r = 0; r < keys.count(); ++r)
                valid.insert(valid.end(), row + keys.range[r].begin, row + keys.range[r].end);
            topk += sumTopK(valid.data(), n, p.topK);
        }
        ++rows;
    }
    m.sinkShare = firstTokenShare(a, p);
    m.entropy = rows ? entropy / static_cast<double>(rows) : kNaN;
    m.meanDistance = rows ? distance / static_cast<double>(rows) : kNaN;
    m.topKMass = rows ? topk / static_cast<double>(rows) : kNaN;
    return m;
}

double HeadMetrics::value(HeadMetric m) const
{
    switch (m) {
    case HeadMetric::SinkShare: return sinkShare;
    case HeadMetric::Entropy: return entropy;
    case HeadMetric::MeanDistance: return meanDistance;
    case HeadMetric::TopKMass: return topKMass;
    }
    return kNaN;
}

double MetricsTable::value(int layer, int head, HeadMetric m) const
{
    if (layer < 0 || head < 0 || layer >= layers || head >= heads)
        return kNaN;
    return cells[static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head)].value(m);
}

bool MetricsTable::has(int layer, int head) const
{
    return !std::isnan(value(layer, head, HeadMetric::Entropy));
}

MetricsTable buildMetricsTable(const std::vector<AttentionMapPtr>& maps, int layers, int heads, const MetricParams& p)
{
    MetricsTable t;
    t.layers = layers;
    t.heads = heads;
    t.params = p;
    HeadMetrics missing{kNaN, kNaN, kNaN, kNaN};
    t.cells.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), missing);
    for (size_t k = 0; k < t.cells.size() && k < maps.size(); ++k)
        if (maps[k])
            t.cells[k] = computeHeadMetrics(*maps[k], p);
    return t;
}

} // namespace attnscope
