// Head finder: every head of the run in one sortable table, ranked by any score (docs/METRICS.md) — the heads
// that matter found for you. Click a row to select that head (the overview scrolls to it), double-click or
// Enter to open it in the head view. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;

namespace attnscope {

class HeadRankingModel;
class SessionContext;

class HeadFinderPanel : public QWidget {
    Q_OBJECT
public:
    explicit HeadFinderPanel(SessionContext* context, QWidget* parent = nullptr);
    HeadRankingModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    QComboBox* scoreCombo() const { return m_score; }
    /// Ranks by a score (highest first unless ascending) and shows the sort in the header.
    void rankBy(HeadMetric metric, bool ascending = false);
    /// Re-reads every score from the context (after a layer or a run); returns the milliseconds it took.
    double refresh();

signals:
    void headActivated(int layer, int head);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void showSelection();

    SessionContext* m_context;
    HeadRankingModel* m_model;
    QTableView* m_table;
    QComboBox* m_score;
    QComboBox* m_order;
    QLabel* m_info;
    bool m_syncing = false;
};

} // namespace attnscope
