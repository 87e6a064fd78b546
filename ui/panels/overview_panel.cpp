// OverviewPanel: grid + summary table, both selecting the same head through the SessionContext and both
// scrolling it into view.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/overview_panel.h"

#include "ui/session_context.h"
#include "ui/widgets/metric_cell_delegate.h"
#include "ui/widgets/overview_grid.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

namespace attnscope {

OverviewPanel::OverviewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_grid(new OverviewGrid(context))
    , m_table(new QTableView)
    , m_metric(new QComboBox)
    , m_delegate(new MetricCellDelegate(this))
{
    setObjectName(QStringLiteral("overviewPanel"));
    m_metric->setObjectName(QStringLiteral("metricCombo"));
    for (int i = 0; i < kHeadMetricCount; ++i) {
        const auto m = static_cast<HeadMetric>(i);
        m_metric->addItem(QString::fromStdString(headMetricLabel(m)), QString::fromUtf8(headMetricId(m)));
        m_metric->setItemData(i, QString::fromStdString(headMetricDefinition(m)), Qt::ToolTipRole);
    }
    m_metric->setToolTip(tr("Score shown in the summary heatmap (definitions in docs/METRICS.md)"));
    m_table->setObjectName(QStringLiteral("metricsTable"));
    m_table->setModel(context->metricsModel());
    m_table->setItemDelegate(m_delegate);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setShowGrid(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->horizontalHeader()->setMinimumSectionSize(30);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(20);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Summary:")));
    row->addWidget(m_metric, 1);
    rl->addLayout(row);
    rl->addWidget(m_table, 1);

    m_split = new QSplitter(Qt::Horizontal, this);
    m_split->setObjectName(QStringLiteral("overviewSplitter"));
    m_split->addWidget(m_grid);
    m_split->addWidget(right);
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 2);
    m_split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_split);
    connect(m_split, &QSplitter::splitterMoved, this, [this] { m_userSized = true; });
    connect(context, &SessionContext::modelChanged, this, &OverviewPanel::fitSplitter);
    connect(context, &SessionContext::runStarted, this, &OverviewPanel::fitSplitter);

    connect(m_metric, &QComboBox::currentIndexChanged, this, [this](int i) {
        HeadMetric m;
        if (headMetricFromId(m_metric->itemData(i).toString().toStdString(), m))
            m_context->setMetric(m);
    });
    m_table->setFocusPolicy(Qt::StrongFocus);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& i) { m_context->select(i.row(), i.column()); });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& i) { emit headActivated(i.row(), i.column()); });
    connect(m_grid, &OverviewGrid::headActivated, this, &OverviewPanel::headActivated);
    connect(context, &SessionContext::selectionChanged, this, [this](int l, int h) {
        m_delegate->setSelectedCell(l, h);
        m_table->viewport()->update();
        const QModelIndex idx = m_context->metricsModel()->index(l, h);
        if (idx.isValid())
            m_table->scrollTo(idx);
        m_grid->scheduleRepaint();
    });
    connect(context, &SessionContext::viewSettingsChanged, this, [this] {
        m_delegate->setColormap(m_context->viewSettings().colormap);
        m_table->viewport()->update();
    });
    connect(context, &SessionContext::staleChanged, this, [this](bool stale) {
        m_delegate->setDimmed(stale);
        m_table->viewport()->update();
    });
    connect(context, &SessionContext::metricChanged, this, [this](HeadMetric metric) {
        const int i = m_metric->findData(QString::fromUtf8(headMetricId(metric)));
        if (i >= 0 && i != m_metric->currentIndex())
            m_metric->setCurrentIndex(i);
    });
    m_delegate->setSelectedCell(context->layer(), context->head());
}

QVector<PanelSpec> OverviewPanel::panelSpecs() const
{
    PanelSpec grid;
    grid.kind = QStringLiteral("overview");
    grid.layer = m_context->layer();
    grid.head = m_context->head();
    PanelSpec scores = grid;
    scores.kind = QStringLiteral("scores");
    scores.metric = QString::fromUtf8(headMetricId(m_context->metric()));
    return {grid, scores};
}

void OverviewPanel::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    fitSplitter();
}

void OverviewPanel::fitSplitter()
{
    if (m_userSized || !m_split)
        return;
    const int total = m_split->width() - m_split->handleWidth();
    const int heads = std::max(1, m_context->heads());
    const int table = m_table->verticalHeader()->sizeHint().width() + heads * 36 + m_table->style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 6;
    const int right = std::clamp(table, total / 4, total / 2);
    m_split->setSizes({total - right, right});
}

} // namespace attnscope
