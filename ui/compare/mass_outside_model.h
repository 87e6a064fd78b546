// Per head of one layer, the share of the baseline's attention mass that falls outside each variant's mask
// (docs/METRICS.md "mass outside a pattern", docs/VARIANTS.md "Comparing"): rows are the layer's heads plus
// their mean, columns the variants. 0 on layers a variant leaves alone. The cell background deepens with the
// value, so the heads a variant hurts most stand out. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/compare/compare_outcome.h"

#include <QAbstractTableModel>

namespace attnscope {

class MassOutsideModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit MassOutsideModel(QObject* parent = nullptr);
    void setOutcome(CompareOutcomePtr outcome);
    void setLayer(int layer);
    int layer() const { return m_layer; }
    /// The share for (head, variant); head = heads() is the layer mean. NaN when out of range.
    double value(int head, int variant) const;
    int heads() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    CompareOutcomePtr m_outcome;
    int m_layer = 0;
};

} // namespace attnscope
