// DifferentialPanel: the three maps of a differential head, λ per layer and head, and the noise-cancellation
// measure over a dragged signal span.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/differential_panel.h"

#include "ui/background_job.h"
#include "ui/models/token_list_model.h"
#include "ui/render/differential_maps.h"
#include "ui/session_context.h"
#include "ui/view_figure.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/layer_head_heatmap.h"
#include "ui/widgets/token_strip.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPainter>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace attnscope {

namespace {

constexpr int kHiddenPixels = 700;   // a hidden plot pools as for a typical third of a screen

/// Chips of the span strip: the selected (dragged) tokens filled with the selection colour.
class SpanChipDelegate final : public ChipDelegate {
public:
    using ChipDelegate::ChipDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        if (!(option.state & QStyle::State_Selected)) {
            ChipDelegate::paint(painter, option, index);
            return;
        }
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing, true);
        const QRectF r = QRectF(option.rect).adjusted(1, 1, -1, -1);
        QPainterPath path;
        path.addRoundedRect(r, 4, 4);
        painter->fillPath(path, option.palette.color(QPalette::Highlight));
        painter->setPen(QPen(option.palette.color(QPalette::Highlight).darker(140), 1.5));
        painter->drawPath(path);
        painter->setPen(option.palette.color(QPalette::HighlightedText));
        const QString text = option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight,
                                                           static_cast<int>(r.width()) - 8);
        painter->drawText(r, Qt::AlignCenter, text);
        painter->restore();
    }
};

struct DiffRender {
    std::array<HeatmapSource, 3> sources;
    std::array<ColourisedGrid, 3> images;
    std::array<PoolWindow, 3> windows;
    double shared = 0, diff = 0;
};

struct DiffMeasure {
    NoiseCancellation head, average;
    int heads = 0;
};

QString fmt(double v)
{
    if (std::isnan(v))
        return QStringLiteral("–");
    if (std::isinf(v))
        return QStringLiteral("∞");
    return QString::number(v, 'g', 3);
}

} // namespace

