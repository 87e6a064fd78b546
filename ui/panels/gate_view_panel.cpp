// GateViewPanel: the gate heatmaps, histogram, norms and query-linked charts over the run's captured series.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/gate_view_panel.h"

#include "ui/render/colormap.h"
#include "ui/session_context.h"
#include "ui/widgets/gate_grid_plot.h"
#include "ui/widgets/gate_histogram_chart.h"
#include "ui/widgets/small_bar_chart.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace attnscope {

namespace {

constexpr int kBins = 20;

QString percent(double share)
{
    return QStringLiteral("%1 %").arg(100.0 * share, 0, 'f', share < 0.1 ? 1 : 0);
}

QString quantityName(Quantity q)
{
    switch (q) {
    case Quantity::DeltaBeta: return QObject::tr("write strength β = σ(b)");
    case Quantity::DeltaDecay: return QObject::tr("state decay exp(g)");
    case Quantity::DeltaOutputGate: return QObject::tr("output gate SiLU(z)");
    default: return QObject::tr("output gate σ(xW)");
    }
}

QColor lutColour(int index)
{
    return QColor::fromRgb(colormapLut(Colormap::Viridis)[static_cast<size_t>(std::clamp(index, 0, 255))]);
}

} // namespace

GateViewPanel::GateViewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_pages(new QStackedWidget)
    , m_message(new QLabel)
    , m_layerLabel(new QLabel)
    , m_source(new QComboBox)
    , m_sourceLabel(new QLabel(tr("Show:")))
    , m_heads(new GateGridPlot)
    , m_dims(new GateGridPlot)
    , m_histogram(new GateHistogramChart)
    , m_stats(new QLabel)
    , m_norms(new SmallBarChart)
    , m_normsText(new QLabel)
    , m_row(new SmallBarChart)
    , m_atQuery(new SmallBarChart)
{
    setObjectName(QStringLiteral("gateViewPanel"));
    setFocusPolicy(Qt::StrongFocus);
    m_heads->setObjectName(QStringLiteral("gateHeadsPlot"));
    m_dims->setObjectName(QStringLiteral("gateDimsPlot"));
    m_norms->setObjectName(QStringLiteral("gateNormsChart"));
    m_row->setObjectName(QStringLiteral("gateRowChart"));
    m_atQuery->setObjectName(QStringLiteral("gateAtQueryChart"));
    m_source->setObjectName(QStringLiteral("gateSource"));
    m_message->setObjectName(QStringLiteral("gateMessage"));
    m_stats->setObjectName(QStringLiteral("gateStats"));
    m_normsText->setObjectName(QStringLiteral("gateNormsText"));
    for (QWidget* w : std::initializer_list<QWidget*>{m_heads, m_dims, m_histogram, m_norms, m_row, m_atQuery})
        w->setFocusPolicy(Qt::NoFocus);
    m_source->setFocusPolicy(Qt::NoFocus);
    m_source->addItem(quantityName(Quantity::DeltaBeta), static_cast<int>(Quantity::DeltaBeta));
    m_source->addItem(quantityName(Quantity::DeltaDecay), static_cast<int>(Quantity::DeltaDecay));
    m_source->addItem(quantityName(Quantity::DeltaOutputGate), static_cast<int>(Quantity::DeltaOutputGate));
    m_source->setToolTip(tr("What to show for a Gated DeltaNet layer"));
    for (QLabel* l : {m_message, m_stats, m_normsText, m_layerLabel}) {
        l->setWordWrap(true);
        l->setTextFormat(Qt::PlainText);
    }
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setMargin(24);
    m_heads->setMinimumHeight(150);
    m_dims->setMinimumHeight(150);
    for (QWidget* w : std::initializer_list<QWidget*>{m_histogram, m_norms, m_row, m_atQuery})
        w->setMinimumHeight(170);

    // Left: the heatmaps and the selected query's map row; right: histogram, norms, heads at the query.
    auto* left = new QSplitter(Qt::Vertical);
    m_left = left;
    left->addWidget(m_heads);
    left->addWidget(m_dims);
    left->addWidget(m_row);
    left->setChildrenCollapsible(false);
    auto* histBox = new QWidget;
    auto* hl = new QVBoxLayout(histBox);
    hl->setContentsMargins(0, 0, 0, 0);
    hl->addWidget(m_histogram, 1);
    hl->addWidget(m_stats);
    auto* normBox = new QWidget;
    auto* nl = new QVBoxLayout(normBox);
    nl->setContentsMargins(0, 0, 0, 0);
    nl->addWidget(m_norms, 1);
    nl->addWidget(m_normsText);
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(histBox);
    right->addWidget(normBox);
    right->addWidget(m_atQuery);
    right->setChildrenCollapsible(false);
    right->setStretchFactor(0, 4);
    right->setStretchFactor(1, 3);
    right->setStretchFactor(2, 3);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(right);
    split->setChildrenCollapsible(false);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* content = new QWidget;
    auto* cl = new QVBoxLayout(content);
    cl->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(m_layerLabel, 1);
    top->addWidget(m_sourceLabel);
    top->addWidget(m_source);
    cl->addLayout(top);
    cl->addWidget(split, 1);
    m_pages->addWidget(m_message);
    m_pages->addWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_pages);

    connect(m_source, &QComboBox::currentIndexChanged, this, &GateViewPanel::refresh);
    connect(m_heads, &GateGridPlot::cellClicked, this, [this](int row, int token) {
        const int l = m_context->layer();
        if (m_context->hasSoftmaxMap(l))
            m_context->select(l, row);
        else
            m_valueHead = row;
        m_context->setQuery(token);
        refresh();
    });
    connect(m_dims, &GateGridPlot::cellClicked, this, [this](int, int token) { m_context->setQuery(token); });
    for (auto signal : {&SessionContext::runStarted, &SessionContext::resultsCleared, &SessionContext::modelChanged})
        connect(context, signal, this, &GateViewPanel::refresh);
    connect(context, &SessionContext::runEnded, this, &GateViewPanel::refresh);
    connect(context, &SessionContext::staleChanged, this, &GateViewPanel::refresh);
    connect(context, &SessionContext::selectionChanged, this, &GateViewPanel::refresh);
    connect(context, &SessionContext::queryChanged, this, &GateViewPanel::refresh);
    connect(context, &SessionContext::layerReady, this, [this](int layer) {
        if (layer == m_context->layer() || !m_context->isRunning())
            refresh();
    });
    refresh();
}

