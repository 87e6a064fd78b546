// The tokens of the prompt as a list model: one row per token with its id, display text and raw bytes, plus
// optional per-token weights (the token view's attention highlight) and a selected query position.
// Views: the prompt panel's chip strip and the token view's highlighted text. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"

#include <QAbstractListModel>
#include <QByteArray>
#include <QString>
#include <QVector>

#include <memory>

namespace attnscope {

class Tokenizer;
struct TokenizedText;

/// One token as the tokenizer produced it. Built on the compute thread (tokenizer lookups), then shared.
struct TokenRow {
    qint32 id = 0;
    QString display;        // readable label ("␣the", "↵", "<|im_start|>")
    QByteArray bytes;       // raw bytes the token stands for (may be invalid UTF-8 alone)
    quint32 byteBegin = 0;  // span in the prompt's UTF-8 bytes; empty for added special tokens
    quint32 byteEnd = 0;
};
using TokenRows = QVector<TokenRow>;
using TokenRowsPtr = std::shared_ptr<const TokenRows>;

/// Builds the rows for a tokenised text (tokenizer lookups: call it on a worker or the compute thread).
TokenRowsPtr makeTokenRows(const Tokenizer& tokenizer, const TokenizedText& text);

/// Tooltip text for a token: position, id, and the byte string escaped (printable ASCII kept, others \xNN).
QString tokenTooltip(const TokenRow& t, int position);
/// Bytes as a readable escaped string: "the" → "the", 0xE2 0x80 → "\xe2\x80", space → "␣" is not applied here.
QString escapedBytes(const QByteArray& bytes);

class TokenListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        TokenIdRole = Qt::UserRole + 1,   // int
        BytesRole,                        // QByteArray
        PositionRole,                     // int
        WeightRole,                       // double in [0, 1] or invalid when no weights are set
        SecondaryWeightRole,              // double (e.g. mean over heads) or invalid
        SelectedRole,                     // bool: the selected query token
        MaskedRole,                       // bool: the selected query cannot see this token under the head's mask
    };

    explicit TokenListModel(QObject* parent = nullptr);

    void setTokens(TokenRowsPtr tokens);
    TokenRowsPtr tokens() const { return m_tokens; }
    /// Weights per position (size must equal the token count, else they are cleared). Normalised for display
    /// by the view; raw values are returned by WeightRole.
    void setWeights(QVector<double> primary, QVector<double> secondary = {});
    void clearWeights();
    void setSelectedPosition(int position);   // -1 for none
    /// Whether tokens the selected query cannot see report MaskedRole; off for a key picker.
    void setMasksLaterTokens(bool on) { m_masksLater = on; }
    /// The mask of the head on screen (causal by default; BERT's is bidirectional, Gemma's local layers slide).
    void setMask(const AttentionMask& mask);
    int selectedPosition() const { return m_selected; }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    TokenRowsPtr m_tokens;
    QVector<double> m_weights;
    QVector<double> m_secondary;
    int m_selected = -1;
    bool m_masksLater = true;
    AttentionMask m_mask;
};

} // namespace attnscope
