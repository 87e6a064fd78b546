// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/layer_report.h"

#include "core/attention/tile_recompute.h"
#include "core/metrics/head_metrics.h"

#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kGateThresholds[] = {0.5, 0.1, 0.01};

/// Mean over valid rows i ≥ first of A[i, 0] (0 where key 0 is masked).
double meanToFirstToken(const AttentionMap& m, int64_t first)
{
    double sum = 0;
    int64_t n = 0;
    for (int64_t i = first; i < m.tokens; ++i) {
        if (m.isMaskedRow(i))
            continue;
        sum += m.isMasked(i, 0) ? 0.0 : m.at(i, 0);
        ++n;
    }
    return n ? sum / double(n) : kNaN;
}

} // namespace

HeadSinkShares headSinkSharesFromTiles(const HeadTileSource& src)
{
    const int64_t T = src.tokens();
    const AttentionMask& mask = src.mask();
    std::vector<float> column(static_cast<size_t>(T));
    src.tile(0, T, 0, 1, column.data());   // 0 where key 0 is masked, as in a stored map
    double sum = 0, sum0 = 0;
    int64_t n = 0;
    bool row0 = false;
    for (int64_t i = 0; i < T; ++i) {
        if (!src.rowValid(i))
            continue;
        const double v = mask.valid(i, 0) ? column[static_cast<size_t>(i)] : 0.0;
        if (i == 0) {
            row0 = true;
            sum0 = v;
            continue;
        }
        sum += v;
        ++n;
    }
    HeadSinkShares out;
    if (n)
        out.share = sum / double(n);
    if (n || row0)
        out.alpha = (sum + sum0) / double(n + (row0 ? 1 : 0));
    return out;
}

void LayerReportBuilder::addLayer(int layer, const LayerStats& stats, const std::vector<AttentionMapPtr>& maps,
                                  const std::vector<CapturedSeriesPtr>& series)
{
    LayerReport r;
    r.layer = layer;
    r.maxAbsHidden = stats.hiddenMaxAbs;
    r.maxToken = stats.maxToken;
    r.maxDim = stats.maxDim;

    std::vector<HeadSinkShares> shares(static_cast<size_t>(std::max(m_heads, 0)));
    double negMass = 0, absMass = 0;
    bool anyCombined = false;
    for (const AttentionMapPtr& m : maps) {
        if (!m)
            continue;
        if (m->quantity == Quantity::AttentionProbs) {
            if (m->head >= 0 && m->head < m_heads) {
                HeadSinkShares& s = shares[static_cast<size_t>(m->head)];
                s.share = firstTokenShare(*m);   // the head metric: rows ≥ 1, token 0 masked counts as 0
                s.alpha = meanToFirstToken(*m, 0);
            }
        } else if (m->quantity == Quantity::AttentionCombined) {
            anyCombined = true;
            for (int64_t i = 0; i < m->tokens; ++i) {
                if (m->isMaskedRow(i))
                    continue;
                const RowKeys k = m->rowKeys(i);
                for (int rr = 0; rr < k.count(); ++rr)
                    for (int64_t j = k.range[rr].begin; j < k.range[rr].end; ++j) {
                        const double v = m->at(i, j);
                        absMass += std::fabs(v);
                        negMass += v < 0 ? -v : 0.0;
                    }
            }
        }
    }
    addShares(r, shares);
    if (anyCombined && absMass > 0)
        r.diffNegativeShare = negMass / absMass;
    addSeries(r, series);
    m_report.layers.push_back(std::move(r));
}

void LayerReportBuilder::addStreamedLayer(int layer, const LayerStats& stats, const std::vector<HeadSinkShares>& heads,
                                          const std::vector<CapturedSeriesPtr>& series)
{
    LayerReport r;
    r.layer = layer;
    r.maxAbsHidden = stats.hiddenMaxAbs;
    r.maxToken = stats.maxToken;
    r.maxDim = stats.maxDim;
    std::vector<HeadSinkShares> shares(static_cast<size_t>(std::max(m_heads, 0)));
    for (size_t h = 0; h < heads.size() && h < shares.size(); ++h)
        shares[h] = heads[h];
    addShares(r, shares);
    addSeries(r, series);
    m_report.layers.push_back(std::move(r));
}

