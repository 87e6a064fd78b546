// layers × heads table of the attention one key token receives (core/metrics/attention_received.h), for the
// key view's heatmap. Uses HeadMetricsModel's roles, so the same cell delegate paints both. Cells with no value
// (not computed, not captured, no query can see the key) are empty. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/head_metrics_model.h"

#include <QAbstractTableModel>

#include <vector>

namespace attnscope {

class ReceivedAttentionModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ReceivedAttentionModel(QObject* parent = nullptr);

    /// Replaces every value (layers * heads, row-major by layer; NaN = none) and what they mean.
    void setValues(int layers, int heads, int groupSize, std::vector<double> values, const QString& meaning);
    double value(int layer, int head) const;
    double minimum() const { return m_min; }
    double maximum() const { return m_max; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    int m_layers = 0, m_heads = 0, m_group = 1;
    std::vector<double> m_values;
    QString m_meaning;
    double m_min = 0, m_max = 0;
};

} // namespace attnscope
