// The numbers of a comparison as a table (docs/VARIANTS.md "Comparing"): one row for the baseline and one per
// variant. Language models: perplexity of the text, KL(baseline ‖ variant) mean and max over positions, top-1
// agreement with the baseline, the mean share of the baseline's attention mass outside the variant's mask (over
// the layers it replaces), the layer its forward started at (layers below reuse the baseline's stream) and its
// forward time. Encoders: the cosine similarity of the output hidden states (mean and minimum) instead of KL and
// perplexity. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/compare/compare_outcome.h"

#include <QAbstractTableModel>

namespace attnscope {

class CompareMetricsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Perplexity, KlMean, KlMax, Top1, CosineMean, CosineMin, MassOutside, StartLayer, Millis, ColumnCount };

    explicit CompareMetricsModel(QObject* parent = nullptr);
    void setOutcome(CompareOutcomePtr outcome);
    CompareOutcomePtr outcome() const { return m_outcome; }
    /// The model column of a logical column (columns that do not apply to the model are left out).
    int columnOf(Column c) const { return static_cast<int>(m_columns.indexOf(c)); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    CompareOutcomePtr m_outcome;
    QVector<Column> m_columns;
};

} // namespace attnscope