DifferentialPanel::DifferentialPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_info(new QLabel(this))
    , m_lambda(new LayerHeadHeatmap(this))
    , m_tokens(new TokenListModel(this))
    , m_strip(new TokenStrip(this))
    , m_spanLabel(new QLabel(this))
    , m_table(new QTableWidget(3, 6, this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("differentialPanel"));
    m_info->setObjectName(QStringLiteral("differentialInfo"));
    m_info->setWordWrap(true);
    auto* maps = new QSplitter(Qt::Horizontal, this);
    const QString titles[3] = {tr("A1 (shared scale)"), tr("λ·A2 (shared scale)"), tr("A1 − λ·A2 (signed)")};
    for (size_t k = 0; k < 3; ++k) {
        m_plots[k] = new AttentionPlot(maps);
        m_plots[k]->setObjectName(QStringLiteral("differentialPlot%1").arg(k));
        m_plots[k]->setColorbarTitle(titles[k]);
        m_plots[k]->setMinimumSize(200, 200);
        maps->addWidget(m_plots[k]);
        connect(m_plots[k], &AttentionPlot::navigate, context, &SessionContext::step);
        connect(m_plots[k], &AttentionPlot::userZoomed, this, [this, k] {
            if (m_syncingZoom)
                return;
            m_syncingZoom = true;   // one zoom for the three maps: the same cells side by side
            const QCPRange x = m_plots[k]->xAxis->range(), y = m_plots[k]->yAxis->range();
            for (size_t o = 0; o < 3; ++o)
                if (o != k && m_plots[o]->hasHeatmap()) {
                    m_plots[o]->setViewRanges(x, y);
                    m_plots[o]->replot(QCustomPlot::rpQueuedReplot);
                }
            m_syncingZoom = false;
            m_windowTimer.start();
        });
        connect(m_plots[k], &AttentionPlot::cellClicked, this, [this](int q, int key) {
            m_context->setQuery(q);
            m_context->setKey(key);
        });
        maps->setStretchFactor(static_cast<int>(k), 1);
    }

    m_lambda->setObjectName(QStringLiteral("lambdaHeatmap"));
    m_lambda->setMinimumWidth(260);
    connect(m_lambda, &LayerHeadHeatmap::cellClicked, context, &SessionContext::select);

    auto* delegate = new SpanChipDelegate(m_strip);
    m_strip->setItemDelegate(delegate);
    m_strip->setObjectName(QStringLiteral("signalSpanStrip"));
    m_strip->setModel(m_tokens);
    m_strip->setSelectionMode(QAbstractItemView::ContiguousSelection);
    m_strip->setMaximumHeight(110);
    m_strip->setToolTip(tr("Drag over the tokens that carry the signal (e.g. the answer in a context)"));
    m_tokens->setMasksLaterTokens(false);
    connect(m_strip->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        int lo = -1, hi = -1;
        for (const QModelIndex& i : m_strip->selectionModel()->selectedIndexes()) {
            lo = lo < 0 ? i.row() : std::min(lo, i.row());
            hi = std::max(hi, i.row());
        }
        const TokenRange span = lo < 0 ? TokenRange{} : TokenRange{lo, hi + 1};
        if (span.begin != m_span.begin || span.end != m_span.end) {
            m_span = span;
            requestMeasure();
        }
    });
    m_spanLabel->setObjectName(QStringLiteral("signalSpanLabel"));
    m_spanLabel->setWordWrap(true);

    m_table->setObjectName(QStringLiteral("noiseCancellationTable"));
    m_table->setHorizontalHeaderLabels({tr("signal (head)"), tr("noise (head)"), tr("SNR (head)"),
                                        tr("signal (all heads)"), tr("noise (all heads)"), tr("SNR (all heads)")});
    m_table->setVerticalHeaderLabels({tr("A1"), tr("λ·A2"), tr("A1 − λ·A2")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_summary->setObjectName(QStringLiteral("noiseCancellationSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* measure = new QWidget(this);
    auto* ml = new QVBoxLayout(measure);
    ml->setContentsMargins(0, 0, 0, 0);
    auto* heading = new QLabel(tr("<b>Noise cancellation</b> — mass on the signal span vs. on every other key, before "
                                  "and after the subtraction"), measure);
    heading->setWordWrap(true);
    ml->addWidget(heading);
    ml->addWidget(m_strip);
    ml->addWidget(m_spanLabel);
    ml->addWidget(m_table);
    ml->addWidget(m_summary);
    ml->addStretch(1);

    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_lambda);
    bottom->addWidget(measure);
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 3);

    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(maps);
    vertical->addWidget(bottom);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setSizes({640, 360});   // the maps get most of the height
    bottom->setSizes({300, 900});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_info);
    layout->addWidget(vertical, 1);

    m_windowTimer.setSingleShot(true);
    m_windowTimer.setInterval(60);
    connect(&m_windowTimer, &QTimer::timeout, this, &DifferentialPanel::requestRender);
    m_lambdaTimer.setSingleShot(true);
    m_lambdaTimer.setInterval(30);
    connect(&m_lambdaTimer, &QTimer::timeout, this, &DifferentialPanel::refreshLambda);

    connect(context, &SessionContext::selectionChanged, this, [this](int l, int h) {
        m_lambda->setSelected(l, h);
        requestRender();
        requestMeasure();
    });
    connect(context, &SessionContext::viewSettingsChanged, this, &DifferentialPanel::requestRender);
    connect(context, &SessionContext::runStarted, this, [this] {
        m_tokens->setTokens(m_context->tokens());
        m_span = {};
        for (AttentionPlot* p : m_plots) {
            p->setTokens(m_context->tokens());
            p->setDimmed(false);
        }
        m_shownLayer = m_shownHead = -1;
        m_head = m_average = {};
        m_averagedHeads = 0;
        requestRender();
        requestMeasure();
        m_lambdaTimer.start();
    });
    auto cleared = [this] {
        m_tokens->setTokens(nullptr);
        m_span = {};
        for (AttentionPlot* p : m_plots)
            p->setTokens(nullptr);
        m_shownLayer = m_shownHead = -1;
        requestRender();
        requestMeasure();
        m_lambdaTimer.start();
    };
    connect(context, &SessionContext::modelChanged, this, cleared);
    connect(context, &SessionContext::resultsCleared, this, cleared);
    connect(context, &SessionContext::staleChanged, this, [this](bool stale) {
        for (AttentionPlot* p : m_plots)
            p->setDimmed(stale);
        requestRender();
    });
    connect(context, &SessionContext::layerReady, this, [this](int layer) {
        m_lambdaTimer.start();
        if (layer == m_context->layer())
            requestRender();
    });
    connect(context, &SessionContext::runEnded, this, [this] { requestMeasure(); });
    clearPlots(tr("Open a differential model (DiffLlama, DIFF V1 or V2) and run it"));
    fillTable();
}

void DifferentialPanel::clearPlots(const QString& message)
{
    for (AttentionPlot* p : m_plots) {
        p->clearHeatmap(message);
        p->replot(QCustomPlot::rpQueuedReplot);
    }
    m_shownLayer = m_shownHead = -1;
}

