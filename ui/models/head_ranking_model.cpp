// HeadRankingModel: rows from core's rankHeads, one column per score.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/head_ranking_model.h"

#include <algorithm>
#include <cmath>

#include <QColor>
#include <QFont>

namespace attnscope {

HeadRankingModel::HeadRankingModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void HeadRankingModel::setTable(const MetricsTable& table, int groupSize)
{
    beginResetModel();
    m_table = table;
    m_group = std::max(1, groupSize);
    rerank();
    endResetModel();
}

void HeadRankingModel::rankBy(HeadMetric metric, bool ascending)
{
    beginResetModel();
    m_metric = metric;
    m_ascending = ascending;
    m_byPosition = false;
    rerank();
    endResetModel();
}

void HeadRankingModel::sort(int column, Qt::SortOrder order)
{
    const bool ascending = order == Qt::AscendingOrder;
    if (column >= FirstScoreColumn && column < FirstScoreColumn + kHeadMetricCount) {
        rankBy(static_cast<HeadMetric>(column - FirstScoreColumn), ascending);
        return;
    }
    beginResetModel();
    m_byPosition = column == LayerColumn || column == HeadColumn || column == KvHeadColumn;
    m_ascending = ascending;
    rerank();
    endResetModel();
}

void HeadRankingModel::rerank()
{
    if (!m_byPosition) {
        m_rows = rankHeads(m_table, m_metric, m_ascending);
        return;
    }
    m_rows.clear();
    for (int l = 0; l < m_table.layers; ++l)
        for (int h = 0; h < m_table.heads; ++h)
            m_rows.push_back({l, h, m_table.value(l, h, m_metric)});
    if (!m_ascending)
        std::reverse(m_rows.begin(), m_rows.end());
}

int HeadRankingModel::rowOf(int layer, int head) const
{
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].layer == layer && m_rows[i].head == head)
            return static_cast<int>(i);
    return -1;
}

int HeadRankingModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int HeadRankingModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : FirstScoreColumn + kHeadMetricCount;
}

QVariant HeadRankingModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RankedHead& r = m_rows[static_cast<size_t>(index.row())];
    const int c = index.column();
    if (role == LayerRole)
        return r.layer;
    if (role == HeadRole)
        return r.head;
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    if (role == Qt::BackgroundRole && !m_byPosition && c == columnOf(m_metric))
        return QColor(0xff, 0xf3, 0xcd);   // the column the rows are ranked by
    if (role != Qt::DisplayRole && role != ValueRole && role != Qt::ToolTipRole)
        return {};
    double v = std::nan("");
    switch (c) {
    case RankColumn: v = index.row() + 1; break;
    case LayerColumn: v = r.layer; break;
    case HeadColumn: v = r.head; break;
    case KvHeadColumn: v = r.head / m_group; break;
    default: v = m_table.value(r.layer, r.head, static_cast<HeadMetric>(c - FirstScoreColumn)); break;
    }
    if (role == Qt::ToolTipRole) {
        if (c < FirstScoreColumn)
            return QStringLiteral("layer %1, head %2 — click: select · double-click: open in the head view").arg(r.layer).arg(r.head);
        const auto m = static_cast<HeadMetric>(c - FirstScoreColumn);
        return QStringLiteral("layer %1, head %2\n%3 = %4\n%5")
            .arg(r.layer).arg(r.head).arg(QString::fromStdString(headMetricLabel(m)))
            .arg(std::isnan(v) ? QStringLiteral("— (no row qualifies or not computed)") : QString::number(v, 'g', 4))
            .arg(QString::fromStdString(headMetricDefinition(m)));
    }
    if (std::isnan(v))
        return {};
    if (role == ValueRole)
        return v;
    if (c < FirstScoreColumn)
        return QString::number(static_cast<int>(v));
    const auto m = static_cast<HeadMetric>(c - FirstScoreColumn);
    const bool tokens = m == HeadMetric::MeanDistance || m == HeadMetric::SinkFreeDistance;
    return QString::number(v, 'f', tokens ? 1 : 3);
}

QVariant HeadRankingModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::FontRole && !m_byPosition && section == columnOf(m_metric)) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    if (section < 0 || section >= columnCount())
        return {};
    static const char* fixed[] = {"rank", "layer", "head", "KV"};
    if (section < FirstScoreColumn)
        return QString::fromLatin1(fixed[section]);
    const auto m = static_cast<HeadMetric>(section - FirstScoreColumn);
    if (role == Qt::ToolTipRole)
        return QStringLiteral("%1: %2").arg(QString::fromStdString(headMetricLabel(m)),
                                            QString::fromStdString(headMetricDefinition(m)));
    // Short two-line headers so every score fits beside the others.
    static const char* shortNames[kHeadMetricCount] = {"sink\nshare", "entropy", "distance", "top-5\nmass",
                                                        "previous\ntoken", "duplicate\ntoken", "induction", "self",
                                                        "distance\nno sink", "entropy\nno sink"};
    return QString::fromUtf8(shortNames[static_cast<int>(m)]);
}

} // namespace attnscope
