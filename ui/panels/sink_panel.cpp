// SinkPanel: the layers × heads sink heatmap, per-layer curves overlaying pinned runs, massive activations and the
// sink rate at a settable threshold.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/sink_panel.h"

#include "core/util/error.h"
#include "ui/models/token_list_model.h"
#include "ui/session_context.h"
#include "ui/view_figure.h"
#include "ui/widgets/layer_head_heatmap.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Colours of the curves: the run on screen first (dark), then the pinned runs.
const QColor kCurveColours[] = {QColor(0x22, 0x22, 0x22), QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                                QColor(0x2c, 0xa0, 0x2c), QColor(0xff, 0x7f, 0x0e)};

/// An x axis over layers 0 … layers − 1 with integer ticks at a round step (1, 2, 5, 10, …).
QValueAxis* layerAxis(int layers, const QString& title)
{
    auto* x = new QValueAxis;
    x->setTitleText(title);
    x->setLabelFormat(QStringLiteral("%d"));
    x->setRange(0, std::max(1, layers - 1));
    int step = 1;
    for (int s : {1, 2, 5, 10, 20, 50, 100})
        if ((layers - 1) / s <= 10) {
            step = s;
            break;
        }
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(0);
    x->setTickInterval(step);
    return x;
}

QString percent(double v)
{
    return std::isnan(v) ? QStringLiteral("–") : QStringLiteral("%1 %").arg(100.0 * v, 0, 'f', 1);
}

QString number(double v, int digits = 3)
{
    return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', digits);
}

} // namespace

