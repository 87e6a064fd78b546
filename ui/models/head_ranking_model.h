// The head finder's table: every head of the run, one row each, with every score in its own column, ordered by
// core's rankHeads (the same ranking as `attnscope-cli heads`). Sorting by a score column re-ranks through
// core; sorting by layer or head restores the (layer, head) order. Cells with no value (not computed, not
// captured, undefined on this text) are empty and always sort last. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_ranking.h"

#include <QAbstractTableModel>

namespace attnscope {

class HeadRankingModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { RankColumn, LayerColumn, HeadColumn, KvHeadColumn, FirstScoreColumn };
    enum Role {
        ValueRole = Qt::UserRole + 1,   // double: the cell's number (invalid when empty)
        LayerRole,                      // int
        HeadRole,                       // int
    };

    explicit HeadRankingModel(QObject* parent = nullptr);

    /// Replaces the scores (a layer arrived, a new run) and re-ranks with the current order.
    void setTable(const MetricsTable& table, int groupSize);
    /// Ranks by a score, highest first unless ascending.
    void rankBy(HeadMetric metric, bool ascending = false);
    HeadMetric rankMetric() const { return m_metric; }
    bool ascending() const { return m_ascending; }
    static int columnOf(HeadMetric m) { return FirstScoreColumn + static_cast<int>(m); }
    /// Row of a head in the current order, or -1.
    int rowOf(int layer, int head) const;
    const std::vector<RankedHead>& ranking() const { return m_rows; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    void rerank();

    MetricsTable m_table;
    int m_group = 1;
    HeadMetric m_metric = HeadMetric::Induction;
    bool m_ascending = false;
    bool m_byPosition = false;   // sorted by layer/head instead of a score
    std::vector<RankedHead> m_rows;
};

} // namespace attnscope
