// A rows × tokens heatmap for gate values (the gate view, docs/GATED.md): heads (or one head's dimensions) as
// rows, tokens as columns, a fixed colour range with its colourbar — [0, 1] on a sequential map for gates, β and
// decay, a zero-centred diverging map for signed values (SiLU(z)). Token text labels the columns where it fits;
// the selected row and token column are outlined; a click picks (row, token), hovering tells the value.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/gate_summary.h"
#include "ui/models/token_list_model.h"

#include <qcustomplot.h>

namespace attnscope {

class GateGridPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit GateGridPlot(QWidget* parent = nullptr);

    /// Shows `grid` (rows × tokens; NaN cells left empty) with `rowLabels` down the side; colours span `range`.
    void setGrid(const GateGrid& grid, const QStringList& rowLabels, TokenRowsPtr tokens, QCPRange range,
                 bool signedData, const QString& title, const QString& colourLabel, const QString& valueName);
    /// Empties the plot and shows `message` as its title.
    void clearGrid(const QString& message);
    bool hasGrid() const { return m_rows > 0 && m_tokens > 0; }
    QString title() const;
    /// Outlines one row and one token column (−1: none).
    void setMarks(int row, int token);
    /// (row, token) under a widget position, (−1, −1) outside the grid.
    QPoint cellAt(const QPointF& pos) const;
    /// The value shown at (row, token) (NaN outside or where empty).
    double valueAt(int row, int token) const;

signals:
    void cellClicked(int row, int token);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void updateTokenTicks();
    void updateRowTicks();
    void placeMarks();

    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPTextElement* m_title = nullptr;
    QCPItemRect* m_rowMark = nullptr;
    QCPItemRect* m_tokenMark = nullptr;
    QSharedPointer<QCPAxisTickerText> m_xTicker, m_yTicker;
    TokenRowsPtr m_tokenRows;
    GateGrid m_grid;
    QString m_valueName;
    QStringList m_rowLabels;
    int m_rows = 0;
    int64_t m_tokens = 0;
    int m_markRow = -1, m_markToken = -1;
};

} // namespace attnscope
