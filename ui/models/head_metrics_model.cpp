// HeadMetricsModel: metric cells with a colour position relative to the whole table.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/head_metrics_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

HeadMetricsModel::HeadMetricsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void HeadMetricsModel::reset(int layers, int heads, int kvHeads)
{
    beginResetModel();
    m_layers = std::max(0, layers);
    m_heads = std::max(0, heads);
    m_kvHeads = std::max(1, kvHeads);
    m_cells.assign(static_cast<size_t>(m_layers) * static_cast<size_t>(m_heads), HeadMetrics{});
    m_have.assign(m_cells.size(), false);
    m_noMap.assign(static_cast<size_t>(m_layers), false);
    m_min = m_max = 0;
    endResetModel();
}

void HeadMetricsModel::setNoMapLayers(std::vector<bool> noMap)
{
    noMap.resize(static_cast<size_t>(m_layers), false);
    m_noMap = std::move(noMap);
    if (m_layers > 0 && m_heads > 0)
        emit dataChanged(index(0, 0), index(m_layers - 1, m_heads - 1));
}

void HeadMetricsModel::setLayer(int layer, const std::vector<HeadMetrics>& metrics)
{
    if (layer < 0 || layer >= m_layers || static_cast<int>(metrics.size()) != m_heads)
        return;
    for (int h = 0; h < m_heads; ++h) {
        const size_t k = static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(h);
        m_cells[k] = metrics[static_cast<size_t>(h)];
        m_have[k] = true;
    }
    const double oldMin = m_min, oldMax = m_max;
    updateRange();
    if (oldMin != m_min || oldMax != m_max)   // every cell's colour position moved
        emit dataChanged(index(0, 0), index(m_layers - 1, m_heads - 1));
    else
        emit dataChanged(index(layer, 0), index(layer, m_heads - 1));
}

void HeadMetricsModel::setMetric(HeadMetric m)
{
    if (m == m_metric)
        return;
    m_metric = m;
    updateRange();
    if (m_layers > 0 && m_heads > 0) {
        emit dataChanged(index(0, 0), index(m_layers - 1, m_heads - 1));
        emit headerDataChanged(Qt::Horizontal, 0, m_heads - 1);
    }
}

double HeadMetricsModel::value(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return std::numeric_limits<double>::quiet_NaN();
    const size_t k = static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(head);
    return m_have[k] ? m_cells[k].value(m_metric) : std::numeric_limits<double>::quiet_NaN();
}

void HeadMetricsModel::updateRange()
{
    bool any = false;
    double lo = 0, hi = 0;
    for (int l = 0; l < m_layers; ++l)
        for (int h = 0; h < m_heads; ++h) {
            const double v = value(l, h);
            if (std::isnan(v))
                continue;
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
    m_min = lo;
    m_max = hi;
}

int HeadMetricsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_layers;
}

int HeadMetricsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_heads;
}

QVariant HeadMetricsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int l = index.row(), h = index.column();
    const double v = value(l, h);
    const int group = m_heads / m_kvHeads > 0 ? m_heads / m_kvHeads : 1;
    switch (role) {
    case Qt::DisplayRole:
        return std::isnan(v) ? QVariant() : QVariant(QString::number(v, 'f', m_metric == HeadMetric::MeanDistance || m_metric == HeadMetric::SinkFreeDistance ? 1 : 2));
    case Qt::ToolTipRole:
        if (m_noMap[static_cast<size_t>(l)])
            return QStringLiteral("layer %1: Gated DeltaNet (linear attention), no softmax map to score").arg(l);
        if (std::isnan(v) && !m_have[static_cast<size_t>(l) * static_cast<size_t>(m_heads) + static_cast<size_t>(h)])
            return QStringLiteral("layer %1 head %2: not computed yet").arg(l).arg(h);
        if (std::isnan(v))
            return QStringLiteral("layer %1 head %2: %3 is undefined on this text (no row qualifies)")
                .arg(l).arg(h).arg(QString::fromStdString(headMetricLabel(m_metric, m_topK)));
        return QStringLiteral("layer %1 head %2 (KV head %3)\n%4 = %5")
            .arg(l).arg(h).arg(h / group)
            .arg(QString::fromStdString(headMetricLabel(m_metric, m_topK)))
            .arg(v, 0, 'g', 4);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::Alignment(Qt::AlignCenter));
    case NoMapRole:
        return QVariant(bool(m_noMap[static_cast<size_t>(l)]));
    case ValueRole:
        return std::isnan(v) ? QVariant() : QVariant(v);
    case NormalisedRole:
        if (std::isnan(v))
            return {};
        return m_max > m_min ? (v - m_min) / (m_max - m_min) : 0.5;
    case LayerRole:
        return l;
    case HeadRole:
        return h;
    case KvHeadRole:
        return h / group;
    default:
        return {};
    }
}

QVariant HeadMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= m_layers)
            return {};
        return role == Qt::DisplayRole ? QStringLiteral("L%1").arg(section) : QStringLiteral("layer %1").arg(section);
    }
    if (section < 0 || section >= m_heads)
        return {};
    const int group = m_heads / m_kvHeads > 0 ? m_heads / m_kvHeads : 1;
    return role == Qt::DisplayRole ? QStringLiteral("H%1").arg(section)
                                   : QStringLiteral("head %1, KV head %2").arg(section).arg(section / group);
}

} // namespace attnscope
