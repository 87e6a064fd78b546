// A wrapping strip of token chips over a TokenListModel (virtualised for long prompts, see TokenStrip): hover shows id and byte string, click picks a token.
// With weights set, chips are filled by the weight through the current colormap (the token view's highlight);
// the selected query token is outlined and tokens it cannot see (causal) are faded. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/view_settings.h"

#include <QListView>
#include <QStyledItemDelegate>

namespace attnscope {

class ChipDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ChipDelegate(QObject* parent = nullptr);
    void setColormap(Colormap c) { m_colormap = c; }
    /// Which weight role fills the chips (TokenListModel::WeightRole or SecondaryWeightRole).
    void setWeightRole(int role) { m_weightRole = role; }
    /// Weights are divided by this before colouring (the row's maximum, so the strongest key is the top colour).
    void setWeightScale(double maxWeight) { m_scale = maxWeight > 0 ? maxWeight : 1.0; }
    /// The same value scale as the heatmaps (power γ, log with a floor), so chips and maps read alike.
    void setScale(ScaleKind kind, double gamma, double logFloor)
    {
        m_kind = kind;
        m_gamma = gamma;
        m_floor = logFloor;
    }

    /// Draws the weights faded (they belong to a previous prompt).
    void setDimmed(bool dimmed) { m_dimmed = dimmed; }
    /// Every chip this wide (text elided), so the list can lay out thousands of chips by arithmetic; 0 = each
    /// chip fits its text.
    void setFixedChipWidth(int px) { m_fixedWidth = px; }
    int fixedChipWidth() const { return m_fixedWidth; }

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    Colormap m_colormap = Colormap::Viridis;
    int m_weightRole = 0;
    double m_scale = 1.0;
    ScaleKind m_kind = ScaleKind::Linear;
    double m_gamma = 0.5;
    double m_floor = 1e-4;
    bool m_dimmed = false;
    int m_fixedWidth = 0;
};

/// Long prompts (more than kUniformChipsAbove tokens, up to 32k and beyond): chips of one width and uniform item
/// sizes, so layout is arithmetic and only the visible chips are ever measured or painted (virtualised).
class TokenStrip : public QListView {
    Q_OBJECT
public:
    static constexpr int kUniformChipsAbove = 2000;

    explicit TokenStrip(QWidget* parent = nullptr);
    ChipDelegate* chipDelegate() const { return m_delegate; }
    void setModel(QAbstractItemModel* model) override;
    void reset() override;
    /// Whether chips currently share one width (a long prompt).
    bool usesUniformChips() const { return uniformItemSizes(); }

signals:
    void tokenClicked(int position);

private:
    void updateChipMode();

    ChipDelegate* m_delegate = nullptr;
};

} // namespace attnscope