std::array<PoolWindow, 3> DifferentialPanel::wantedWindows(int64_t tokens) const
{
    std::array<PoolWindow, 3> out;
    for (size_t k = 0; k < 3; ++k) {
        const AttentionPlot* p = m_plots[k];
        QSize px = p->dataAreaPixels();
        if (!p->isVisible() || px.width() < 32 || px.height() < 32)
            px = QSize(kHiddenPixels, kHiddenPixels);
        if (tokens != p->cells()) {
            const double n = static_cast<double>(tokens);
            out[k] = windowFor(tokens, -0.5, n - 0.5, -0.5, n - 0.5, px.width(), px.height());
        } else {
            const QCPRange x = p->xAxis->range(), y = p->yAxis->range();
            out[k] = windowFor(tokens, x.lower, x.upper, y.lower, y.upper, px.width(), px.height());
        }
    }
    return out;
}

void DifferentialPanel::requestRender()
{
    if (m_renderRunning) {
        m_renderDirty = true;
        return;
    }
    m_renderDirty = false;
    const int l = m_context->layer(), h = m_context->head();
    const AttentionMapPtr a1 = m_context->map(l, h);
    const AttentionMapPtr a2 = m_context->map(Quantity::AttentionProbs2, l, h);
    const AttentionMapPtr d = m_context->map(Quantity::AttentionCombined, l, h);
    const CapturedSeriesPtr lam = m_context->series(Quantity::Lambda, l, h);
    const bool lambdaFits = lam && (lam->values.size() == 1 || (a1 && static_cast<int64_t>(lam->values.size()) >= a1->tokens));
    if (!a1 || !a2 || !d || !lam || !lambdaFits) {
        QString why;
        if (!m_context->model())
            why = tr("Open a differential model (DiffLlama, DIFF V1 or V2) and run it");
        else if (m_context->model()->model && m_context->model()->model->config().diff == DiffVersion::None)
            why = tr("%1 has no differential heads: this view needs a DiffLlama, DIFF V1 or DIFF V2 model")
                      .arg(QString::fromStdString(m_context->model()->info.architecture));
        else if (!m_context->tokens())
            why = tr("Run the model (Ctrl+Enter) to see layer %1, head %2").arg(l).arg(h);
        else if (!m_context->hasLayer(l))
            why = tr("Layer %1 is not computed yet…").arg(l);
        else
            why = tr("Layer %1, head %2 was not captured in this run").arg(l).arg(h);
        clearPlots(why);
        m_info->setText(why);
        emit rendered(-1, -1);
        return;
    }
    const ViewSettings settings = m_context->viewSettings();
    const std::array<PoolWindow, 3> windows = wantedWindows(a1->tokens);
    m_renderRunning = true;
    runInBackground(this, [a1, a2, d, lam, settings, windows]() {
        DiffRender r;
        r.windows = windows;
        r.sources[0].map = a1;
        r.sources[1].map = lambdaScaledMap(a2, lam);   // the same λ·A2 as the "differential" figure panel
        r.sources[2].map = d;
        std::array<ValueGrid, 3> grids;
        std::array<double, 3> maxima{};
        const int64_t t = a1->tokens;
        for (size_t k = 0; k < 3; ++k) {
            grids[k] = poolWindow(r.sources[k], windows[k], settings.pooling, false);
            maxima[k] = windows[k].covers(0, t - 1, 0, t - 1) ? grids[k].sourceMax : maxMagnitude(r.sources[k]);
        }
        // One colour scale for the two softmax maps, so λ·A2 reads against A1; the difference is zero-centred.
        r.shared = std::max(maxima[0], maxima[1]);
        r.diff = maxima[2];
        ViewSettings seq = settings;
        seq.normalisation = Normalisation::Global;
        seq.data = DisplayData::Weights;
        r.images[0] = colouriseGrid(grids[0], seq, false, r.shared);
        r.images[1] = colouriseGrid(grids[1], seq, false, r.shared);
        r.images[2] = colouriseGrid(grids[2], seq, true, r.diff > 0 ? r.diff : 1e-12);
        return r;
    }, [this, l, h, settings, a1, lam](DiffRender r) {
        m_renderRunning = false;
        const bool current = l == m_context->layer() && h == m_context->head() && settings == m_context->viewSettings() &&
                             a1 == m_context->map(l, h);
        if (current) {
            ViewSettings seq = settings;
            seq.normalisation = Normalisation::Global;
            seq.data = DisplayData::Weights;
            ViewSettings sgn = seq;
            sgn.data = DisplayData::DiffFromLayerMean;   // the diverging, linear colourbar
            const QString names[3] = {tr("A1"), tr("λ·A2"), tr("A1 − λ·A2")};
            for (size_t k = 0; k < 3; ++k) {
                QString title = tr("%1 · layer %2 · head %3").arg(names[k]).arg(l).arg(h);
                if (m_context->isStale())
                    title += tr(" · stale");
                m_plots[k]->setHeatmap(r.sources[k], r.images[k], r.windows[k], k == 2 ? sgn : seq, title);
                m_plots[k]->setQueryRow(m_context->query());
                m_plots[k]->replot();
            }
            m_sharedRange = r.shared;
            m_diffRange = r.diff;
            const bool v2 = lam->values.size() > 1;
            const double mean = lambdaMean(*lam);
            const ModelConfig* cfg = m_context->model() && m_context->model()->model ? &m_context->model()->model->config() : nullptr;
            m_info->setText(tr("<b>Layer %1 · head %2</b> · %3 · %4 · A1 and λ·A2 share one colour scale "
                               "(max %5); A1 − λ·A2 is zero-centred (±%6)")
                                .arg(l).arg(h)
                                .arg(cfg ? QString::fromLatin1(diffVersionName(cfg->diff)) : QString())
                                .arg(v2 ? tr("λ = σ(x·W_λ) per token, mean %1").arg(mean, 0, 'g', 4)
                                        : tr("λ = %1 (one per layer)").arg(mean, 0, 'g', 4))
                                .arg(r.shared, 0, 'g', 3).arg(r.diff, 0, 'g', 3));
            m_shownLayer = l;
            m_shownHead = h;
            emit rendered(l, h);
        }
        if (m_renderDirty || !current)
            requestRender();
    });
}

