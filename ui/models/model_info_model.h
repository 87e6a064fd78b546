// The model-info panel's table: property / value rows from core's ModelInfo plus the backend that runs it.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/session/model_info.h"

#include <QAbstractTableModel>
#include <QPair>
#include <QVector>

namespace attnscope {

class ModelInfoModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ModelInfoModel(QObject* parent = nullptr);

    void setInfo(const ModelInfo& info, const QString& backend);
    void clear();
    /// The value of a property by its label ("layers", "heads", …); empty when absent.
    QString valueOf(const QString& property) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<QPair<QString, QString>> m_rows;
};

/// "98.4 MB" style size (decimal units, as file managers show them).
QString humanSize(quint64 bytes);

} // namespace attnscope
