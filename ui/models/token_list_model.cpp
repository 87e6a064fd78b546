// TokenListModel: lazy data() over a shared, immutable token list.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/token_list_model.h"

#include "core/tokenizer/tokenizer.h"

namespace attnscope {

TokenRowsPtr makeTokenRows(const Tokenizer& tokenizer, const TokenizedText& text)
{
    auto rows = std::make_shared<TokenRows>();
    rows->reserve(static_cast<qsizetype>(text.size()));
    for (size_t i = 0; i < text.size(); ++i) {
        TokenRow r;
        r.id = text.ids[i];
        r.display = QString::fromStdString(i < text.display.size() ? text.display[i] : tokenizer.tokenDisplay(r.id));
        r.bytes = QByteArray::fromStdString(tokenizer.tokenBytes(r.id));
        r.byteBegin = i < text.byteBegin.size() ? text.byteBegin[i] : 0;
        r.byteEnd = i < text.byteEnd.size() ? text.byteEnd[i] : 0;
        rows->push_back(std::move(r));
    }
    return rows;
}

QString escapedBytes(const QByteArray& bytes)
{
    QString out;
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x21 && c < 0x7f && c != '\\')
            out += QChar(c);
        else if (c == ' ')
            out += QStringLiteral("\\x20");
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QChar('0'));
    }
    return out;
}

QString tokenTooltip(const TokenRow& t, int position)
{
    return QStringLiteral("#%1  id %2\n\"%3\"\nbytes: %4")
        .arg(position)
        .arg(t.id)
        .arg(t.display, escapedBytes(t.bytes));
}

TokenListModel::TokenListModel(QObject* parent)
    : QAbstractListModel(parent)
{
}

void TokenListModel::setTokens(TokenRowsPtr tokens)
{
    beginResetModel();
    m_tokens = std::move(tokens);
    m_weights.clear();
    m_secondary.clear();
    if (m_selected >= rowCount())
        m_selected = -1;
    endResetModel();
}

void TokenListModel::setWeights(QVector<double> primary, QVector<double> secondary)
{
    const int n = rowCount();
    m_weights = primary.size() == n ? std::move(primary) : QVector<double>();
    m_secondary = secondary.size() == n ? std::move(secondary) : QVector<double>();
    if (n > 0)
        emit dataChanged(index(0), index(n - 1), {WeightRole, SecondaryWeightRole, Qt::ToolTipRole});
}

void TokenListModel::clearWeights()
{
    setWeights({}, {});
}

void TokenListModel::setSelectedPosition(int position)
{
    const int n = rowCount();
    if (position < -1 || position >= n)
        position = -1;
    if (position == m_selected)
        return;
    m_selected = position;
    if (n > 0)
        emit dataChanged(index(0), index(n - 1), {SelectedRole, MaskedRole});
}

void TokenListModel::setMask(const AttentionMask& mask)
{
    if (mask == m_mask)
        return;
    m_mask = mask;
    if (const int n = rowCount(); n > 0)
        emit dataChanged(index(0), index(n - 1), {MaskedRole});
}

int TokenListModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_tokens)
        return 0;
    return static_cast<int>(m_tokens->size());
}

QVariant TokenListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_tokens)
        return {};
    const int r = index.row();
    const TokenRow& t = m_tokens->at(r);
    switch (role) {
    case Qt::DisplayRole:
        return t.display;
    case Qt::ToolTipRole: {
        QString tip = tokenTooltip(t, r);
        if (!m_weights.isEmpty())
            tip += QStringLiteral("\nweight %1").arg(m_weights[r], 0, 'g', 4);
        if (!m_secondary.isEmpty())
            tip += QStringLiteral("\nmean over heads %1").arg(m_secondary[r], 0, 'g', 4);
        return tip;
    }
    case TokenIdRole:
        return t.id;
    case BytesRole:
        return t.bytes;
    case PositionRole:
        return r;
    case WeightRole:
        return m_weights.isEmpty() ? QVariant() : QVariant(m_weights[r]);
    case SecondaryWeightRole:
        return m_secondary.isEmpty() ? QVariant() : QVariant(m_secondary[r]);
    case SelectedRole:
        return r == m_selected;
    case MaskedRole:
        return m_masksLater && m_selected >= 0 && !m_mask.valid(m_selected, r);
    default:
        return {};
    }
}

QHash<int, QByteArray> TokenListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names[TokenIdRole] = "tokenId";
    names[BytesRole] = "bytes";
    names[PositionRole] = "position";
    names[WeightRole] = "weight";
    names[SecondaryWeightRole] = "secondaryWeight";
    names[SelectedRole] = "selected";
    names[MaskedRole] = "masked";
    return names;
}

} // namespace attnscope
