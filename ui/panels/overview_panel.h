// Model overview: the layers × heads small multiples (left) and the layers × heads summary heatmap of any head
// score computed in core (right; docs/METRICS.md).
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_spec.h"

#include <QWidget>

class QComboBox;
class QSplitter;
class QTableView;

namespace attnscope {

class MetricCellDelegate;
class OverviewGrid;
class SessionContext;

class OverviewPanel : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPanel(SessionContext* context, QWidget* parent = nullptr);
    OverviewGrid* grid() const { return m_grid; }
    QTableView* metricsView() const { return m_table; }
    QComboBox* metricCombo() const { return m_metric; }
    /// The tab as figure panels (docs/FIGURES.md): the thumbnails grid and the summary heatmap of its score.
    QVector<PanelSpec> panelSpecs() const;

signals:
    void headActivated(int layer, int head);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    /// Gives the summary table the width its columns need (until the user drags the splitter).
    void fitSplitter();

    SessionContext* m_context;
    OverviewGrid* m_grid;
    QTableView* m_table;
    QComboBox* m_metric;
    MetricCellDelegate* m_delegate;
    QSplitter* m_split = nullptr;
    bool m_userSized = false;
};

} // namespace attnscope
