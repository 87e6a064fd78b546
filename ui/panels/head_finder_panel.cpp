// HeadFinderPanel: ranking controls over a HeadRankingModel table, synchronised with the context's selection.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/head_finder_panel.h"

#include "ui/models/head_ranking_model.h"
#include "ui/session_context.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace attnscope {

HeadFinderPanel::HeadFinderPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_model(new HeadRankingModel(this))
    , m_table(new QTableView)
    , m_score(new QComboBox)
    , m_order(new QComboBox)
    , m_info(new QLabel)
{
    setObjectName(QStringLiteral("headFinderPanel"));
    m_score->setObjectName(QStringLiteral("finderScoreCombo"));
    for (int i = 0; i < kHeadMetricCount; ++i) {
        const auto m = static_cast<HeadMetric>(i);
        m_score->addItem(QString::fromStdString(headMetricLabel(m)), QString::fromUtf8(headMetricId(m)));
        m_score->setItemData(i, QString::fromStdString(headMetricDefinition(m)), Qt::ToolTipRole);
    }
    m_order->setObjectName(QStringLiteral("finderOrderCombo"));
    m_order->addItem(tr("highest first"));
    m_order->addItem(tr("lowest first"));
    m_info->setObjectName(QStringLiteral("finderInfo"));
    m_table->setObjectName(QStringLiteral("finderTable"));
    m_table->setModel(m_model);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->setAutoScroll(false);   // showSelection() scrolls, only when the selected row is out of view
    // The controls above say which score ranks the table and in which order; the header's sort arrow would
    // only crowd the labels.
    m_table->horizontalHeader()->setSortIndicatorShown(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    // Narrow fixed columns for the small integers, so the score columns get the room their labels need.
    m_table->horizontalHeader()->setMinimumSectionSize(30);
    const int narrow = m_table->fontMetrics().horizontalAdvance(QStringLiteral("layer")) + 14;
    for (int c = 0; c < HeadRankingModel::FirstScoreColumn; ++c) {
        m_table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::Fixed);
        m_table->horizontalHeader()->resizeSection(c, narrow);
    }
    m_table->installEventFilter(this);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Rank all heads by:")));
    top->addWidget(m_score, 1);
    top->addWidget(m_order);
    top->addWidget(m_info, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);

    auto fromControls = [this] {
        if (!m_syncing)
            rankBy(static_cast<HeadMetric>(m_score->currentIndex()), m_order->currentIndex() == 1);
    };
    connect(m_score, &QComboBox::currentIndexChanged, this, fromControls);
    connect(m_order, &QComboBox::currentIndexChanged, this, fromControls);
    // A header click re-sorts through the model (core's ranking); mirror it in the controls.
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this](int column, Qt::SortOrder) {
        m_syncing = true;
        if (column >= HeadRankingModel::FirstScoreColumn)
            m_score->setCurrentIndex(column - HeadRankingModel::FirstScoreColumn);
        m_order->setCurrentIndex(m_model->ascending() ? 1 : 0);
        m_syncing = false;
        showSelection();
    });
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& i) {
        m_context->select(i.data(HeadRankingModel::LayerRole).toInt(), i.data(HeadRankingModel::HeadRole).toInt());
    });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& i) {
        emit headActivated(i.data(HeadRankingModel::LayerRole).toInt(), i.data(HeadRankingModel::HeadRole).toInt());
    });
    connect(context, &SessionContext::metricsChanged, this, [this] { refresh(); });
    connect(context, &SessionContext::runStarted, this, [this] { refresh(); });
    connect(context, &SessionContext::resultsCleared, this, [this] { refresh(); });
    connect(context, &SessionContext::selectionChanged, this, &HeadFinderPanel::showSelection);
    connect(context, &SessionContext::viewChanged, this, [this](ViewKind v) {
        if (v == ViewKind::Finder)
            QMetaObject::invokeMethod(this, &HeadFinderPanel::showSelection, Qt::QueuedConnection);
    });
    rankBy(HeadMetric::Induction);
}

void HeadFinderPanel::rankBy(HeadMetric metric, bool ascending)
{
    m_table->sortByColumn(HeadRankingModel::columnOf(metric), ascending ? Qt::AscendingOrder : Qt::DescendingOrder);
}

double HeadFinderPanel::refresh()
{
    QElapsedTimer t;
    t.start();
    m_model->setTable(m_context->metricsTable(), m_context->groupSize());
    const int n = m_model->rowCount();
    int have = 0;
    for (const RankedHead& r : m_model->ranking())
        have += m_context->metricsTable().has(r.layer, r.head) ? 1 : 0;
    m_info->setText(n == 0 ? tr("Run the model to rank its heads")
                           : tr("%1 of %2 heads scored · click: select · double-click: open").arg(have).arg(n));
    showSelection();
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

void HeadFinderPanel::showSelection()
{
    const int row = m_model->rowOf(m_context->layer(), m_context->head());
    if (row < 0)
        return;
    const QModelIndex idx = m_model->index(row, HeadRankingModel::columnOf(m_model->rankMetric()));
    if (m_table->currentIndex().row() != row)
        m_table->setCurrentIndex(idx);   // selects the row (SelectRows) without emitting clicked
    // Leave the scroll alone when the row is already in view; otherwise centre it (so a head near the top of
    // the ranking does not hide the rows above it).
    if (!m_table->isVisible())
        return;   // scrolled when the finder is shown (a hidden table has no real height to scroll in)
    if (!m_table->viewport()->rect().contains(m_table->visualRect(idx)))
        m_table->scrollTo(idx, QAbstractItemView::PositionAtCenter);
}

bool HeadFinderPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_table && event->type() == QEvent::KeyPress) {
        auto* k = static_cast<QKeyEvent*>(event);
        if (k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter) {
            emit headActivated(m_context->layer(), m_context->head());
            return true;
        }
        if (k->key() == Qt::Key_Up || k->key() == Qt::Key_Down || k->key() == Qt::Key_PageUp || k->key() == Qt::Key_PageDown
            || k->key() == Qt::Key_Home || k->key() == Qt::Key_End) {
            // Let the table move its current row, then select that head.
            const bool handled = QWidget::eventFilter(watched, event);
            QMetaObject::invokeMethod(this, [this] {
                const QModelIndex i = m_table->currentIndex();
                if (i.isValid())
                    m_context->select(i.data(HeadRankingModel::LayerRole).toInt(), i.data(HeadRankingModel::HeadRole).toInt());
            }, Qt::QueuedConnection);
            return handled;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace attnscope
