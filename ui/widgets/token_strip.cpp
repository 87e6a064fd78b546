// TokenStrip and ChipDelegate: rounded chips with readable contrast on any colormap.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/token_strip.h"

#include "ui/models/token_list_model.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

QColor textColourOn(const QColor& bg)
{
    const double luminance = 0.2126 * bg.redF() + 0.7152 * bg.greenF() + 0.0722 * bg.blueF();
    return luminance > 0.5 ? QColor(Qt::black) : QColor(Qt::white);
}

constexpr int kPadX = 5;
constexpr int kPadY = 2;

} // namespace

ChipDelegate::ChipDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{
}

QSize ChipDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const QFontMetrics fm(option.font);
    if (m_fixedWidth > 0)
        return {m_fixedWidth, fm.height() + 2 * kPadY + 2};
    const QString text = index.data(Qt::DisplayRole).toString();
    return {std::min(fm.horizontalAdvance(text), 220) + 2 * kPadX + 2, fm.height() + 2 * kPadY + 2};
}

void ChipDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    const QRectF r = QRectF(option.rect).adjusted(1, 1, -1, -1);
    QColor fill = option.palette.color(QPalette::AlternateBase);
    const QVariant w = m_weightRole ? index.data(m_weightRole) : QVariant();
    const bool masked = index.data(TokenListModel::MaskedRole).toBool();
    if (w.isValid() && !masked) {
        double t = std::clamp(w.toDouble() / m_scale, 0.0, 1.0);
        if (m_kind == ScaleKind::Power)
            t = std::pow(t, m_gamma);
        else if (m_kind == ScaleKind::Log)
            t = t <= m_floor ? 0.0 : (std::log(t) - std::log(m_floor)) / -std::log(m_floor);
        fill = QColor::fromRgb(colormapLut(m_colormap)[static_cast<size_t>(std::min(255, static_cast<int>(t * 256)))]);
        if (m_dimmed)   // halfway to the background: visibly not current
            fill = QColor((fill.red() + 255) / 2, (fill.green() + 255) / 2, (fill.blue() + 255) / 2);
    }
    if (masked)
        fill = option.palette.color(QPalette::Window);
    QPainterPath path;
    path.addRoundedRect(r, 4, 4);
    painter->fillPath(path, fill);
    const bool selected = index.data(TokenListModel::SelectedRole).toBool();
    const bool hovered = option.state & QStyle::State_MouseOver;
    QPen pen(selected ? QColor(0xe0, 0x3a, 0x1e) : option.palette.color(QPalette::Mid), selected ? 2.5 : (hovered ? 1.5 : 1.0));
    painter->setPen(pen);
    painter->drawPath(path);
    QColor textColour = masked ? option.palette.color(QPalette::Disabled, QPalette::Text) : textColourOn(fill);
    painter->setPen(textColour);
    const QString text = option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight,
                                                       static_cast<int>(r.width()) - 2 * kPadX + 2);
    painter->drawText(r.adjusted(kPadX - 1, 0, -kPadX + 1, 0), Qt::AlignCenter, text);
    painter->restore();
}

TokenStrip::TokenStrip(QWidget* parent)
    : QListView(parent)
    , m_delegate(new ChipDelegate(this))
{
    setItemDelegate(m_delegate);
    setViewMode(QListView::ListMode);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setResizeMode(QListView::Adjust);
    setSpacing(1);
    setUniformItemSizes(false);
    setMouseTracking(true);
    setSelectionMode(QAbstractItemView::NoSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    connect(this, &QListView::clicked, this, [this](const QModelIndex& i) { emit tokenClicked(i.row()); });
}

void TokenStrip::setModel(QAbstractItemModel* model)
{
    QListView::setModel(model);
    updateChipMode();
}

void TokenStrip::reset()
{
    updateChipMode();   // before the relayout the reset triggers
    QListView::reset();
}

void TokenStrip::updateChipMode()
{
    const bool many = model() && model()->rowCount() > kUniformChipsAbove;
    if (many == uniformItemSizes())
        return;
    // About eight average characters per chip: most tokens fit, longer ones are elided (the tooltip has them).
    m_delegate->setFixedChipWidth(many ? fontMetrics().averageCharWidth() * 8 + 2 * kPadX + 2 : 0);
    setUniformItemSizes(many);
}

} // namespace attnscope