QString GateViewPanel::emptyReason() const
{
    return m_pages->currentWidget() == m_message ? m_message->text() : QString();
}

Quantity GateViewPanel::shownQuantity() const
{
    if (m_context->hasSoftmaxMap(m_context->layer()))
        return Quantity::Gate;
    return static_cast<Quantity>(m_source->currentData().toInt());
}

void GateViewPanel::showMessage(const QString& text)
{
    m_message->setText(text);
    m_pages->setCurrentWidget(m_message);
}

std::vector<CapturedSeriesPtr> GateViewPanel::layerSeries(Quantity q, int layer, int rows) const
{
    std::vector<CapturedSeriesPtr> out;
    for (int h = 0; h < rows; ++h)
        if (CapturedSeriesPtr s = m_context->series(q, layer, h))
            out.push_back(std::move(s));
    return out;
}

GateHistogram GateViewPanel::emptyHistogram(Quantity q) const
{
    // SiLU(z) is signed and unbounded above: its bins span the model's range; every other gate lives in [0, 1].
    if (q == Quantity::DeltaOutputGate && m_model.histogram && m_model.quantity == q)
        return GateHistogram(kBins, m_model.lo, m_model.hi);
    return GateHistogram(kBins);
}

const GateHistogram& GateViewPanel::modelHistogram(Quantity q)
{
    const quint64 gen = m_context->runGeneration();
    const int ready = m_context->layersReady();
    if (m_model.histogram && m_model.generation == gen && m_model.layersReady == ready && m_model.quantity == q)
        return *m_model.histogram;
    const int layers = m_context->layers();
    double lo = 0, hi = 1;
    if (q == Quantity::DeltaOutputGate) {
        lo = -0.3;   // SiLU's minimum is −0.278
        hi = 0.0;
        for (const auto& [key, s] : m_context->captures().allSeries())
            if (key.quantity == q)
                for (float v : s->values)
                    if (std::isfinite(v))
                        hi = std::max(hi, static_cast<double>(v));
        hi = std::max(hi, lo + 1e-3);
    }
    auto h = std::make_shared<GateHistogram>(kBins, lo, hi);
    for (const auto& [key, s] : m_context->captures().allSeries())
        if (key.quantity == q && key.layer >= 0 && key.layer < layers)
            h->add(*s);
    m_model = {gen, ready, q, lo, hi, std::move(h)};
    return *m_model.histogram;
}

void GateViewPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_dirty)
        refresh();
}

void GateViewPanel::refresh()
{
    // Charts are rebuilt on every change of head, query or layer: only while the tab is on screen.
    if (!isVisible()) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    const OpenedModelPtr model = m_context->model();
    if (!model || !model->model) {
        showMessage(tr("Open a model and run it to see its gates."));
        return;
    }
    const ModelConfig& cfg = model->model->config();
    const bool gated = cfg.outputGate != OutputGate::None;
    const bool delta = cfg.anyLayer(TokenMixer::GatedDeltaNet);
    if (!gated && !delta) {
        showMessage(tr("%1 has no gates: each head's attention output goes to the output projection unchanged, so "
                       "there is nothing to show here.\n\nThe Gates view shows the sigmoid output gate of the Gated "
                       "Attention paper's models (Qwen3 with headwise_attn_output_gate or "
                       "elementwise_attn_output_gate) and of Qwen3-Next, and the β, decay and output gate of "
                       "Qwen3-Next's Gated DeltaNet layers.")
                        .arg(QString::fromStdString(cfg.architecture)));
        return;
    }
    if (!m_context->tokens()) {
        showMessage(tr("Run the model (Ctrl+Enter) to see its gates."));
        return;
    }
    m_pages->setCurrentIndex(1);
    const int l = m_context->layer();
    const bool softmax = m_context->hasSoftmaxMap(l);
    m_source->setVisible(!softmax);
    m_sourceLabel->setVisible(!softmax);
    if (softmax && !gated) {
        m_layerLabel->setText(tr("Layer %1 is a softmax layer without an output gate.").arg(l));
        m_heads->clearGrid(tr("Layer %1 has no output gate").arg(l));
        setLeftLayout(false, false);
        m_histogram->clearHistograms(QString());
        m_stats->clear();
        m_norms->clearBars(QString());
        m_normsText->clear();
        m_row->clearBars(QString());
        m_atQuery->clearBars(QString());
        return;
    }
    if (!m_context->hasLayer(l)) {
        m_layerLabel->setText(tr("Layer %1 is not computed yet…").arg(l));
        m_heads->clearGrid(tr("Layer %1 is not computed yet…").arg(l));
        setLeftLayout(false, false);
        return;
    }
    if (softmax)
        refreshSoftmaxLayer(l);
    else
        refreshDeltaLayer(l);
}

void GateViewPanel::refreshHistogram(int layer, Quantity q, int rows)
{
    const GateHistogram& whole = modelHistogram(q);
    GateHistogram h = emptyHistogram(q);
    for (const CapturedSeriesPtr& s : layerSeries(q, layer, rows))
        h.add(*s);
    const bool bounded = q != Quantity::DeltaOutputGate;
    m_histogram->setHistograms(h, &whole, tr("layer %1").arg(layer), quantityName(q), bounded);
    auto line = [&](const GateHistogram& x, const QString& who) {
        QString t = tr("%1: mean %2").arg(who).arg(x.mean(), 0, 'f', 3);
        if (bounded)
            t += tr(" · below 0.5: %1 · below 0.1: %2 · below 0.01: %3")
                     .arg(percent(x.fractionBelow(0)), percent(x.fractionBelow(1)), percent(x.fractionBelow(2)));
        return t + tr(" (%1 values)").arg(x.total);
    };
    m_stats->setText(line(h, tr("Layer %1").arg(layer)) + QLatin1Char('\n') + line(whole, tr("Whole model")));
}

