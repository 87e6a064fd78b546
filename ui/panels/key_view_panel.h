// Key view — "who attends to token j": pick a key token (spin box, chip, Ctrl+F or a click on a head-view
// column) and see, per layer and head, the attention it receives: the mean over the queries after it, and from
// the selected query. The reverse of the token view. Values are computed on a worker (a column of every map; for
// a long prompt the column recomputed from the run's queries and keys, T · d multiply-adds per head).
// Left/Right move the key, Home/End jump to the first/last token. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QWidget>

class QLabel;
class QSpinBox;
class QTableView;

namespace attnscope {

class MetricCellDelegate;
class ReceivedAttentionModel;
class SessionContext;
class TokenListModel;
class TokenStrip;

class KeyViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit KeyViewPanel(SessionContext* context, QWidget* parent = nullptr);
    ReceivedAttentionModel* receivedModel() const { return m_received; }
    ReceivedAttentionModel* fromQueryModel() const { return m_fromQuery; }
    QTableView* receivedTable() const { return m_receivedTable; }
    /// True while a computation is out.
    bool isBusy() const { return m_jobRunning || m_dirty; }

    void refresh();

signals:
    void headActivated(int layer, int head);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    QTableView* makeTable(ReceivedAttentionModel* model, MetricCellDelegate* delegate);

    SessionContext* m_context;
    QSpinBox* m_key;
    QLabel* m_keyLabel;
    QLabel* m_receivedLabel;
    QLabel* m_fromQueryLabel;
    TokenListModel* m_tokens;
    TokenStrip* m_strip;
    ReceivedAttentionModel* m_received;
    ReceivedAttentionModel* m_fromQuery;
    MetricCellDelegate* m_receivedDelegate;
    MetricCellDelegate* m_fromQueryDelegate;
    QTableView* m_receivedTable;
    QTableView* m_fromQueryTable;
    bool m_jobRunning = false;
    bool m_dirty = false;
};

} // namespace attnscope
