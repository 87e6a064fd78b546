// TokenViewPanel: chips weighted by one query row, and a bar chart of its strongest keys.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/token_view_panel.h"

#include "ui/background_job.h"
#include "ui/models/token_list_model.h"
#include "ui/session_context.h"
#include "ui/widgets/token_strip.h"

#include <QBarCategoryAxis>
#include <QHorizontalBarSeries>
#include <QKeyEvent>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>
#include <optional>

namespace attnscope {

namespace {

constexpr int kMaxBars = 12;   // Qt Charts hides overlapping category labels beyond ~12 at the default height;
                               // the chips above show every key

} // namespace

TokenViewPanel::TokenViewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_query(new QSpinBox)
    , m_queryLabel(new QLabel)
    , m_headLabel(new QLabel)
    , m_meanLabel(new QLabel)
    , m_headTokens(new TokenListModel(this))
    , m_meanTokens(new TokenListModel(this))
    , m_headStrip(new TokenStrip)
    , m_meanStrip(new TokenStrip)
    , m_chart(new QChart)
    , m_chartView(new QChartView(m_chart))
{
    setObjectName(QStringLiteral("tokenViewPanel"));
    setFocusPolicy(Qt::StrongFocus);
    m_query->setObjectName(QStringLiteral("querySpin"));
    m_query->setToolTip(tr("Query token position (or click a chip)"));
    m_headStrip->setObjectName(QStringLiteral("headTokens"));
    m_meanStrip->setObjectName(QStringLiteral("meanTokens"));
    m_headStrip->setModel(m_headTokens);
    m_meanStrip->setModel(m_meanTokens);
    m_headStrip->setFocusPolicy(Qt::NoFocus);   // the panel takes the keys
    m_meanStrip->setFocusPolicy(Qt::NoFocus);
    m_chartView->setFocusPolicy(Qt::NoFocus);
    m_headStrip->chipDelegate()->setWeightRole(TokenListModel::WeightRole);
    m_meanStrip->chipDelegate()->setWeightRole(TokenListModel::WeightRole);
    m_chartView->setObjectName(QStringLiteral("tokenChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chart->legend()->setAlignment(Qt::AlignTop);
    m_chart->setMargins(QMargins(4, 4, 4, 4));

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Query token:")));
    top->addWidget(m_query);
    top->addWidget(m_queryLabel, 1);
    auto* strips = new QWidget;
    auto* sl = new QVBoxLayout(strips);
    sl->setContentsMargins(0, 0, 0, 0);
    sl->addWidget(m_headLabel);
    sl->addWidget(m_headStrip, 1);
    sl->addWidget(m_meanLabel);
    sl->addWidget(m_meanStrip, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(strips);
    split->addWidget(m_chartView);
    split->setChildrenCollapsible(false);
    m_chartView->setMinimumHeight(220);
    split->setSizes({280, 420});   // the strips wrap; the chart needs the height for its rotated labels
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_query, &QSpinBox::valueChanged, context, &SessionContext::setQuery);
    connect(m_headStrip, &TokenStrip::tokenClicked, context, &SessionContext::setQuery);
    connect(m_meanStrip, &TokenStrip::tokenClicked, context, &SessionContext::setQuery);
    connect(context, &SessionContext::runStarted, this, [this] {
        m_headTokens->setTokens(m_context->tokens());
        m_meanTokens->setTokens(m_context->tokens());
        refresh();
    });
    connect(context, &SessionContext::resultsCleared, this, [this] {
        m_headTokens->setTokens(nullptr);
        m_meanTokens->setTokens(nullptr);
        refresh();
    });
    connect(context, &SessionContext::staleChanged, this, &TokenViewPanel::refresh);
    connect(context, &SessionContext::queryChanged, this, [this](int q) {
        refresh();
        // Keep the query chip in view in both strips, whichever way it moved.
        if (q >= 0 && q < m_headTokens->rowCount()) {
            m_headStrip->scrollTo(m_headTokens->index(q));
            m_meanStrip->scrollTo(m_meanTokens->index(q));
        }
    });
    connect(context, &SessionContext::selectionChanged, this, &TokenViewPanel::refresh);
    connect(context, &SessionContext::viewSettingsChanged, this, &TokenViewPanel::refresh);
    connect(context, &SessionContext::layerReady, this, [this](int layer) {
        if (layer == m_context->layer())
            refresh();
    });
    refresh();
}

void TokenViewPanel::refresh()
{
    const TokenRowsPtr tokens = m_context->tokens();
    const int n = tokens ? static_cast<int>(tokens->size()) : 0;
    const int q = m_context->query();
    const int l = m_context->layer(), h = m_context->head();
    {
        const QSignalBlocker block(m_query);
        m_query->setRange(0, std::max(0, n - 1));
        m_query->setValue(std::max(0, q));
        m_query->setEnabled(n > 0);
    }
    if (const std::optional<AttentionMask> mask = m_context->headMask(l, h)) {
        m_headTokens->setMask(*mask);
        m_meanTokens->setMask(*mask);
    }
    m_headTokens->setSelectedPosition(q);
    m_meanTokens->setSelectedPosition(q);
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes())
        m_chart->removeAxis(a);
    m_barCount = 0;
    const ViewSettings& vs = m_context->viewSettings();
    const Colormap cmap = vs.colormap;
    for (TokenStrip* s : {m_headStrip, m_meanStrip}) {
        s->chipDelegate()->setColormap(cmap);
        s->chipDelegate()->setScale(vs.scale, vs.gamma, vs.logFloor);
        s->chipDelegate()->setDimmed(m_context->isStale());
    }
    if (n == 0 || q < 0 || q >= n) {
        m_queryLabel->setText(tr("Run the model, then pick a query token here or by clicking a chip."));
        m_headLabel->setText(QString());
        m_meanLabel->setText(QString());
        m_headTokens->clearWeights();
        m_meanTokens->clearWeights();
        return;
    }
    m_queryLabel->setText(tr("#%1 “%2”").arg(q).arg(tokens->at(q).display));
    if (!m_context->map(l, h) && m_context->isLongRun()) {
        requestLongRows();   // a long prompt: the rows are recomputed on a worker
        return;
    }
    const std::vector<AttentionMapPtr> maps = m_context->layerMaps(l);
    const AttentionMapPtr self = (h >= 0 && h < static_cast<int>(maps.size())) ? maps[static_cast<size_t>(h)] : nullptr;
    if (!self || self->tokens != n) {
        showMissing();
        return;
    }
    QVector<double> head(n, 0.0), mean(n, 0.0);
    int count = 0;
    for (const AttentionMapPtr& m : maps) {
        if (!m || m->tokens != n)
            continue;
        const float* row = m->row(q);
        for (int j = 0; j <= q; ++j)
            mean[j] += row[j];
        ++count;
    }
    const float* row = self->row(q);
    for (int j = 0; j <= q; ++j) {
        head[j] = row[j];
        mean[j] /= std::max(1, count);
    }
    showRows(std::move(head), std::move(mean), count);
}

void TokenViewPanel::showMissing()
{
    const int l = m_context->layer(), h = m_context->head();
    m_headLabel->setText(!m_context->hasSoftmaxMap(l)  ? m_context->noSoftmaxMapText(l)
                         : m_context->isCaptured(l, h) ? tr("Layer %1 is not computed yet…").arg(l)
                                                       : tr("Layer %1, head %2 was not captured in this run").arg(l).arg(h));
    m_meanLabel->setText(QString());
    m_headTokens->clearWeights();
    m_meanTokens->clearWeights();
}

void TokenViewPanel::requestLongRows()
{
    const int l = m_context->layer(), h = m_context->head(), q = m_context->query();
    if (m_jobRunning) {
        m_dirty = true;
        return;
    }
    std::vector<std::shared_ptr<const HeadTileSource>> sources;
    for (int k = 0; k < m_context->heads(); ++k)
        sources.push_back(m_context->tiles(l, k));
    if (h < 0 || h >= static_cast<int>(sources.size()) || !sources[static_cast<size_t>(h)]) {
        showMissing();
        return;
    }
    m_dirty = false;
    m_jobRunning = true;
    const quint64 gen = m_context->runGeneration();
    struct Rows {
        QVector<double> head, mean;
        int count = 0;
    };
    // One row per head of the layer, T · d multiply-adds each (docs/LONG-CONTEXT.md "Exact tiles").
    runInBackground(this, [sources = std::move(sources), h, q]() {
        Rows r;
        for (size_t k = 0; k < sources.size(); ++k) {
            if (!sources[k])
                continue;
            const std::vector<float> row = sources[k]->row(q);
            if (r.mean.isEmpty())
                r.mean.fill(0.0, static_cast<qsizetype>(row.size()));
            for (size_t j = 0; j < row.size() && j < static_cast<size_t>(r.mean.size()); ++j)
                r.mean[static_cast<qsizetype>(j)] += row[j];
            if (static_cast<int>(k) == h)
                r.head = QVector<double>(row.begin(), row.end());
            ++r.count;
        }
        for (double& v : r.mean)
            v /= std::max(1, r.count);
        return r;
    }, [this, gen, l, h, q](Rows r) {
        m_jobRunning = false;
        const bool current = gen == m_context->runGeneration() && l == m_context->layer() && h == m_context->head()
                             && q == m_context->query();
        if (current && !m_dirty && r.head.size() == m_context->tokenCount())
            showRows(std::move(r.head), std::move(r.mean), r.count);
        else
            refresh();
    });
}

void TokenViewPanel::showRows(QVector<double> head, QVector<double> mean, int count)
{
    const TokenRowsPtr tokens = m_context->tokens();
    const int q = m_context->query();
    const int l = m_context->layer(), h = m_context->head();
    const ViewSettings& vs = m_context->viewSettings();
    const Colormap cmap = vs.colormap;
    const double headMax = *std::max_element(head.begin(), head.end());
    const double meanMax = *std::max_element(mean.begin(), mean.end());
    m_headTokens->setWeights(head);
    m_meanTokens->setWeights(mean);
    m_headStrip->chipDelegate()->setWeightScale(headMax);
    m_meanStrip->chipDelegate()->setWeightScale(meanMax);
    m_headStrip->viewport()->update();
    m_meanStrip->viewport()->update();
    const QString scale = vs.scale == ScaleKind::Linear ? QString() : QStringLiteral(", %1 scale").arg(scaleId(vs.scale));
    m_headLabel->setText(tr("Layer %1, head %2 — colour = weight ÷ row max %3%4").arg(l).arg(h).arg(headMax, 0, 'g', 3).arg(scale));
    m_meanLabel->setText(tr("Layer %1, mean over %2 heads — colour = weight ÷ row max %3%4").arg(l).arg(count).arg(meanMax, 0, 'g', 3).arg(scale));

    // Bars: the strongest keys of the selected head, in text order, with the head mean beside them.
    std::vector<int> keys(static_cast<size_t>(q + 1));
    std::iota(keys.begin(), keys.end(), 0);
    const int shown = std::min<int>(kMaxBars, q + 1);
    std::partial_sort(keys.begin(), keys.begin() + shown, keys.end(), [&](int a, int b) { return head[a] > head[b]; });
    keys.resize(static_cast<size_t>(shown));
    // Horizontal bars read labels without eliding; categories run bottom-up, so reverse for text order.
    std::sort(keys.begin(), keys.end(), std::greater<int>());
    auto* headSet = new QBarSet(tr("head %1").arg(h));
    auto* meanSet = new QBarSet(tr("mean over heads"));
    headSet->setColor(QColor::fromRgb(colormapLut(cmap)[80]));
    meanSet->setColor(QColor::fromRgb(colormapLut(cmap)[200]));
    QStringList categories;
    double top = 0;
    for (int j : keys) {
        *headSet << head[j];
        *meanSet << mean[j];
        top = std::max({top, head[j], mean[j]});
        QString t = tokens->at(j).display;
        if (t.size() > 14)
            t = t.left(13) + QChar(0x2026);
        categories << QStringLiteral("#%1 %2").arg(j).arg(t);
    }
    auto* series = new QHorizontalBarSeries;
    series->append(headSet);
    series->append(meanSet);
    m_chart->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(categories);
    y->setTruncateLabels(false);   // Qt Charts elides category labels to "…" by default
    QFont labelFont = y->labelsFont();
    labelFont.setPointSizeF(std::max(6.0, labelFont.pointSizeF() - 1.5));
    y->setLabelsFont(labelFont);
    auto* x = new QValueAxis;
    x->setRange(0, top > 0 ? top * 1.05 : 1.0);
    x->setTitleText(tr("attention weight"));
    m_chart->addAxis(y, Qt::AlignLeft);
    m_chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    series->attachAxis(y);
    m_chart->setTitle(tr("Query #%1: the %2 strongest keys of head %3%4").arg(q).arg(shown).arg(h)
                          .arg(m_context->isStale() ? tr(" (stale: the previous prompt)") : QString()));
    m_barCount = shown;
}

void TokenViewPanel::keyPressEvent(QKeyEvent* event)
{
    const int n = m_context->tokenCount();
    const int q = m_context->query();
    switch (event->key()) {
    case Qt::Key_Left: m_context->setQuery(q - 1); break;
    case Qt::Key_Right: m_context->setQuery(q + 1); break;
    case Qt::Key_PageUp: m_context->setQuery(q - 10); break;
    case Qt::Key_PageDown: m_context->setQuery(q + 10); break;
    case Qt::Key_Home: m_context->setQuery(0); break;
    case Qt::Key_End: m_context->setQuery(n - 1); break;
    case Qt::Key_Up: m_context->step(-1, 0); break;
    case Qt::Key_Down: m_context->step(1, 0); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

} // namespace attnscope