void GateViewPanel::refreshSoftmaxLayer(int l)
{
    const ModelConfig& cfg = m_context->model()->model->config();
    const int H = m_context->heads(), h = m_context->head(), q = m_context->query();
    const TokenRowsPtr tokens = m_context->tokens();
    const QString stale = m_context->isStale() ? tr(" (stale: the previous prompt)") : QString();
    const std::vector<CapturedSeriesPtr> gates = layerSeries(Quantity::Gate, l, H);
    const bool elementwise = cfg.outputGate == OutputGate::Elementwise;
    m_layerLabel->setText(tr("Layer %1 · %2 output gate σ(xW) on each head's attention output (%3) — click a cell to "
                             "pick the head and the query")
                              .arg(l).arg(QString::fromLatin1(outputGateName(cfg.outputGate)))
                              .arg(QString::fromLatin1(gateLayoutName(cfg.gateLayout))));
    QStringList rowLabels;
    for (int r = 0; r < H; ++r)
        rowLabels << tr("head %1").arg(r);
    if (gates.empty()) {
        m_heads->clearGrid(tr("Layer %1: no gate values were captured for these heads").arg(l));
    } else {
        const GateGrid grid = gateGrid(gates, H);
        m_heads->setGrid(grid, rowLabels, tokens, QCPRange(0, 1), false,
                         (elementwise ? tr("Layer %1 · gate per head and token (mean over its %2 dims)%3").arg(l).arg(cfg.headDim)
                                      : tr("Layer %1 · gate per head and token%3").arg(l))
                             .arg(stale),
                         tr("gate σ(xW)"), elementwise ? tr("mean gate") : tr("gate"));
        m_heads->setMarks(h, q);
    }
    CapturedSeriesPtr own = m_context->series(Quantity::Gate, l, h);
    if (elementwise && own) {
        const GateGrid dims = gateDims(*own);
        QStringList dimLabels;
        for (int j = 0; j < dims.heads; ++j)
            dimLabels << QString::number(j);
        m_dims->setGrid(dims, dimLabels, tokens, QCPRange(0, 1), false,
                        tr("Head %1: each of its %2 dims%3").arg(h).arg(dims.heads).arg(stale), tr("gate σ(xW)"), tr("gate"));
        m_dims->setMarks(-1, q);
        setLeftLayout(true, true);
    } else {
        setLeftLayout(false, true);
    }
    refreshHistogram(l, Quantity::Gate, H);

    // Norms before and after the gate.
    std::vector<CapturedSeriesPtr> normSeries = layerSeries(Quantity::AttnOutNormPre, l, H);
    for (CapturedSeriesPtr& s : layerSeries(Quantity::AttnOutNormPost, l, H))
        normSeries.push_back(std::move(s));
    const GateNorms n = gateNorms(normSeries, H);
    if (n.outputs == 0) {
        m_norms->clearBars(tr("No output norms were captured"));
        m_normsText->clear();
    } else {
        m_norms->setBars(rowLabels, {{tr("before the gate"), n.beforePerHead, lutColour(200)},
                                     {tr("after the gate"), n.afterPerHead, lutColour(60)}},
                         tr("Layer %1: mean |attention output| per head").arg(l), tr("L2 norm"));
        m_normsText->setText(tr("Mean |output| %1 before the gate, %2 after: the gate removes %3 of the output norm; "
                                "%4 of the head outputs keep less than a tenth (suppressed).")
                                 .arg(n.before, 0, 'g', 3).arg(n.after, 0, 'g', 3)
                                 .arg(percent(n.removedShare), percent(n.suppressedShare)));
    }

    // Linked to the maps: the query's row of the head's map, and every head at this query.
    const int T = m_context->tokenCount();
    if (q < 0 || q >= T) {
        m_row->clearBars(tr("Pick a query token (click a column) to see its row of the map"));
        m_atQuery->clearBars(QString());
        return;
    }
    auto gateAt = [&](int head) {
        CapturedSeriesPtr s = m_context->series(Quantity::Gate, l, head);
        if (!s || s->shape.empty() || q >= s->shape[0])
            return std::nan("");
        const int64_t w = s->shape.size() > 1 ? s->shape[1] : 1;
        double sum = 0;
        for (int64_t j = 0; j < w; ++j)
            sum += s->values[static_cast<size_t>(q * w + j)];
        return sum / double(w);
    };
    const QString tok = tokens ? tokens->at(q).display : QString();
    if (AttentionMapPtr map = m_context->map(l, h)) {
        QStringList keys;
        std::vector<double> row;
        for (int j = 0; j <= q && j < map->tokens; ++j) {
            keys << QStringLiteral("%1 %2").arg(j).arg(tokens ? tokens->at(j).display : QString());
            row.push_back(map->isMasked(q, j) ? std::nan("") : map->at(q, j));
        }
        m_row->setBars(keys, {{tr("attention weight"), row, lutColour(120)}},
                       tr("Query #%1 “%2”, head %3: gate %4%5 · attention to token 0: %6")
                           .arg(q).arg(tok).arg(h).arg(gateAt(h), 0, 'f', 3)
                           .arg(elementwise ? tr(" (mean of %1 dims)").arg(cfg.headDim) : QString())
                           .arg(map->isMasked(q, 0) ? 0.0 : map->at(q, 0), 0, 'f', 3),
                       tr("weight"));
    } else {
        m_row->clearBars(tr("Head %1's map was not captured in this run").arg(h));
    }
    std::vector<double> sink(static_cast<size_t>(H), std::nan("")), gate(static_cast<size_t>(H), std::nan(""));
    for (int r = 0; r < H; ++r) {
        if (AttentionMapPtr m = m_context->map(l, r); m && q < m->tokens && !m->isMasked(q, 0))
            sink[static_cast<size_t>(r)] = m->at(q, 0);
        gate[static_cast<size_t>(r)] = gateAt(r);
    }
    m_atQuery->setBars(rowLabels, {{tr("attention to token 0"), sink, lutColour(200)}, {tr("gate"), gate, lutColour(60)}},
                       tr("Query #%1 “%2”: each head's attention to token 0 and its gate").arg(q).arg(tok), QString(), 1.0);
}

