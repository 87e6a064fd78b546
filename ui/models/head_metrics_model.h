// layers × heads table of one head metric (core/metrics/head_metrics.h) for the overview's summary heatmap.
// Cells not computed yet (maps still streaming in) return no value. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"

#include <QAbstractTableModel>

namespace attnscope {

class HeadMetricsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        ValueRole = Qt::UserRole + 1,   // double, the metric (invalid when not computed)
        NormalisedRole,                 // double in [0, 1]: position between the table's min and max
        LayerRole,                      // int
        HeadRole,                       // int
        KvHeadRole,                     // int: the KV head this query head shares (GQA group)
        NoMapRole,                      // bool: the layer has no softmax map (a Gated DeltaNet layer)
    };

    explicit HeadMetricsModel(QObject* parent = nullptr);

    /// Resets the shape (a new model or run): every cell empty.
    void reset(int layers, int heads, int kvHeads);
    /// Layers with no softmax map to score (linear attention): their cells say so instead of "not computed".
    void setNoMapLayers(std::vector<bool> noMap);
    /// Fills one layer's metrics as its maps arrive (size must equal heads).
    void setLayer(int layer, const std::vector<HeadMetrics>& metrics);
    void setMetric(HeadMetric m);
    HeadMetric metric() const { return m_metric; }
    void setTopK(int k) { m_topK = k; }
    double minimum() const { return m_min; }
    double maximum() const { return m_max; }
    /// The metric of one cell (NaN when not computed).
    double value(int layer, int head) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void updateRange();

    int m_layers = 0, m_heads = 0, m_kvHeads = 0;
    int m_topK = 5;
    HeadMetric m_metric = HeadMetric::SinkShare;
    std::vector<HeadMetrics> m_cells;
    std::vector<bool> m_have;
    std::vector<bool> m_noMap;   // per layer
    double m_min = 0, m_max = 0;
};

} // namespace attnscope