SinkPanel::SinkPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_metricCombo(new QComboBox(this))
    , m_thresholdSpin(new QDoubleSpinBox(this))
    , m_pin(new QPushButton(tr("Pin this run"), this))
    , m_clear(new QPushButton(tr("Clear pinned"), this))
    , m_variant(new QLineEdit(this))
    , m_runVariant(new QPushButton(tr("Run variant"), this))
    , m_variantError(new QLabel(this))
    , m_heatmap(new LayerHeadHeatmap(this))
    , m_curves(new QChart)
    , m_curvesView(new QChartView(m_curves, this))
    , m_hidden(new QChart)
    , m_hiddenView(new QChartView(m_hidden, this))
    , m_table(new QTableWidget(0, 7, this))
    , m_rate(new QLabel(this))
    , m_legend(new QLabel(this))
{
    setObjectName(QStringLiteral("sinkPanel"));
    m_metricCombo->setObjectName(QStringLiteral("sinkMetric"));
    m_metricCombo->addItem(tr("first-token share"));
    m_metricCombo->addItem(tr("learned-sink mass"));
    m_thresholdSpin->setObjectName(QStringLiteral("sinkThreshold"));
    m_thresholdSpin->setRange(0.0, 1.0);
    m_thresholdSpin->setSingleStep(0.05);
    m_thresholdSpin->setDecimals(2);
    m_thresholdSpin->setValue(m_threshold);
    m_thresholdSpin->setToolTip(tr("A head is a sink head when its mean attention to token 0 over every query row (α) "
                                   "exceeds this (Gu et al. use 0.3)"));
    m_pin->setObjectName(QStringLiteral("pinRun"));
    m_pin->setToolTip(tr("Keep this run's curve to compare with another model or variant (up to %1 curves)").arg(kMaxCurves));
    m_variant->setObjectName(QStringLiteral("sinkVariant"));
    m_variant->setPlaceholderText(tr("sink:logit=0   or   sliding:window=64,sinks=4"));
    m_variant->setToolTip(tr("An attention variant (docs/VARIANTS.md) to rerun the prompt under; pin the run first "
                             "to compare"));
    m_variantError->setObjectName(QStringLiteral("sinkVariantError"));
    m_variantError->setStyleSheet(QStringLiteral("color: #b00020"));
    m_variantError->setWordWrap(true);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Show:"), this));
    controls->addWidget(m_metricCombo);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Sink threshold ε:"), this));
    controls->addWidget(m_thresholdSpin);
    controls->addSpacing(12);
    controls->addWidget(m_pin);
    controls->addWidget(m_clear);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Variant:"), this));
    controls->addWidget(m_variant, 1);
    controls->addWidget(m_runVariant);

    m_heatmap->setObjectName(QStringLiteral("sinkHeatmap"));
    m_heatmap->setMinimumSize(240, 200);
    connect(m_heatmap, &LayerHeadHeatmap::cellClicked, context, &SessionContext::select);
    for (QChartView* v : {m_curvesView, m_hiddenView}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(260, 180);
    }
    m_curvesView->setObjectName(QStringLiteral("sinkCurves"));
    m_hiddenView->setObjectName(QStringLiteral("massiveActivations"));
    // One legend for both charts, as wrapped text: run labels (a model and a variant) are too long for QLegend.
    m_curves->legend()->hide();
    m_hidden->legend()->hide();
    m_legend->setObjectName(QStringLiteral("sinkLegend"));
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);

    m_table->setObjectName(QStringLiteral("sinkTable"));
    m_table->setHorizontalHeaderLabels({tr("layer"), tr("first-token share"), tr("sink mass"), tr("sink rate"),
                                        tr("max |h|"), tr("at token"), tr("dim")});
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(5, QHeaderView::Stretch);
    m_rate->setObjectName(QStringLiteral("sinkRate"));
    m_rate->setWordWrap(true);
    m_rate->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* curvesBox = new QWidget(this);
    auto* cl = new QVBoxLayout(curvesBox);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addWidget(m_curvesView, 1);
    cl->addWidget(m_legend);
    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_heatmap);
    top->addWidget(curvesBox);
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 3);
    top->setSizes({500, 700});
    auto* tableBox = new QWidget(this);
    auto* tl = new QVBoxLayout(tableBox);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->addWidget(m_rate);
    tl->addWidget(m_table, 1);
    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(tableBox);
    bottom->addWidget(m_hiddenView);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
    bottom->setSizes({700, 500});
    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(top);
    vertical->addWidget(bottom);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setSizes({600, 400});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(controls);
    layout->addWidget(m_variantError);
    layout->addWidget(vertical, 1);
    m_variantError->hide();

    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(40);
    connect(&m_refreshTimer, &QTimer::timeout, this, &SinkPanel::refresh);
    connect(m_metricCombo, &QComboBox::activated, this,
            [this](int i) { setMetric(i == 1 ? Metric::SinkMass : Metric::FirstTokenShare); });
    connect(m_thresholdSpin, &QDoubleSpinBox::valueChanged, this, &SinkPanel::setThreshold);
    connect(m_pin, &QPushButton::clicked, this, &SinkPanel::pinCurrent);
    connect(m_clear, &QPushButton::clicked, this, &SinkPanel::clearPinned);
    auto runVariant = [this] {
        try {
            const AttentionSpec spec = AttentionSpec::parse(m_variant->text().trimmed().toStdString());
            m_variantError->hide();
            emit variantRunRequested(spec);
        } catch (const Error& e) {
            m_variantError->setText(QString::fromStdString(e.what()));
            m_variantError->show();
        }
    };
    connect(m_runVariant, &QPushButton::clicked, this, runVariant);
    connect(m_variant, &QLineEdit::returnPressed, this, runVariant);

    connect(context, &SessionContext::reportChanged, this, [this] { m_refreshTimer.start(); });
    connect(context, &SessionContext::runStarted, this, [this] { m_refreshTimer.start(); });
    connect(context, &SessionContext::resultsCleared, this, [this] { m_refreshTimer.start(); });
    connect(context, &SessionContext::modelChanged, this, [this] {
        m_metricChosen = false;
        m_refreshTimer.start();
    });
    connect(context, &SessionContext::selectionChanged, this, [this](int l, int h) { m_heatmap->setSelected(l, h); });
    refresh();
}