void GateViewPanel::refreshDeltaLayer(int l)
{
    const DeltaNetDims& dn = m_context->model()->model->config().deltaNet;
    const int Hv = dn.valueHeads, q = m_context->query();
    m_valueHead = std::clamp(m_valueHead, 0, std::max(Hv - 1, 0));
    const Quantity which = shownQuantity();
    const TokenRowsPtr tokens = m_context->tokens();
    const QString stale = m_context->isStale() ? tr(" (stale: the previous prompt)") : QString();
    m_layerLabel->setText(tr("Layer %1 is a Gated DeltaNet layer (linear attention): no softmax map. Per value head "
                             "and token: β (how strongly the token writes the state), the decay exp(g) (the share of "
                             "the state kept) and the output gate SiLU(z).").arg(l));
    QStringList rowLabels, shortLabels;   // the charts' categories need the short form at 1280 px
    for (int r = 0; r < Hv; ++r) {
        rowLabels << tr("value head %1").arg(r);
        shortLabels << tr("v%1").arg(r);
    }
    const std::vector<CapturedSeriesPtr> series = layerSeries(which, l, Hv);
    const bool signedData = which == Quantity::DeltaOutputGate;
    modelHistogram(which);   // fixes the signed range of SiLU(z)
    const QCPRange range = signedData ? QCPRange(-std::max(std::fabs(m_model.lo), m_model.hi), std::max(std::fabs(m_model.lo), m_model.hi))
                                      : QCPRange(0, 1);
    if (series.empty()) {
        m_heads->clearGrid(tr("Layer %1: nothing was captured for these value heads").arg(l));
    } else {
        const GateGrid grid = gateGrid(series, Hv, which);
        m_heads->setGrid(grid, rowLabels, tokens, range, signedData,
                         (grid.elementwise ? tr("Layer %1 · %2 per value head and token (mean over %3 dims)%4").arg(l).arg(quantityName(which)).arg(dn.valueDim).arg(stale)
                                           : tr("Layer %1 · %2 per value head and token%3").arg(l).arg(quantityName(which)).arg(stale)),
                         quantityName(which), quantityName(which));
        m_heads->setMarks(m_valueHead, q);
    }
    CapturedSeriesPtr own = m_context->series(which, l, m_valueHead);
    if (own && own->shape.size() > 1) {
        const GateGrid dims = gateDims(*own);
        QStringList dimLabels;
        for (int j = 0; j < dims.heads; ++j)
            dimLabels << QString::number(j);
        m_dims->setGrid(dims, dimLabels, tokens, range, signedData,
                        tr("Value head %1: each of its %2 dims%3").arg(m_valueHead).arg(dims.heads).arg(stale),
                        quantityName(which), quantityName(which));
        m_dims->setMarks(-1, q);
        setLeftLayout(true, false);
    } else {
        setLeftLayout(false, false);   // no map row: the layer has no softmax map (said above the plots)
    }
    refreshHistogram(l, which, Hv);

    // Per value head: mean β and decay over the tokens (how much each head writes and keeps).
    std::vector<double> beta(static_cast<size_t>(Hv), std::nan("")), decay(static_cast<size_t>(Hv), std::nan(""));
    auto mean = [](const CapturedSeriesPtr& s) {
        double sum = 0;
        for (float v : s->values)
            sum += v;
        return s->values.empty() ? std::nan("") : sum / double(s->values.size());
    };
    for (int r = 0; r < Hv; ++r) {
        if (CapturedSeriesPtr b = m_context->series(Quantity::DeltaBeta, l, r))
            beta[static_cast<size_t>(r)] = mean(b);
        if (CapturedSeriesPtr d = m_context->series(Quantity::DeltaDecay, l, r))
            decay[static_cast<size_t>(r)] = mean(d);
    }
    m_norms->setBars(shortLabels, {{tr("mean β"), beta, lutColour(200)}, {tr("mean decay exp(g)"), decay, lutColour(60)}},
                     tr("Layer %1: per value head, over the tokens").arg(l), QString(), 1.0);
    m_normsText->setText(tr("A Gated DeltaNet layer has no SDPA output to compare before and after a gate; its output "
                            "gate SiLU(z) multiplies the normed recurrent read-out."));
    const int T = m_context->tokenCount();
    if (q < 0 || q >= T) {
        m_atQuery->clearBars(QString());
        return;
    }
    std::vector<double> bq(static_cast<size_t>(Hv), std::nan("")), dq(static_cast<size_t>(Hv), std::nan(""));
    for (int r = 0; r < Hv; ++r) {
        if (CapturedSeriesPtr b = m_context->series(Quantity::DeltaBeta, l, r); b && q < static_cast<int>(b->values.size()))
            bq[static_cast<size_t>(r)] = b->values[static_cast<size_t>(q)];
        if (CapturedSeriesPtr d = m_context->series(Quantity::DeltaDecay, l, r); d && q < static_cast<int>(d->values.size()))
            dq[static_cast<size_t>(r)] = d->values[static_cast<size_t>(q)];
    }
    m_atQuery->setBars(shortLabels, {{tr("β"), bq, lutColour(200)}, {tr("decay exp(g)"), dq, lutColour(60)}},
                       tr("Token #%1 “%2”: each value head's β and decay").arg(q).arg(tokens ? tokens->at(q).display : QString()),
                       QString(), 1.0);
}

