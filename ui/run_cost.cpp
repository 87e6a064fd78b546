// RunCostModel: work counts from the model's shape and masks, throughputs from the last measured run.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_cost.h"

#include <QObject>

#include <algorithm>

namespace attnscope {

namespace {

/// Valid cells of a T × T map under a layer's mask (closed forms for the kinds models use; the causal or full
/// square for the rest).
double validCells(const AttentionMask& m, int64_t T)
{
    const double t = static_cast<double>(T);
    const double causal = t * (t + 1) / 2;
    switch (m.kind) {
    case MaskKind::Bidirectional: return t * t;
    case MaskKind::Causal: return causal;
    case MaskKind::Sliding: {
        const double w = static_cast<double>(std::max<int64_t>(m.window, 1));
        if (!m.isCausal())
            return std::min(t * t, t * (2 * w - 1));
        return T <= m.window ? causal : w * (w + 1) / 2 + (t - w) * w;
    }
    default: return m.isCausal() ? causal : t * t;
    }
}

} // namespace

double RunCostModel::attentionUnits(const ModelConfig& cfg, int64_t tokens)
{
    double cells = 0;
    for (int l = 0; l < cfg.nLayers; ++l)
        cells += validCells(l < static_cast<int>(cfg.layers.size()) ? cfg.layers[static_cast<size_t>(l)].mask
                                                                     : AttentionMask::causal(),
                            tokens);
    return cells * cfg.nHeads * cfg.headDim;
}

double RunCostModel::denseFlops(const ModelConfig& cfg, int64_t tokens)
{
    const double D = cfg.dModel, F = cfg.ffnDim;
    const double qw = double(cfg.nHeads) * cfg.headDim, kvw = double(cfg.nKvHeads) * cfg.headDim;
    const double perToken = D * (qw + 2 * kvw) + qw * D + D * F * (cfg.mlp == MlpKind::Gated ? 3 : 2);
    return 2.0 * static_cast<double>(tokens) * perToken * cfg.nLayers;
}

double RunCostModel::attentionRate(bool longMode) const
{
    const double own = longMode ? m_longRate : m_mapsRate;
    const double other = longMode ? m_mapsRate : m_longRate;
    return own > 0 ? own : other > 0 ? other : kDefaultAttentionUnitsPerSecond;
}

double RunCostModel::expectedSeconds(const ModelConfig& cfg, int64_t tokens, bool longMode) const
{
    const double dense = m_denseRate > 0 ? m_denseRate : kDefaultDenseFlopsPerSecond;
    return denseFlops(cfg, tokens) / dense + attentionUnits(cfg, tokens) / attentionRate(longMode);
}

void RunCostModel::record(const ModelConfig& cfg, int64_t tokens, bool longMode, const ForwardTimings& t)
{
    if (t.denseMs > 0 && t.denseFlops > 0)
        m_denseRate = t.denseFlops / (t.denseMs / 1000.0);
    // Short runs say little about attention throughput (fixed costs dominate): only runs of 512+ tokens count.
    if (tokens >= 512 && t.attentionMs > 0)
        (longMode ? m_longRate : m_mapsRate) = attentionUnits(cfg, tokens) / (t.attentionMs / 1000.0);
}

QString RunCostModel::basis(bool longMode) const
{
    const double dense = m_denseRate > 0 ? m_denseRate : kDefaultDenseFlopsPerSecond;
    const QString rates = QStringLiteral("%1 GFLOP/s dense, %2 G attention cells·heads·d per second")
                              .arg(dense / 1e9, 0, 'f', 0).arg(attentionRate(longMode) / 1e9, 0, 'f', 1);
    if (measured(longMode))
        return QObject::tr("at the throughput of the last %1 run (%2)").arg(longMode ? QObject::tr("long") : QObject::tr("stored-map"), rates);
    if (measured(!longMode))
        return QObject::tr("at the throughput of the last run (%1; a long run streams statistics and is usually slower)").arg(rates);
    return QObject::tr("at a default throughput measured on a 2-core machine (%1): no run measured yet in this session").arg(rates);
}

} // namespace attnscope