void SinkPanel::setThreshold(double eps)
{
    eps = std::clamp(eps, 0.0, 1.0);
    if (std::fabs(m_thresholdSpin->value() - eps) > 1e-12)
        m_thresholdSpin->setValue(eps);   // emits valueChanged → setThreshold again, then returns below
    if (eps == m_threshold)
        return;
    m_threshold = eps;
    fillTable();
    emit refreshed();
}

void SinkPanel::setMetric(Metric m)
{
    m_metricChosen = true;   // an explicit choice holds until another model is opened
    m_metricCombo->setCurrentIndex(m == Metric::SinkMass ? 1 : 0);
    if (m == m_metric)
        return;
    m_metric = m;
    refresh();
}

SinkPanel::Curve SinkPanel::currentCurve() const
{
    Curve c;
    c.label = m_context->runLabel();
    if (c.label.isEmpty() && m_context->model())
        c.label = QString::fromStdString(m_context->model()->info.name);
    const int L = m_context->layers();
    bool anySink = false;
    for (int l = 0; l < L; ++l) {
        const LayerReport* r = m_context->layerReport(l);
        c.firstTokenShare.push_back(r && r->firstTokenShare ? *r->firstTokenShare : kNaN);
        c.sinkMass.push_back(r && r->sinkMass ? *r->sinkMass : kNaN);
        c.maxAbsHidden.push_back(r ? r->maxAbsHidden : kNaN);
        anySink = anySink || (r && r->sinkMass);
    }
    if (!anySink)
        c.sinkMass.clear();
    return c;
}

double SinkPanel::sinkRate() const
{
    const std::optional<double> r = m_context->modelReport().sinkRate(m_threshold);
    return r ? *r : kNaN;
}

QVector<PanelSpec> SinkPanel::panelSpecs() const
{
    auto numbers = [](const QVector<double>& v) {
        QJsonArray a;
        for (double x : v)
            a.append(std::isnan(x) ? QJsonValue() : QJsonValue(x));   // JSON has no NaN: a missing layer is null
        return a;
    };
    QJsonArray pinned;
    for (const Curve& c : m_pinned) {
        QJsonObject o;
        o[QStringLiteral("label")] = c.label;
        o[QStringLiteral("first_token_share")] = numbers(c.firstTokenShare);
        o[QStringLiteral("sink_mass")] = numbers(c.sinkMass);
        o[QStringLiteral("max_abs_hidden")] = numbers(c.maxAbsHidden);
        pinned.append(o);
    }
    QVector<PanelSpec> panels = sinkPanels(m_metric == Metric::SinkMass ? QStringLiteral("sink_mass") : QStringLiteral("first_token_share"));
    const QString label = currentCurve().label;
    for (PanelSpec& p : panels) {
        p.layer = m_context->layer();
        p.head = m_context->head();
        if (p.kind == QLatin1String("sinks"))
            continue;
        if (!label.isEmpty())
            p.extra[QStringLiteral("label")] = label;
        if (!pinned.isEmpty())
            p.extra[QStringLiteral("pinned")] = pinned;
    }
    return panels;
}

void SinkPanel::pinCurrent()
{
    if (!m_context->tokens() || m_context->layersReady() == 0)
        return;
    if (m_pinned.size() >= kMaxCurves - 1)
        m_pinned.removeFirst();
    Curve c = currentCurve();
    c.label += tr(", %1 tok.").arg(m_context->tokenCount());
    m_pinned.push_back(std::move(c));
    rebuildCharts();
    emit refreshed();
}

void SinkPanel::clearPinned()
{
    m_pinned.clear();
    rebuildCharts();
    emit refreshed();
}

