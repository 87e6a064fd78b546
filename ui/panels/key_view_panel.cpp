// KeyViewPanel: key picker, two layers × heads heatmaps of received attention, computed on a worker.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/key_view_panel.h"

#include "core/metrics/attention_received.h"
#include "ui/background_job.h"
#include "ui/models/received_attention_model.h"
#include "ui/models/token_list_model.h"
#include "ui/session_context.h"
#include "ui/widgets/metric_cell_delegate.h"
#include "ui/widgets/token_strip.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace attnscope {

namespace {

struct ReceivedValues {
    std::vector<double> received, fromQuery;
};

/// A long prompt's head (no stored map): the key's column recomputed over the rows that may see it
/// (core/metrics/attention_received.h's definitions: the mean over valid rows i > key, and the query's cell).
std::pair<double, double> receivedFromTiles(const HeadTileSource& src, const CapturedSeries& lse, int64_t key, int64_t q)
{
    const int64_t T = src.tokens();
    const AttentionMask& mask = src.mask();
    const double nan = std::nan("");
    if (key < 0 || key >= T)
        return {nan, nan};
    auto rowValid = [&](int64_t i) { return !std::isinf(lse.values[static_cast<size_t>(i)]); };
    int64_t lo = mask.isCausal() ? key : 0, hi = T;
    if (mask.kind == MaskKind::Sliding && mask.isCausal())
        hi = std::min(T, key + mask.window);
    lo = std::min(lo, q >= 0 ? std::max<int64_t>(0, q) : lo);
    hi = std::max(hi, q >= 0 ? std::min(T, q + 1) : hi);
    std::vector<float> column(static_cast<size_t>(std::max<int64_t>(hi - lo, 0)));
    src.tile(lo, hi, key, key + 1, column.data());
    double sum = 0;
    int64_t rows = 0;
    for (int64_t i = std::max(lo, key + 1); i < hi; ++i) {
        if (!rowValid(i) || !mask.valid(i, key))
            continue;
        sum += column[static_cast<size_t>(i - lo)];
        ++rows;
    }
    const double from = q >= lo && q < hi && rowValid(q) && mask.valid(q, key) ? column[static_cast<size_t>(q - lo)] : nan;
    return {rows ? sum / static_cast<double>(rows) : nan, from};
}

} // namespace

KeyViewPanel::KeyViewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_key(new QSpinBox)
    , m_keyLabel(new QLabel)
    , m_receivedLabel(new QLabel)
    , m_fromQueryLabel(new QLabel)
    , m_tokens(new TokenListModel(this))
    , m_strip(new TokenStrip)
    , m_received(new ReceivedAttentionModel(this))
    , m_fromQuery(new ReceivedAttentionModel(this))
    , m_receivedDelegate(new MetricCellDelegate(this))
    , m_fromQueryDelegate(new MetricCellDelegate(this))
{
    setObjectName(QStringLiteral("keyViewPanel"));
    setFocusPolicy(Qt::StrongFocus);
    m_key->setObjectName(QStringLiteral("keySpin"));
    m_key->setToolTip(tr("Key token position (or click a chip)"));
    m_strip->setObjectName(QStringLiteral("keyTokens"));
    m_tokens->setMasksLaterTokens(false);
    m_strip->setModel(m_tokens);
    m_strip->setFocusPolicy(Qt::NoFocus);
    m_strip->setMaximumHeight(110);
    m_receivedTable = makeTable(m_received, m_receivedDelegate);
    m_receivedTable->setObjectName(QStringLiteral("receivedTable"));
    m_fromQueryTable = makeTable(m_fromQuery, m_fromQueryDelegate);
    m_fromQueryTable->setObjectName(QStringLiteral("fromQueryTable"));
    for (QLabel* l : {m_receivedLabel, m_fromQueryLabel})
        l->setWordWrap(true);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Key token:")));
    top->addWidget(m_key);
    top->addWidget(m_keyLabel, 1);
    auto* tables = new QGridLayout;
    tables->addWidget(m_receivedLabel, 0, 0);
    tables->addWidget(m_fromQueryLabel, 0, 1);
    tables->addWidget(m_receivedTable, 1, 0);
    tables->addWidget(m_fromQueryTable, 1, 1);
    tables->setRowStretch(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_strip);
    layout->addLayout(tables, 1);

    connect(m_key, &QSpinBox::valueChanged, context, &SessionContext::setKey);
    connect(m_strip, &TokenStrip::tokenClicked, context, &SessionContext::setKey);
    for (QTableView* t : {m_receivedTable, m_fromQueryTable}) {
        connect(t, &QTableView::clicked, this, [this](const QModelIndex& i) { m_context->select(i.row(), i.column()); });
        connect(t, &QTableView::doubleClicked, this, [this](const QModelIndex& i) { emit headActivated(i.row(), i.column()); });
    }
    connect(context, &SessionContext::runStarted, this, [this] {
        m_tokens->setTokens(m_context->tokens());
        refresh();
    });
    connect(context, &SessionContext::resultsCleared, this, [this] {
        m_tokens->setTokens(nullptr);
        refresh();
    });
    connect(context, &SessionContext::keyChanged, this, &KeyViewPanel::refresh);
    connect(context, &SessionContext::queryChanged, this, &KeyViewPanel::refresh);
    connect(context, &SessionContext::layerReady, this, &KeyViewPanel::refresh);
    connect(context, &SessionContext::staleChanged, this, &KeyViewPanel::refresh);
    connect(context, &SessionContext::selectionChanged, this, [this](int l, int h) {
        for (MetricCellDelegate* d : {m_receivedDelegate, m_fromQueryDelegate})
            d->setSelectedCell(l, h);
        m_receivedTable->viewport()->update();
        m_fromQueryTable->viewport()->update();
        const QModelIndex idx = m_received->index(l, h);
        if (idx.isValid()) {
            m_receivedTable->scrollTo(idx);
            m_fromQueryTable->scrollTo(m_fromQuery->index(l, h));
        }
    });
    connect(context, &SessionContext::viewSettingsChanged, this, [this] {
        for (MetricCellDelegate* d : {m_receivedDelegate, m_fromQueryDelegate})
            d->setColormap(m_context->viewSettings().colormap);
        m_receivedTable->viewport()->update();
        m_fromQueryTable->viewport()->update();
    });
    refresh();
}

