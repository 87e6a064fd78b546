// MassOutsideModel: the per-head mass-outside grid of one layer.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/mass_outside_model.h"

#include <QColor>

#include <algorithm>
#include <cmath>

namespace attnscope {

MassOutsideModel::MassOutsideModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void MassOutsideModel::setOutcome(CompareOutcomePtr outcome)
{
    beginResetModel();
    m_outcome = std::move(outcome);
    endResetModel();
}

void MassOutsideModel::setLayer(int layer)
{
    if (layer == m_layer)
        return;
    beginResetModel();
    m_layer = layer;
    endResetModel();
}

int MassOutsideModel::heads() const
{
    return m_outcome && m_outcome->result ? m_outcome->result->shape.heads : 0;
}

double MassOutsideModel::value(int head, int variant) const
{
    if (!m_outcome || !m_outcome->result)
        return std::nan("");
    const CompareResult& r = *m_outcome->result;
    const int H = r.shape.heads;
    if (variant < 0 || variant >= static_cast<int>(r.variants.size()) || head < 0 || head > H || m_layer < 0 ||
        m_layer >= r.shape.layers)
        return std::nan("");
    const std::vector<double>& m = r.variants[static_cast<size_t>(variant)].massOutside;
    const size_t base = static_cast<size_t>(m_layer) * static_cast<size_t>(H);
    if (m.size() < base + static_cast<size_t>(H))
        return std::nan("");
    if (head < H)
        return m[base + static_cast<size_t>(head)];
    double s = 0;
    for (int h = 0; h < H; ++h)
        s += m[base + static_cast<size_t>(h)];
    return H > 0 ? s / H : std::nan("");
}

int MassOutsideModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || heads() == 0 ? 0 : heads() + 1;
}

int MassOutsideModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_outcome || !m_outcome->result ? 0 : static_cast<int>(m_outcome->result->variants.size());
}

QVariant MassOutsideModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_outcome || !m_outcome->result)
        return {};
    const CompareResult& r = *m_outcome->result;
    if (orientation == Qt::Horizontal) {
        if (section < 0 || section >= static_cast<int>(r.variants.size()))
            return {};
        const AttentionSpec& s = r.variants[static_cast<size_t>(section)].spec;
        if (role == Qt::DisplayRole)
            return tr("%1: %2").arg(section + 1).arg(QString::fromStdString(s.name()));
        if (role == Qt::ToolTipRole)
            return QString::fromStdString(s.toString());
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    return section < heads() ? tr("L%1 H%2").arg(m_layer).arg(section) : tr("L%1 mean").arg(m_layer);
}

QVariant MassOutsideModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const double v = value(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole: return std::isfinite(v) ? QStringLiteral("%1 %").arg(100.0 * v, 0, 'f', 1) : QStringLiteral("—");
    case Qt::UserRole: return v;
    case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole: {
        if (!std::isfinite(v))
            return {};
        // White → warm red as more of the head's mass falls outside the variant's mask.
        const double t = std::clamp(v, 0.0, 1.0);
        return QColor::fromRgbF(1.0, 1.0 - 0.55 * t, 1.0 - 0.65 * t);
    }
    case Qt::ForegroundRole: return QColor(Qt::black);
    case Qt::ToolTipRole:
        return tr("layer %1, %2: %3 of the baseline's attention mass falls outside the variant's mask")
            .arg(m_layer)
            .arg(index.row() < heads() ? tr("head %1").arg(index.row()) : tr("mean over heads"))
            .arg(std::isfinite(v) ? QStringLiteral("%1 %").arg(100.0 * v, 0, 'f', 1)
                 : m_outcome && m_outcome->longPrompt
                     ? tr("— (a long prompt keeps no map: only a mask pattern's share is recomputed exactly; this "
                          "variant needs whole rows)")
                     : QStringLiteral("—"));
    default: return {};
    }
}

} // namespace attnscope