QVector<PanelSpec> DifferentialPanel::panelSpecs() const
{
    QVector<PanelSpec> panels = differentialPanels(m_context->layer(), m_context->head());
    const AttentionPlot* a1 = m_plots[A1];
    const QCPRange y = a1->yAxis->range(), x = a1->xAxis->range();
    for (PanelSpec& p : panels) {
        p.query = m_context->query();
        p.key = m_context->key();
        setVisibleRanges(p, a1->cells(), y.lower, y.upper, x.lower, x.upper);   // the three maps share one zoom
    }
    return panels;
}

void DifferentialPanel::refreshLambda()
{
    const int L = m_context->layers(), H = m_context->heads();
    if (!m_context->tokens() || L <= 0 || H <= 0 || !m_context->captures().has(Quantity::Lambda)) {
        m_lambda->clear(m_context->tokens() ? tr("no λ: not a differential model") : tr("λ per layer and head"));
        return;
    }
    std::vector<double> v(static_cast<size_t>(L) * static_cast<size_t>(H), std::nan(""));
    bool perToken = false;
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h)
            if (CapturedSeriesPtr s = m_context->series(Quantity::Lambda, l, h); s && !s->values.empty()) {
                double sum = 0;
                for (float x : s->values)
                    sum += x;
                v[static_cast<size_t>(l) * H + h] = sum / double(s->values.size());
                perToken = perToken || s->values.size() > 1;
            }
    m_lambda->setValues(L, H, std::move(v), perToken ? tr("λ (mean over tokens)") : tr("λ"),
                        m_context->viewSettings().colormap == Colormap::Diverging ? Colormap::Viridis
                                                                                  : m_context->viewSettings().colormap);
    m_lambda->setTitle(perToken ? tr("λ per head (token mean)") : tr("λ per layer and head"));
    m_lambda->setToolTip(perToken ? tr("V2: λ = σ(x·W_λ) per token; each cell is its mean over the prompt")
                                  : tr("V1: λ = exp(λq1·λk1) − exp(λq2·λk2) + λ_init, one per layer"));
    m_lambda->setSelected(m_context->layer(), m_context->head());
}

void DifferentialPanel::setSignalSpan(TokenRange span)
{
    const int n = m_tokens->rowCount();
    span.begin = std::clamp<int64_t>(span.begin, 0, n);
    span.end = std::clamp<int64_t>(span.end, span.begin, n);
    QItemSelection sel;
    if (!span.empty())
        sel.select(m_tokens->index(static_cast<int>(span.begin)), m_tokens->index(static_cast<int>(span.end - 1)));
    m_strip->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);   // → selectionChanged → measure
    if (span.empty() && !m_span.empty()) {
        m_span = {};
        requestMeasure();
    }
}

