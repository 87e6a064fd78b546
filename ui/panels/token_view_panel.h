// Token view: pick a query token; its attention over the text is shown as highlighted token chips (for the
// selected head and averaged over the layer's heads) and as a bar chart of the strongest keys (Qt Charts).
// The chip strips scroll to keep the query in view. Keys: Left/Right move the query, PgUp/PgDn by 10 tokens,
// Home/End to the first/last token, Up/Down to the previous/next layer.
// Threading: UI thread (a stored query row is ≤ T floats per head: reading it is cheap; a long prompt's rows
// are recomputed on a worker, T · d multiply-adds per head).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QWidget>

class QBarSet;
class QChart;
class QChartView;
class QLabel;
class QSpinBox;

namespace attnscope {

class SessionContext;
class TokenListModel;
class TokenStrip;

class TokenViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit TokenViewPanel(SessionContext* context, QWidget* parent = nullptr);
    TokenListModel* headModel() const { return m_headTokens; }
    TokenListModel* meanModel() const { return m_meanTokens; }
    QChart* chart() const { return m_chart; }
    /// Keys drawn in the bar chart (the strongest ones of the selected head, in text order).
    int barCount() const { return m_barCount; }

    void refresh();
    /// True while a long prompt's rows are recomputed on a worker.
    bool isBusy() const { return m_jobRunning || m_dirty; }

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void showMissing();
    /// A long prompt: the query's row of every head of the layer, recomputed on a worker.
    void requestLongRows();
    void showRows(QVector<double> head, QVector<double> mean, int count);

    SessionContext* m_context;
    QSpinBox* m_query;
    QLabel* m_queryLabel;
    QLabel* m_headLabel;
    QLabel* m_meanLabel;
    TokenListModel* m_headTokens;
    TokenListModel* m_meanTokens;
    TokenStrip* m_headStrip;
    TokenStrip* m_meanStrip;
    QChart* m_chart;
    QChartView* m_chartView;
    int m_barCount = 0;
    bool m_jobRunning = false;
    bool m_dirty = false;
};

} // namespace attnscope