QTableView* KeyViewPanel::makeTable(ReceivedAttentionModel* model, MetricCellDelegate* delegate)
{
    auto* t = new QTableView;
    t->setModel(model);
    t->setItemDelegate(delegate);
    t->setSelectionMode(QAbstractItemView::NoSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setShowGrid(false);
    t->setFocusPolicy(Qt::NoFocus);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    t->horizontalHeader()->setMinimumSectionSize(30);
    t->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    t->verticalHeader()->setDefaultSectionSize(20);
    return t;
}

void KeyViewPanel::refresh()
{
    const TokenRowsPtr tokens = m_context->tokens();
    const int n = tokens ? static_cast<int>(tokens->size()) : 0;
    const int key = m_context->key(), q = m_context->query();
    {
        const QSignalBlocker block(m_key);
        m_key->setRange(0, std::max(0, n - 1));
        m_key->setValue(std::max(0, key));
        m_key->setEnabled(n > 0);
    }
    m_tokens->setSelectedPosition(key);
    if (key >= 0 && key < n)
        m_strip->scrollTo(m_tokens->index(key));
    const bool stale = m_context->isStale();
    for (MetricCellDelegate* d : {m_receivedDelegate, m_fromQueryDelegate})
        d->setDimmed(stale);
    if (n == 0 || key < 0 || key >= n) {
        m_keyLabel->setText(tr("Run the model, then pick the key token whose received attention you want to see."));
        m_receivedLabel->clear();
        m_fromQueryLabel->clear();
        m_received->setValues(m_context->layers(), m_context->heads(), m_context->groupSize(), {}, QString());
        m_fromQuery->setValues(m_context->layers(), m_context->heads(), m_context->groupSize(), {}, QString());
        return;
    }
    m_keyLabel->setText(tr("#%1 “%2” — who attends to it, per layer and head").arg(key).arg(tokens->at(key).display));
    m_receivedLabel->setText(n - 1 - key > 0 ? tr("Mean attention it receives from the %1 queries after it").arg(n - 1 - key)
                                             : tr("No query comes after the last token"));
    m_fromQueryLabel->setText(q >= 0 && q < n ? tr("From the query #%1 “%2”%3").arg(q).arg(tokens->at(q).display)
                                                    .arg(q < key ? tr(" (cannot see it)") : QString())
                                              : QString());
    if (m_jobRunning) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    m_jobRunning = true;
    const int layers = m_context->layers(), heads = m_context->heads();
    std::vector<AttentionMapPtr> maps;
    std::vector<std::shared_ptr<const HeadTileSource>> tiles;   // long prompts: columns recomputed
    std::vector<CapturedSeriesPtr> normalisers;
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) {
            maps.push_back(m_context->map(l, h));
            const bool recompute = !maps.back() && m_context->isLongRun();
            tiles.push_back(recompute ? m_context->tiles(l, h) : nullptr);
            normalisers.push_back(recompute ? m_context->series(Quantity::RowLogSumExp, l, h) : nullptr);
        }
    const quint64 gen = m_context->runGeneration();
    runInBackground(this, [maps = std::move(maps), tiles = std::move(tiles), normalisers = std::move(normalisers), key, q]() {
        ReceivedValues v;
        for (size_t k = 0; k < maps.size(); ++k) {
            const AttentionMapPtr& m = maps[k];
            if (!m && tiles[k] && normalisers[k]) {
                const auto [received, from] = receivedFromTiles(*tiles[k], *normalisers[k], key, q);
                v.received.push_back(received);
                v.fromQuery.push_back(from);
                continue;
            }
            v.received.push_back(m ? attentionReceived(*m, key) : std::nan(""));
            v.fromQuery.push_back(m ? attentionFromQuery(*m, q, key) : std::nan(""));
        }
        return v;
    }, [this, gen, key, q, layers, heads](ReceivedValues v) {
        m_jobRunning = false;
        if (gen == m_context->runGeneration() && layers == m_context->layers() && heads == m_context->heads()) {
            m_received->setValues(layers, heads, m_context->groupSize(), std::move(v.received),
                                  tr("mean attention to key #%1 from later queries").arg(key));
            m_fromQuery->setValues(layers, heads, m_context->groupSize(), std::move(v.fromQuery),
                                   tr("attention from query #%1 to key #%2").arg(q).arg(key));
        }
        if (m_dirty || key != m_context->key() || q != m_context->query())
            refresh();
    });
}

void KeyViewPanel::keyPressEvent(QKeyEvent* event)
{
    const int n = m_context->tokenCount();
    const int k = m_context->key();
    switch (event->key()) {
    case Qt::Key_Left: m_context->setKey(k - 1); break;
    case Qt::Key_Right: m_context->setKey(k + 1); break;
    case Qt::Key_PageUp: m_context->setKey(k - 10); break;
    case Qt::Key_PageDown: m_context->setKey(k + 10); break;
    case Qt::Key_Home: m_context->setKey(0); break;
    case Qt::Key_End: m_context->setKey(n - 1); break;
    case Qt::Key_Up: m_context->step(-1, 0); break;
    case Qt::Key_Down: m_context->step(1, 0); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

} // namespace attnscope