void DifferentialPanel::requestMeasure()
{
    if (m_measureRunning) {
        m_measureDirty = true;
        return;
    }
    m_measureDirty = false;
    const int l = m_context->layer(), h = m_context->head();
    const AttentionMapPtr a1 = m_context->map(l, h);
    const AttentionMapPtr d = m_context->map(Quantity::AttentionCombined, l, h);
    if (m_span.empty() || !m_context->tokens() || !m_context->captures().has(Quantity::AttentionCombined)) {
        m_head = m_average = {};
        m_averagedHeads = 0;
        fillTable();
        emit measured();
        return;
    }
    std::vector<std::pair<AttentionMapPtr, AttentionMapPtr>> all;
    for (int ll = 0; ll < m_context->layers(); ++ll)
        for (int hh = 0; hh < m_context->heads(); ++hh) {
            AttentionMapPtr m1 = m_context->map(ll, hh), md = m_context->map(Quantity::AttentionCombined, ll, hh);
            if (m1 && md)
                all.emplace_back(std::move(m1), std::move(md));
        }
    const TokenRange span = m_span;
    m_measureRunning = true;
    runInBackground(this, [a1, d, all = std::move(all), span]() {
        DiffMeasure r;
        if (a1 && d)
            r.head = measureNoiseCancellation(*a1, *d, span);
        std::vector<NoiseCancellation> each;
        each.reserve(all.size());
        for (const auto& [m1, md] : all)
            each.push_back(measureNoiseCancellation(*m1, *md, span));
        r.average = averageNoiseCancellation(each);
        r.heads = static_cast<int>(each.size());
        return r;
    }, [this, span, l, h](DiffMeasure r) {
        m_measureRunning = false;
        const bool current = span.begin == m_span.begin && span.end == m_span.end && l == m_context->layer() &&
                             h == m_context->head();
        if (current) {
            m_head = r.head;
            m_average = r.average;
            m_averagedHeads = r.heads;
            fillTable();
            emit measured();
        }
        if (m_measureDirty || !current)
            requestMeasure();
    });
}

void DifferentialPanel::fillTable()
{
    const TokenRowsPtr tokens = m_context->tokens();
    const int n = tokens ? static_cast<int>(tokens->size()) : 0;
    if (m_span.empty()) {
        m_spanLabel->setText(n ? tr("No signal span: drag over the tokens above that carry the signal.")
                               : tr("Run a differential model, then drag over the tokens that carry the signal."));
    } else {
        QString text;
        for (int64_t i = m_span.begin; i < m_span.end && i < n && text.size() < 80; ++i)
            text += (*tokens)[static_cast<int>(i)].display;
        const TokenRange rows = defaultQueryRows(m_span, n);
        m_spanLabel->setText(tr("Signal span: tokens %1–%2 “%3” · query rows %4–%5 (%6)")
                                 .arg(m_span.begin).arg(m_span.end - 1).arg(text.toHtmlEscaped())
                                 .arg(rows.begin).arg(rows.end - 1)
                                 .arg(rows.begin == m_span.end ? tr("the rows after the span") : tr("the span reaches the end")));
    }
    const SpanMass* cells[3][2] = {{&m_head.before, &m_average.before},
                                   {&m_head.removed, &m_average.removed},
                                   {&m_head.after, &m_average.after}};
    for (int r = 0; r < 3; ++r)
        for (int side = 0; side < 2; ++side) {
            const bool have = side == 0 ? m_head.rows > 0 : m_averagedHeads > 0 && m_average.rows > 0;
            const SpanMass& m = *cells[r][side];
            const QString v[3] = {have ? fmt(m.signal) : QStringLiteral("–"), have ? fmt(m.noise) : QStringLiteral("–"),
                                  have ? fmt(m.snr()) : QStringLiteral("–")};
            for (int c = 0; c < 3; ++c) {
                auto* item = new QTableWidgetItem(v[c]);
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                m_table->setItem(r, side * 3 + c, item);
            }
        }
    if (m_head.rows > 0) {
        m_summary->setText(tr("SNR gain of the subtraction: <b>×%1</b> this head, <b>×%2</b> averaged over %3 heads · "
                              "negative share of A1 − λ·A2: <b>%4 %</b> this head, <b>%5 %</b> all heads")
                               .arg(fmt(m_head.snrGain())).arg(fmt(m_average.snrGain())).arg(m_averagedHeads)
                               .arg(fmt(100 * m_head.negativeShare())).arg(fmt(100 * m_average.negativeShare())));
    } else {
        m_summary->setText(tr("Signal = mean mass on the span per query row; noise = mean |mass| on every other key; "
                              "SNR = signal / noise (docs/DIFFERENTIAL.md)."));
    }
}

} // namespace attnscope