void LayerReportBuilder::addShares(LayerReport& r, const std::vector<HeadSinkShares>& heads) const
{
    r.firstTokenSharePerHead.assign(heads.size(), kNaN);
    r.firstTokenAlphaPerHead.assign(heads.size(), kNaN);
    double ftsSum = 0;
    int ftsHeads = 0, sinkHeads = 0, rateHeads = 0;
    for (size_t h = 0; h < heads.size(); ++h) {
        const double f = heads[h].share, alpha = heads[h].alpha;
        r.firstTokenSharePerHead[h] = f;
        r.firstTokenAlphaPerHead[h] = alpha;
        if (!std::isnan(f)) {
            ftsSum += f;
            ++ftsHeads;
        }
        if (!std::isnan(alpha)) {
            ++rateHeads;
            sinkHeads += alpha > m_report.sinkThreshold ? 1 : 0;
        }
    }
    if (ftsHeads)
        r.firstTokenShare = ftsSum / ftsHeads;
    if (rateHeads)
        r.sinkRate = double(sinkHeads) / rateHeads;
}

void LayerReportBuilder::addSeries(LayerReport& r, const std::vector<CapturedSeriesPtr>& series) const
{
    double gateSum = 0;
    int64_t gateN = 0;
    std::map<double, int64_t> below;
    double preSum = 0, postSum = 0, sinkSum = 0;
    int64_t preN = 0, postN = 0, sinkN = 0;
    std::vector<double> lambda(static_cast<size_t>(std::max(m_heads, 0)), kNaN);
    bool anyLambda = false;
    for (const CapturedSeriesPtr& s : series) {
        if (!s)
            continue;
        switch (s->key.quantity) {
        case Quantity::Gate:
            for (float v : s->values) {
                gateSum += v;
                ++gateN;
                for (double t : kGateThresholds)
                    below[t] += v < t ? 1 : 0;
            }
            break;
        case Quantity::AttnOutNormPre:
            for (float v : s->values) {
                preSum += v;
                ++preN;
            }
            break;
        case Quantity::AttnOutNormPost:
            for (float v : s->values) {
                postSum += v;
                ++postN;
            }
            break;
        case Quantity::SinkProb: {
            double headSum = 0;
            for (float v : s->values) {
                sinkSum += v;
                headSum += v;
                ++sinkN;
            }
            if (s->key.head >= 0 && s->key.head < m_heads && !s->values.empty()) {
                if (r.sinkMassPerHead.empty())
                    r.sinkMassPerHead.assign(static_cast<size_t>(m_heads), kNaN);
                r.sinkMassPerHead[static_cast<size_t>(s->key.head)] = headSum / double(s->values.size());
            }
            break;
        }
        case Quantity::Lambda:
            if (s->key.head >= 0 && s->key.head < m_heads && !s->values.empty()) {
                double sum = 0;
                for (float v : s->values)
                    sum += v;
                lambda[static_cast<size_t>(s->key.head)] = sum / double(s->values.size());
                anyLambda = true;
            }
            break;
        default:
            break;
        }
    }
    if (gateN) {
        r.gateMean = gateSum / double(gateN);
        for (double t : kGateThresholds)
            r.gateFracBelow[t] = double(below[t]) / double(gateN);
    }
    if (preN)
        r.attnOutNormBeforeGate = preSum / double(preN);
    if (postN)
        r.attnOutNormAfterGate = postSum / double(postN);
    if (sinkN)
        r.sinkMass = sinkSum / double(sinkN);
    if (anyLambda)
        r.lambda = std::move(lambda);
}

std::optional<double> LayerReport::sinkRateAt(double eps) const
{
    int n = 0, above = 0;
    for (double a : firstTokenAlphaPerHead)
        if (!std::isnan(a)) {
            ++n;
            above += a > eps ? 1 : 0;
        }
    if (n == 0)
        return std::nullopt;
    return double(above) / n;
}

std::optional<double> ModelReport::sinkRate(double eps) const
{
    int n = 0, above = 0;
    for (const LayerReport& l : layers)
        for (double a : l.firstTokenAlphaPerHead)
            if (!std::isnan(a)) {
                ++n;
                above += a > eps ? 1 : 0;
            }
    if (n == 0)
        return std::nullopt;
    return double(above) / n;
}

std::map<std::string, double> ModelReport::means() const
{
    std::map<std::string, double> sum;
    std::map<std::string, int> n;
    auto add = [&](const char* k, const std::optional<double>& v) {
        if (v && !std::isnan(*v)) {
            sum[k] += *v;
            n[k] += 1;
        }
    };
    for (const LayerReport& l : layers) {
        add("first_token_share", l.firstTokenShare);
        add("max_abs_hidden", l.maxAbsHidden);
        add("sink_rate", l.sinkRate);
        add("gate_mean", l.gateMean);
        add("attn_out_norm_before_gate", l.attnOutNormBeforeGate);
        add("attn_out_norm_after_gate", l.attnOutNormAfterGate);
        add("sink_mass", l.sinkMass);
        add("diff_negative_share", l.diffNegativeShare);
    }
    std::map<std::string, double> out;
    for (const auto& [k, v] : sum)
        out[k] = v / n[k];
    return out;
}

} // namespace attnscope