void SinkPanel::refresh()
{
    const bool sinks = m_context->captures().has(Quantity::SinkProb);
    if (!m_metricChosen && sinks != (m_metric == Metric::SinkMass)) {
        m_metric = sinks ? Metric::SinkMass : Metric::FirstTokenShare;   // sink models: the sink's own mass
        m_metricCombo->setCurrentIndex(sinks ? 1 : 0);
    }
    const int L = m_context->layers(), H = m_context->heads();
    if (!m_context->tokens() || L <= 0 || H <= 0 || m_context->layersReady() == 0) {
        m_heatmap->clear(m_context->model() ? tr("Run the model (Ctrl+Enter) to see its sinks")
                                            : tr("Open a model and run it to see its attention sinks"));
    } else {
        std::vector<double> v(static_cast<size_t>(L) * static_cast<size_t>(H), kNaN);
        for (int l = 0; l < L; ++l)
            if (const LayerReport* r = m_context->layerReport(l)) {
                const std::vector<double>& per = m_metric == Metric::SinkMass ? r->sinkMassPerHead : r->firstTokenSharePerHead;
                for (int h = 0; h < H && h < static_cast<int>(per.size()); ++h)
                    v[static_cast<size_t>(l) * H + h] = per[static_cast<size_t>(h)];
            }
        const bool mass = m_metric == Metric::SinkMass;
        const ViewSettings& s = m_context->viewSettings();
        m_heatmap->setValues(L, H, std::move(v), mass ? tr("sink mass") : tr("first-token share"),
                             s.colormap == Colormap::Diverging ? Colormap::Viridis : s.colormap);
        m_heatmap->setTitle(mass ? tr("Sink mass per head") : tr("First-token share per head"));
        m_heatmap->setToolTip(mass ? tr("Mean over query rows of the probability the sink column took")
                                   : tr("Mean over query rows i ≥ 1 of A[i, 0]"));
        m_heatmap->setSelected(m_context->layer(), m_context->head());
    }
    rebuildCharts();
    fillTable();
    emit refreshed();
}

