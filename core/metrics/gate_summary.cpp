// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/gate_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Tokens and values per token of a [T] or [T, w] series.
std::pair<int64_t, int64_t> tokensAndWidth(const CapturedSeries& s)
{
    const int64_t T = s.shape.empty() ? 0 : s.shape[0];
    const int64_t w = s.shape.size() > 1 ? s.shape[1] : 1;
    return {T, w};
}

} // namespace

void GateHistogram::add(const CapturedSeries& gate)
{
    const int64_t bins = static_cast<int64_t>(counts.size());
    for (float v : gate.values) {
        if (!std::isfinite(v))
            continue;
        const double x = std::clamp((static_cast<double>(v) - lo) / (hi - lo), 0.0, 1.0);
        counts[static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(x * double(bins)), bins - 1))] += 1;
        ++total;
        sum += v;
        for (size_t i = 0; i < kThresholds.size(); ++i)
            below[i] += v < kThresholds[i] ? 1 : 0;
    }
}

void GateHistogram::merge(const GateHistogram& o)
{
    if (o.counts.size() == counts.size() && o.lo == lo && o.hi == hi)
        for (size_t i = 0; i < counts.size(); ++i)
            counts[i] += o.counts[i];
    total += o.total;
    sum += o.sum;
    for (size_t i = 0; i < below.size(); ++i)
        below[i] += o.below[i];
}

GateGrid gateGrid(const std::vector<CapturedSeriesPtr>& layerGates, int heads, Quantity q)
{
    GateGrid g;
    g.heads = std::max(heads, 0);
    for (const CapturedSeriesPtr& s : layerGates)
        if (s && s->key.quantity == q) {
            g.tokens = tokensAndWidth(*s).first;
            break;
        }
    g.values.assign(static_cast<size_t>(g.heads * g.tokens), kNaNf);
    for (const CapturedSeriesPtr& s : layerGates) {
        if (!s || s->key.quantity != q || s->key.head < 0 || s->key.head >= g.heads)
            continue;
        const auto [T, w] = tokensAndWidth(*s);
        if (T != g.tokens || static_cast<int64_t>(s->values.size()) != T * w)
            continue;
        g.elementwise = g.elementwise || w > 1;
        for (int64_t t = 0; t < T; ++t) {
            double sum = 0;
            for (int64_t j = 0; j < w; ++j)
                sum += s->values[static_cast<size_t>(t * w + j)];
            g.values[static_cast<size_t>(s->key.head * g.tokens + t)] = static_cast<float>(sum / double(w));
        }
    }
    return g;
}

GateGrid gateDims(const CapturedSeries& gate)
{
    const auto [T, w] = tokensAndWidth(gate);
    GateGrid g;
    g.heads = static_cast<int>(w);   // rows are the head's dims here
    g.tokens = T;
    g.elementwise = w > 1;
    g.values.assign(static_cast<size_t>(w * T), kNaNf);
    if (static_cast<int64_t>(gate.values.size()) != T * w)
        return g;
    for (int64_t t = 0; t < T; ++t)
        for (int64_t j = 0; j < w; ++j)
            g.values[static_cast<size_t>(j * T + t)] = gate.values[static_cast<size_t>(t * w + j)];
    return g;
}

GateNorms gateNorms(const std::vector<CapturedSeriesPtr>& layerSeries, int heads)
{
    GateNorms n;
    const size_t H = static_cast<size_t>(std::max(heads, 0));
    n.beforePerHead.assign(H, kNaN);
    n.afterPerHead.assign(H, kNaN);
    std::vector<const CapturedSeries*> pre(H, nullptr), post(H, nullptr);
    for (const CapturedSeriesPtr& s : layerSeries) {
        if (!s || s->key.head < 0 || static_cast<size_t>(s->key.head) >= H)
            continue;
        if (s->key.quantity == Quantity::AttnOutNormPre)
            pre[static_cast<size_t>(s->key.head)] = s.get();
        else if (s->key.quantity == Quantity::AttnOutNormPost)
            post[static_cast<size_t>(s->key.head)] = s.get();
    }
    double sumPre = 0, sumPost = 0;
    int64_t suppressed = 0;
    for (size_t h = 0; h < H; ++h) {
        if (!pre[h] || !post[h] || pre[h]->values.size() != post[h]->values.size() || pre[h]->values.empty())
            continue;
        double hp = 0, hq = 0;
        for (size_t t = 0; t < pre[h]->values.size(); ++t) {
            const double b = pre[h]->values[t], a = post[h]->values[t];
            hp += b;
            hq += a;
            suppressed += a < 0.1 * b ? 1 : 0;
        }
        const double T = double(pre[h]->values.size());
        n.beforePerHead[h] = hp / T;
        n.afterPerHead[h] = hq / T;
        sumPre += hp;
        sumPost += hq;
        n.outputs += static_cast<int64_t>(pre[h]->values.size());
    }
    if (n.outputs) {
        n.before = sumPre / double(n.outputs);
        n.after = sumPost / double(n.outputs);
        n.removedShare = sumPre > 0 ? 1.0 - sumPost / sumPre : 0.0;
        n.suppressedShare = double(suppressed) / double(n.outputs);
    }
    return n;
}

} // namespace attnscope
