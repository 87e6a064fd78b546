// MetricCellDelegate: colour from the LUT, text colour by luminance, hatch for cells not computed yet, a flat
// "–" for layers that have no softmax map.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/metric_cell_delegate.h"

#include "ui/models/head_metrics_model.h"

#include <QPainter>

#include <algorithm>

namespace attnscope {

MetricCellDelegate::MetricCellDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{
}

void MetricCellDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    painter->save();
    const QVariant t = index.data(HeadMetricsModel::NormalisedRole);
    const QRect r = option.rect.adjusted(0, 0, -1, -1);
    if (index.data(HeadMetricsModel::NoMapRole).toBool()) {
        painter->fillRect(r, option.palette.color(QPalette::AlternateBase));
        painter->setPen(option.palette.color(QPalette::PlaceholderText));
        painter->drawText(r, Qt::AlignCenter, QStringLiteral("–"));
    } else if (!t.isValid()) {
        painter->fillRect(r, maskedBackground());
        painter->fillRect(r, QBrush(maskedHatch(), Qt::BDiagPattern));
    } else {
        const int idx = std::clamp(static_cast<int>(t.toDouble() * 256.0), 0, 255);
        const QColor c = QColor::fromRgb(colormapLut(m_colormap)[static_cast<size_t>(idx)]);
        painter->fillRect(r, c);
        const double lum = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF();
        painter->setPen(lum > 0.5 ? Qt::black : Qt::white);
        QFont f = option.font;
        f.setPointSizeF(std::max(6.0, f.pointSizeF() - 1.5));
        painter->setFont(f);
        painter->drawText(r, Qt::AlignCenter, index.data(Qt::DisplayRole).toString());
    }
    if (m_dimmed)
        painter->fillRect(r, QColor(255, 255, 255, 150));
    if (index.row() == m_layer && index.column() == m_head) {
        painter->setPen(QPen(QColor(0xe0, 0x3a, 0x1e), 2));
        painter->drawRect(r.adjusted(1, 1, -1, -1));
    }
    painter->restore();
}

} // namespace attnscope
