// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/received_attention_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

ReceivedAttentionModel::ReceivedAttentionModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ReceivedAttentionModel::setValues(int layers, int heads, int groupSize, std::vector<double> values,
                                       const QString& meaning)
{
    layers = std::max(0, layers);
    heads = std::max(0, heads);
    if (values.size() != static_cast<size_t>(layers) * static_cast<size_t>(heads))
        values.assign(static_cast<size_t>(layers) * static_cast<size_t>(heads), std::nan(""));
    const bool reshape = layers != m_layers || heads != m_heads;
    if (reshape)
        beginResetModel();
    m_layers = layers;
    m_heads = heads;
    m_group = std::max(1, groupSize);
    m_values = std::move(values);
    m_meaning = meaning;
    bool any = false;
    for (double v : m_values) {
        if (std::isnan(v))
            continue;
        m_min = any ? std::min(m_min, v) : v;
        m_max = any ? std::max(m_max, v) : v;
        any = true;
    }
    if (!any)
        m_min = m_max = 0;
    if (reshape)
        endResetModel();
    else if (m_layers > 0 && m_heads > 0)
        emit dataChanged(index(0, 0), index(m_layers - 1, m_heads - 1));
}

double ReceivedAttentionModel::value(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return std::numeric_limits<double>::quiet_NaN();
    return m_values[static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(head)];
}

int ReceivedAttentionModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_layers;
}

int ReceivedAttentionModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_heads;
}

QVariant ReceivedAttentionModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int l = index.row(), h = index.column();
    const double v = value(l, h);
    switch (role) {
    case Qt::DisplayRole:
        return std::isnan(v) ? QVariant() : QVariant(QString::number(v, 'f', 2));
    case Qt::ToolTipRole:
        return QStringLiteral("layer %1 head %2 (KV head %3)\n%4 = %5")
            .arg(l).arg(h).arg(h / m_group).arg(m_meaning)
            .arg(std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'g', 4));
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::Alignment(Qt::AlignCenter));
    case HeadMetricsModel::ValueRole:
        return std::isnan(v) ? QVariant() : QVariant(v);
    case HeadMetricsModel::NormalisedRole:
        if (std::isnan(v))
            return {};
        return m_max > m_min ? (v - m_min) / (m_max - m_min) : 0.5;
    case HeadMetricsModel::LayerRole:
        return l;
    case HeadMetricsModel::HeadRole:
        return h;
    case HeadMetricsModel::KvHeadRole:
        return h / m_group;
    default:
        return {};
    }
}

QVariant ReceivedAttentionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return section >= 0 && section < m_layers ? QVariant(QStringLiteral("L%1").arg(section)) : QVariant();
    return section >= 0 && section < m_heads ? QVariant(QStringLiteral("H%1").arg(section)) : QVariant();
}

} // namespace attnscope