void GateViewPanel::setLeftLayout(bool dims, bool row)
{
    m_dims->setVisible(dims);
    m_row->setVisible(row);
    const int mode = (dims ? 2 : 0) + (row ? 1 : 0);
    if (m_leftMode == mode)
        return;
    m_leftMode = mode;
    // Heatmaps first: the heads (and their dims) get most of the column, the query's map row the rest.
    const int total = std::max(m_left->height(), 600);
    const int parts[4][3] = {{100, 0, 0}, {55, 0, 45}, {45, 55, 0}, {32, 38, 30}};
    m_left->setSizes({total * parts[mode][0] / 100, total * parts[mode][1] / 100, total * parts[mode][2] / 100});
}

void GateViewPanel::keyPressEvent(QKeyEvent* event)
{
    const int n = m_context->tokenCount();
    const int q = m_context->query();
    switch (event->key()) {
    case Qt::Key_Left: m_context->setQuery(q - 1); break;
    case Qt::Key_Right: m_context->setQuery(q + 1); break;
    case Qt::Key_Home: m_context->setQuery(0); break;
    case Qt::Key_End: m_context->setQuery(n - 1); break;
    case Qt::Key_Up: m_context->step(-1, 0); break;
    case Qt::Key_Down: m_context->step(1, 0); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

} // namespace attnscope
