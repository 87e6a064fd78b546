// ModelInfoModel: flattens ModelInfo into readable rows.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/model_info_model.h"

#include <QFileInfo>
#include <QLocale>

namespace attnscope {

QString humanSize(quint64 bytes)
{
    return QLocale::c().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeSIFormat);
}

ModelInfoModel::ModelInfoModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ModelInfoModel::setInfo(const ModelInfo& info, const QString& backend)
{
    beginResetModel();
    m_rows.clear();
    auto add = [&](const QString& k, const QString& v) { m_rows.append({k, v}); };
    auto num = [](qint64 v) { return QLocale::c().toString(v); };
    add(QStringLiteral("file"), QFileInfo(QString::fromStdString(info.path)).fileName());
    add(QStringLiteral("format"), QString::fromStdString(info.format));
    if (!info.name.empty())
        add(QStringLiteral("name"), QString::fromStdString(info.name));
    add(QStringLiteral("architecture"), QString::fromStdString(info.architecture));
    if (!info.runnable)
        add(QStringLiteral("not runnable"), QString::fromStdString(info.notRunnableReason));
    add(QStringLiteral("layers"), num(info.nLayers));
    add(QStringLiteral("heads"), num(info.nHeads));
    const int group = info.nKvHeads > 0 ? info.nHeads / info.nKvHeads : 0;
    add(QStringLiteral("KV groups"), QStringLiteral("%1 KV heads (%2 query heads each)").arg(info.nKvHeads).arg(group));
    add(QStringLiteral("head dim"), num(info.headDim));
    add(QStringLiteral("model dim"), num(info.dModel));
    add(QStringLiteral("FFN dim"), num(info.ffnDim));
    add(QStringLiteral("vocabulary"), num(info.vocabSize));
    add(QStringLiteral("context"), num(info.contextLength));
    if (info.runnable) {
        add(QStringLiteral("block"), QString::fromStdString(info.block));
        add(QStringLiteral("attention"), QString::fromStdString(info.layerRules));
        if (!info.hasLmHead)
            add(QStringLiteral("output"), QStringLiteral("hidden states (encoder: no next-token prediction)"));
    }
    add(QStringLiteral("tokenizer"), QString::fromStdString(info.tokenizer));
    add(QStringLiteral("parameters"), num(static_cast<qint64>(info.parameterCount)));
    QStringList dtypes;
    for (const auto& [dtype, params] : info.paramsByDtype) {
        const auto tensors = info.tensorsByDtype.count(dtype) ? info.tensorsByDtype.at(dtype) : 0;
        dtypes << QStringLiteral("%1: %2 tensors").arg(QString::fromStdString(dtype)).arg(tensors);
    }
    add(QStringLiteral("dtypes"), dtypes.join(QStringLiteral(", ")));
    add(QStringLiteral("size on disk"), humanSize(info.sizeOnDisk));
    if (!info.unusedTensors.empty()) {
        QStringList unused;
        for (const std::string& t : info.unusedTensors)
            unused << QString::fromStdString(t);
        add(QStringLiteral("unused tensors"), unused.join(QStringLiteral(", ")));
    }
    add(QStringLiteral("backend"), backend);
    endResetModel();
}

void ModelInfoModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

QString ModelInfoModel::valueOf(const QString& property) const
{
    for (const auto& [k, v] : m_rows)
        if (k == property)
            return v;
    return {};
}

int ModelInfoModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ModelInfoModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 2;
}

QVariant ModelInfoModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto& row = m_rows.at(index.row());
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole)
        return index.column() == 0 ? row.first : row.second;
    return {};
}

QVariant ModelInfoModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal)
        return {};
    if (section == 0)
        return QStringLiteral("property");
    if (section == 1)
        return QStringLiteral("value");
    return {};
}

} // namespace attnscope
