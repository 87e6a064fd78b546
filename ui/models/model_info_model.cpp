// ModelInfoModel: flattens ModelInfo into readable rows.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/model_info_model.h"
#include "ui/models/display_text.h"

#include <QLocale>
#include <filesystem>

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
    // Every string that came from the file (or its name) is escaped and shortened: see display_text.h.
    add(QStringLiteral("file"), displayText(std::filesystem::path(info.path).filename().string()));
    if (!info.resolvedPath.empty() && info.resolvedPath != info.path)
        add(QStringLiteral("resolved"), displayText(info.resolvedPath));
    add(QStringLiteral("format"), QString::fromStdString(info.format));
    if (!info.name.empty())
        add(QStringLiteral("name"), displayText(info.name, 256));
    add(QStringLiteral("architecture"), displayText(info.architecture, 256));
    if (!info.runnable)
        add(QStringLiteral("not runnable"), displayText(info.notRunnableReason, 4096));
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
    // Weight files reached through links (a Hugging Face cache snapshot links into ../../blobs/).
    for (const ModelFile& f : info.files)
        if (f.resolvedPath != f.path && f.resolvedPath != info.resolvedPath)
            add(displayText(std::filesystem::path(f.path).filename().string(), 128),
                QStringLiteral("→ %1").arg(displayText(f.resolvedPath)));
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
    if (role == Qt::DisplayRole)
        return index.column() == 0 ? row.first : row.second;
    if (role == Qt::ToolTipRole)
        return plainToolTip(index.column() == 0 ? row.first : row.second);
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