void SinkPanel::rebuildCharts()
{
    m_curves->removeAllSeries();
    for (QAbstractAxis* a : m_curves->axes())
        m_curves->removeAxis(a);
    m_hidden->removeAllSeries();
    for (QAbstractAxis* a : m_hidden->axes())
        m_hidden->removeAxis(a);

    const bool mass = m_metric == Metric::SinkMass;
    QVector<Curve> curves = m_pinned;
    if (m_context->tokens() && m_context->layersReady() > 0)
        curves.push_back(currentCurve());
    int maxLayers = 1;
    double hiMin = kNaN, hiMax = kNaN;
    QStringList legend;
    for (int k = 0; k < curves.size(); ++k) {
        const Curve& c = curves[k];
        const bool current = k == curves.size() - 1 && m_context->tokens() && m_context->layersReady() > 0;
        const QColor colour = current ? kCurveColours[0] : kCurveColours[1 + k % 4];
        const QVector<double>& ys = mass && !c.sinkMass.isEmpty() ? c.sinkMass : c.firstTokenShare;
        auto* s = new QLineSeries;
        s->setName(c.label + (current ? tr(" (on screen)") : QString()) +
                   (mass && c.sinkMass.isEmpty() ? tr(" — first-token share, no sinks") : QString()));
        s->setPointsVisible(true);
        QPen pen(colour, current ? 2.6 : 1.8);
        s->setPen(pen);
        for (int l = 0; l < ys.size(); ++l)
            if (!std::isnan(ys[l]))
                s->append(l, ys[l]);
        m_curves->addSeries(s);
        auto* hs = new QLineSeries;
        hs->setName(c.label);
        hs->setPointsVisible(true);
        hs->setPen(pen);
        for (int l = 0; l < c.maxAbsHidden.size(); ++l) {
            const double v = c.maxAbsHidden[l];
            if (!std::isnan(v) && v > 0) {
                hs->append(l, v);
                hiMin = std::isnan(hiMin) ? v : std::min(hiMin, v);
                hiMax = std::isnan(hiMax) ? v : std::max(hiMax, v);
            }
        }
        m_hidden->addSeries(hs);
        maxLayers = std::max(maxLayers, static_cast<int>(ys.size()));
        legend << QStringLiteral("<span style=\"color:%1\">%2</span>&nbsp;%3")
                      .arg(colour.name(), current ? QStringLiteral("━━ ●") : QStringLiteral("━━"), s->name().toHtmlEscaped());
    }
    m_legend->setText(legend.isEmpty() ? QString() : legend.join(QStringLiteral("<br>")));
    QValueAxis* x = layerAxis(maxLayers, tr("layer"));
    auto* y = new QValueAxis;
    y->setTitleText(mass ? tr("sink mass (mean p_sink)") : tr("first-token share"));
    y->setRange(0, 1);
    y->setLabelFormat(QStringLiteral("%.1f"));
    y->setTickCount(6);
    m_curves->addAxis(x, Qt::AlignBottom);
    m_curves->addAxis(y, Qt::AlignLeft);
    for (QAbstractSeries* s : m_curves->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    m_curves->setTitle(curves.isEmpty() ? tr("Per-layer curve: run a model, pin it, run another model or variant")
                                        : tr("Per layer, %1 run%2").arg(curves.size()).arg(curves.size() == 1 ? "" : "s"));

    QValueAxis* hx = layerAxis(maxLayers, tr("layer"));
    auto* hy = new QLogValueAxis;
    hy->setBase(10);
    hy->setTitleText(tr("max |hidden state|"));
    hy->setLabelFormat(QStringLiteral("%g"));
    if (!std::isnan(hiMin))
        hy->setRange(std::pow(10.0, std::floor(std::log10(hiMin))), std::pow(10.0, std::ceil(std::log10(hiMax))));
    m_hidden->addAxis(hx, Qt::AlignBottom);
    m_hidden->addAxis(hy, Qt::AlignLeft);
    for (QAbstractSeries* s : m_hidden->series()) {
        s->attachAxis(hx);
        s->attachAxis(hy);
    }
    m_hidden->setTitle(tr("Massive activations: max |h| after each layer"));
}

void SinkPanel::fillTable()
{
    const int L = m_context->layers();
    const bool have = m_context->tokens() && m_context->layersReady() > 0;
    m_table->setRowCount(have ? L : 0);
    const TokenRowsPtr tokens = m_context->tokens();
    int sinkHeads = 0, counted = 0;
    for (int l = 0; have && l < L; ++l) {
        const LayerReport* r = m_context->layerReport(l);
        QString tok;
        if (r && tokens && r->maxToken < tokens->size())
            tok = QStringLiteral("#%1 “%2”").arg(r->maxToken).arg((*tokens)[static_cast<int>(r->maxToken)].display);
        std::optional<double> rate = r ? r->sinkRateAt(m_threshold) : std::nullopt;
        if (r)
            for (double a : r->firstTokenAlphaPerHead)
                if (!std::isnan(a)) {
                    ++counted;
                    sinkHeads += a > m_threshold ? 1 : 0;
                }
        const QString cells[7] = {QString::number(l),
                                  number(r && r->firstTokenShare ? *r->firstTokenShare : kNaN),
                                  number(r && r->sinkMass ? *r->sinkMass : kNaN),
                                  percent(rate ? *rate : kNaN),
                                  r ? QString::number(r->maxAbsHidden, 'g', 4) : QStringLiteral("–"),
                                  tok,
                                  r ? QString::number(r->maxDim) : QStringLiteral("–")};
        for (int c = 0; c < 7; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(c == 5 ? (Qt::AlignLeft | Qt::AlignVCenter) : (Qt::AlignRight | Qt::AlignVCenter));
            m_table->setItem(l, c, item);
        }
    }
    if (!have) {
        m_rate->setText(tr("Sink rate: run a model to see it."));
        return;
    }
    m_rate->setText(tr("<b>Sink rate (α > %1): %2</b> — %3 of %4 heads put on average more than %1 of every row's "
                       "attention on token 0 (Gu et al.)")
                        .arg(m_threshold, 0, 'f', 2).arg(percent(counted ? double(sinkHeads) / counted : kNaN))
                        .arg(sinkHeads).arg(counted));
}

} // namespace attnscope
