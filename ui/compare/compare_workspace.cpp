// CompareWorkspace: layout, the comparison's life cycle, and keeping the panes, the difference, the tables and the
// curve in step with the selection, the zoom, the hovered cell and the query row.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/compare_workspace.h"

#include "ui/background_job.h"
#include "ui/compare/compare_metrics_model.h"
#include "ui/compare/compare_pane.h"
#include "ui/compare/compare_plot.h"
#include "ui/render/difference_map.h"
#include "ui/compare/kl_curve_view.h"
#include "ui/compare/mass_outside_model.h"
#include "ui/compare/pooled_difference.h"
#include "ui/compare/variant_editor.h"
#include "ui/models/display_text.h"
#include "ui/render/color_gradient.h"
#include "ui/render/tile_pyramid.h"
#include "ui/session_bridge.h"
#include "ui/session_context.h"
#include "ui/view_figure.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

// Okabe–Ito colours, distinguishable with colour-vision deficiencies; the baseline is dark grey.
const QColor kPaneColours[CompareWorkspace::kMaxPanes] = {QColor(0x44, 0x44, 0x44), QColor(0x00, 0x72, 0xB2),
                                                          QColor(0xD5, 0x5E, 0x00), QColor(0x00, 0x9E, 0x73)};

struct Prepared {
    std::vector<AttentionMapPtr> maps;   // per pane (null: not kept)
    AttentionMapPtr diff;
    double sharedMax = 0;
    double diffMax = 0;
};

/// "base", "v1", … for the colourbar label of the difference.
QString shortName(int pane)
{
    return pane == 0 ? QStringLiteral("base") : QStringLiteral("v%1").arg(pane);
}

/// "256²" (QString::arg reads a superscript two after a placeholder as a digit of it).
QString squared(int n)
{
    return QString::number(n) + QChar(0x00B2);
}

QTableView* makeTable(QAbstractItemModel* model, const QString& name)
{
    auto* t = new QTableView;
    t->setObjectName(name);
    t->setModel(model);
    t->setSelectionMode(QAbstractItemView::NoSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->setWordWrap(false);
    return t;
}

} // namespace

CompareWorkspace::CompareWorkspace(SessionContext* context, SessionBridge* bridge, std::function<QString()> promptText,
                                   QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_bridge(bridge)
    , m_promptText(std::move(promptText))
{
    setObjectName(QStringLiteral("compareWorkspace"));
    buildUi();
    connectSignals();
    showOutcome(nullptr);
}

void CompareWorkspace::buildUi()
{
    m_compareAction = new QAction(QIcon::fromTheme(QStringLiteral("view-split-left-right")), tr("Co&mpare Variants"), this);
    m_compareAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Enter)});
    m_compareAction->setToolTip(tr("Run the baseline and the variants on the prompt (Ctrl+Shift+Enter)"));
    m_cancelAction = new QAction(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Cancel Comparison"), this);
    m_cancelAction->setEnabled(false);
    connect(m_compareAction, &QAction::triggered, this, &CompareWorkspace::startCompare);
    connect(m_cancelAction, &QAction::triggered, this, &CompareWorkspace::cancelCompare);

    m_compareButton = new QPushButton(tr("Compare"));
    m_compareButton->setObjectName(QStringLiteral("compareButton"));
    m_compareButton->setToolTip(m_compareAction->toolTip());
    connect(m_compareButton, &QPushButton::clicked, m_compareAction, &QAction::trigger);
    m_cancelButton = new QPushButton(tr("Cancel"));
    m_cancelButton->setObjectName(QStringLiteral("compareCancel"));
    m_cancelButton->setEnabled(false);
    connect(m_cancelButton, &QPushButton::clicked, m_cancelAction, &QAction::trigger);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("compareProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(280);
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);   // long messages clip, never widen
    m_diffA = new QComboBox;
    m_diffA->setObjectName(QStringLiteral("differenceA"));
    m_diffB = new QComboBox;
    m_diffB->setObjectName(QStringLiteral("differenceB"));
    for (QComboBox* c : {m_diffA, m_diffB})
        c->setSizeAdjustPolicy(QComboBox::AdjustToContents);

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_compareButton);
    bar->addWidget(m_cancelButton);
    bar->addWidget(m_progress);
    bar->addWidget(m_status, 1);
    bar->addWidget(new QLabel(tr("Difference:")));
    bar->addWidget(m_diffA);
    bar->addWidget(new QLabel(QStringLiteral("−")));
    bar->addWidget(m_diffB);

    auto* panes = new QWidget;
    auto* paneRow = new QHBoxLayout(panes);
    paneRow->setContentsMargins(0, 0, 0, 0);
    paneRow->setSpacing(4);
    for (int i = 0; i < kMaxPanes; ++i) {
        m_panes[i] = new ComparePane;
        m_panes[i]->setObjectName(QStringLiteral("comparePane%1").arg(i));
        m_panes[i]->headerLabel()->setStyleSheet(QStringLiteral("color: %1;").arg(kPaneColours[i].name()));
        m_panes[i]->plot()->setRowLabelsVisible(i == 0);
        paneRow->addWidget(m_panes[i], 1);
    }
    m_diffPane = new ComparePane;
    m_diffPane->setObjectName(QStringLiteral("compareDifference"));
    m_diffPane->plot()->setRowLabelsVisible(false);
    paneRow->addWidget(m_diffPane, 1);
    m_hoverLabel = new QLabel;
    m_hoverLabel->setObjectName(QStringLiteral("compareHover"));
    m_hoverLabel->setTextFormat(Qt::PlainText);
    m_hoverLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(2);
    topLayout->addWidget(panes, 1);
    topLayout->addWidget(m_hoverLabel);

    m_editor = new VariantEditor;
    auto* editorScroll = new QScrollArea;
    editorScroll->setWidget(m_editor);
    editorScroll->setWidgetResizable(true);
    editorScroll->setMinimumWidth(260);
    m_metrics = new CompareMetricsModel(this);
    m_mass = new MassOutsideModel(this);
    m_metricsTable = makeTable(m_metrics, QStringLiteral("compareMetricsTable"));
    m_massTable = makeTable(m_mass, QStringLiteral("massOutsideTable"));
    auto* tables = new QSplitter(Qt::Vertical);
    tables->addWidget(m_metricsTable);
    tables->addWidget(m_massTable);
    tables->setStretchFactor(0, 1);
    tables->setStretchFactor(1, 2);
    m_curve = new KlCurveView;
    m_curve->setMinimumWidth(220);
    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(editorScroll);
    bottom->addWidget(tables);
    bottom->addWidget(m_curve);
    bottom->setSizes({290, 560, 380});
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("compareSplitter"));
    split->addWidget(top);
    split->addWidget(bottom);
    split->setSizes({620, 380});   // scaled to the real height on the first layout: the maps get most of it

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    addAction(m_compareAction);
}

void CompareWorkspace::connectSignals()
{
    connect(m_bridge, &SessionBridge::compareFinished, this, &CompareWorkspace::onFinished);
    connect(m_bridge, &SessionBridge::compareCancelled, this, [this](quint64 g) {
        if (g == m_generation)
            onEnded(false, m_outcome ? tr("Comparison cancelled; the previous one stays on screen") : tr("Comparison cancelled"));
    });
    connect(m_bridge, &SessionBridge::compareFailed, this, [this](quint64 g, const QString& message) {
        if (g != m_generation)
            return;
        onEnded(false, tr("Comparison failed: %1").arg(QString(message).replace(QLatin1Char('\n'), QLatin1Char(' '))));
        emit errorReported(tr("Comparison failed"), message);
    });
    connect(m_editor, &VariantEditor::variantsChanged, this, &CompareWorkspace::variantsChanged);
    connect(m_context, &SessionContext::modelChanged, this, [this] {
        OpenedModelPtr m = m_context->model();
        m_editor->setModel(m ? m->model : nullptr);
        if (m_outcome && (!m || m->path != m_outcome->modelPath))
            showOutcome(nullptr);   // the comparison belongs to the previous model
    });
    connect(m_context, &SessionContext::selectionChanged, this, [this](int layer) {
        m_mass->setLayer(layer);
        refreshMaps();
    });
    connect(m_context, &SessionContext::viewSettingsChanged, this, &CompareWorkspace::refreshMaps);
    connect(m_curve, &KlCurveView::positionHovered, this, [this](int p) {
        if (p >= 0)
            setQueryRow(p);
    });
    for (int i = 0; i < kMaxPanes + 1; ++i) {
        ComparePane* pane = i < kMaxPanes ? m_panes[i] : m_diffPane;
        ComparePlot* plot = pane->plot();
        connect(plot, &AttentionPlot::cellHovered, this, &CompareWorkspace::setHoveredCell);
        connect(plot, &AttentionPlot::cellClicked, this, [this](int q, int k) {
            setQueryRow(q);
            if (tokensMatchMainRun())
                m_context->setKey(k);
        });
        connect(plot, &AttentionPlot::rowLabelClicked, this, &CompareWorkspace::setQueryRow);
        connect(plot, &AttentionPlot::navigate, m_context, &SessionContext::step);
        connect(plot, &AttentionPlot::viewChanged, this, [this, plot] { syncZoom(plot); });
        plot->setHoverTextProvider([this](int q, int k) { return hoverSummary(q, k); });
    }
    auto diffChanged = [this] {
        if (m_diffA->currentIndex() >= 0 && m_diffB->currentIndex() >= 0)
            refreshMaps();
    };
    connect(m_diffA, &QComboBox::currentIndexChanged, this, diffChanged);
    connect(m_diffB, &QComboBox::currentIndexChanged, this, diffChanged);
    m_progressTimer.setInterval(100);
    connect(&m_progressTimer, &QTimer::timeout, this, &CompareWorkspace::updateProgress);
}

bool CompareWorkspace::startCompare()
{
    OpenedModelPtr model = m_context->model();
    if (!model) {
        emit errorReported(tr("No model"), tr("Open a model first (File ▸ Open), then compare its variants."));
        return false;
    }
    const QString text = m_promptText ? m_promptText() : QString();
    if (text.trimmed().isEmpty()) {
        m_status->setText(tr("Type some text in the prompt to compare on"));
        return false;
    }
    std::vector<AttentionSpec> specs;
    QString why;
    if (!m_editor->specs(specs, &why)) {
        m_status->setText(why);
        emit errorReported(tr("Cannot compare"), why);
        return false;
    }
    m_generation = m_bridge->compare(model, text, std::move(specs), m_context->layer(), m_runMode);
    setBusyUi(true);
    m_status->setText(tr("Comparing the baseline with %n variant(s)…", nullptr, static_cast<int>(m_editor->variantTexts().size())));
    return m_generation != 0;
}

void CompareWorkspace::cancelCompare()
{
    if (!m_bridge->isComparing())
        return;
    m_bridge->cancelCompare();
    m_status->setText(tr("Cancelling…"));
}

void CompareWorkspace::onFinished(quint64 generation, CompareOutcomePtr outcome)
{
    if (generation != m_generation || !outcome || !outcome->result)
        return;
    showOutcome(outcome);
    const CompareResult& r = *outcome->result;
    QString kept = outcome->longPrompt ? tr("long prompt: no T × T maps; the panes show layer %1 pooled while each run "
                                            "streamed (Compare again on another layer to see its grids)")
                                             .arg(outcome->capturedLayers.empty() ? 0 : outcome->capturedLayers.front())
                 : outcome->allLayers ? tr("maps of every layer kept")
                                      : tr("maps of layer %1 kept (Compare again on another layer to see its maps)")
                                            .arg(outcome->capturedLayers.empty() ? 0 : outcome->capturedLayers.front());
    QString head = r.hasLmHead ? tr("%1 tokens · baseline ppl %2").arg(r.shape.tokens).arg(r.baselinePerplexity, 0, 'f', 2)
                               : tr("%1 tokens · encoder: compared by output cosine").arg(r.shape.tokens);
    onEnded(true, tr("%1 · %2 s · %3").arg(head).arg(r.totalMs / 1000.0, 0, 'f', 1).arg(kept));
}

void CompareWorkspace::onEnded(bool finished, const QString& status)
{
    setBusyUi(false);
    m_status->setText(status);
    emit compareEnded(finished);
}

void CompareWorkspace::setBusyUi(bool running)
{
    m_cancelAction->setEnabled(running);
    m_cancelButton->setEnabled(running);
    m_progress->setVisible(running);
    if (running) {
        m_progress->setValue(0);
        m_progress->setFormat(tr("starting…"));
        m_progressTimer.start();
    } else {
        m_progressTimer.stop();
    }
}

void CompareWorkspace::updateProgress()
{
    if (!m_bridge->isComparing())
        return;
    m_progress->setValue(static_cast<int>(m_bridge->compareProgressFraction() * 1000.0));
    m_progress->setFormat(m_bridge->compareProgressText());
}

bool CompareWorkspace::isBusy() const
{
    if (m_bridge->isComparing() || m_prepRunning || m_prepDirty || m_diffPane->isBusy())
        return true;
    for (int i = 0; i < m_paneCount; ++i)
        if (m_panes[i]->isBusy())
            return true;
    return false;
}

void CompareWorkspace::showOutcome(CompareOutcomePtr outcome)
{
    m_outcome = std::move(outcome);
    const CompareResult* r = m_outcome ? m_outcome->result.get() : nullptr;
    m_paneCount = r ? std::min<int>(kMaxPanes, 1 + static_cast<int>(r->variants.size())) : 1;
    for (int i = 0; i < kMaxPanes; ++i) {
        m_panes[i]->setVisible(i < m_paneCount);
        m_panes[i]->setTokens(m_outcome ? m_outcome->tokens : nullptr);
    }
    m_diffPane->setVisible(m_paneCount > 1);
    m_diffPane->setTokens(m_outcome ? m_outcome->tokens : nullptr);
    m_metrics->setOutcome(m_outcome);
    m_mass->setOutcome(m_outcome);
    m_mass->setLayer(m_context->layer());
    m_query = -1;
    m_hover = {-1, -1};
    m_hoverLabel->clear();
    updateDifferenceChoices();
    updateCurve();
    refreshMaps();
    if (m_outcome && m_promptText)
        checkStale(m_promptText());
}

QString CompareWorkspace::paneName(int i) const
{
    if (i == 0)
        return tr("baseline");
    if (!m_outcome || !m_outcome->result || i - 1 >= static_cast<int>(m_outcome->result->variants.size()))
        return tr("variant %1").arg(i);
    return tr("%1: %2").arg(i).arg(QString::fromStdString(m_outcome->result->variants[static_cast<size_t>(i - 1)].spec.toString()));
}

void CompareWorkspace::updateDifferenceChoices()
{
    const QSignalBlocker ba(m_diffA), bb(m_diffB);
    m_diffA->clear();
    m_diffB->clear();
    for (int i = 0; i < m_paneCount; ++i) {
        const QString name = i == 0 ? tr("baseline") : tr("variant %1").arg(i);
        m_diffA->addItem(name, i);
        m_diffB->addItem(name, i);
    }
    m_diffA->setCurrentIndex(std::min(1, m_paneCount - 1));   // variant 1 − baseline
    m_diffB->setCurrentIndex(0);
    m_diffA->setEnabled(m_paneCount > 1);
    m_diffB->setEnabled(m_paneCount > 1);
}

void CompareWorkspace::setDifference(int a, int b)
{
    if (a < 0 || b < 0 || a >= m_paneCount || b >= m_paneCount)
        return;
    const QSignalBlocker ba(m_diffA), bb(m_diffB);
    m_diffA->setCurrentIndex(a);
    m_diffB->setCurrentIndex(b);
    refreshMaps();
}

void CompareWorkspace::updateCurve()
{
    if (!m_outcome || !m_outcome->result) {
        m_curve->clearCurves(tr("Compare to see the per-position curve"));
        return;
    }
    const CompareResult& r = *m_outcome->result;
    QVector<KlCurveView::Curve> curves;
    for (size_t i = 0; i < r.variants.size() && i + 1 < kMaxPanes; ++i) {
        const VariantComparison& v = r.variants[i];
        KlCurveView::Curve c;
        c.name = tr("%1: %2").arg(i + 1).arg(QString::fromStdString(v.spec.toString()));
        c.colour = kPaneColours[i + 1];
        const std::vector<double>& values = r.hasLmHead ? v.klPerPosition : v.cosinePerPosition;
        c.values = QVector<double>(values.begin(), values.end());
        curves.push_back(std::move(c));
    }
    // Long specs do not fit the legend side by side: name the curves by number (their colours match the panes').
    qsizetype chars = 0;
    for (const KlCurveView::Curve& c : curves)
        chars += c.name.size();
    if (chars > 48)
        for (int i = 0; i < curves.size(); ++i)
            curves[i].legend = tr("variant %1").arg(i + 1);
    QStringList labels;
    if (m_outcome->tokens)
        for (int p = 0; p < m_outcome->tokens->size(); ++p)
            labels << QStringLiteral("#%1 %2").arg(p).arg(m_outcome->tokens->at(p).display);
    m_curve->setPositionLabels(labels);
    m_curve->setCurves(curves, r.hasLmHead ? tr("KL(baseline ‖ variant), nats") : tr("cosine(baseline, variant)"));
}

void CompareWorkspace::refreshMaps()
{
    if (m_prepRunning) {
        m_prepDirty = true;
        return;
    }
    m_prepDirty = false;
    const int l = m_context->layer(), h = m_context->head();
    if (!m_outcome || !m_outcome->result) {
        m_panes[0]->setHeader(tr("baseline"));
        m_panes[0]->clear(tr("Add variants below and Compare (Ctrl+Shift+Enter)"));
        m_diffPane->clear(QString());
        return;
    }
    const CompareResult& r = *m_outcome->result;
    for (int i = 0; i < m_paneCount; ++i)
        m_panes[i]->setHeader(paneName(i), i > 0 ? QString::fromStdString(r.variants[size_t(i - 1)].spec.describe()) : QString());
    const int a = m_diffA->currentData().toInt(), b = m_diffB->currentData().toInt();
    m_diffPane->setHeader(tr("difference: %1 − %2").arg(m_diffA->currentText(), m_diffB->currentText()));
    if (m_outcome->longPrompt) {
        refreshPooled(l, h, a, b);
        return;
    }
    if (l >= r.shape.layers || h >= r.shape.heads || !m_outcome->hasLayer(l)) {
        const QString kept = m_outcome->capturedLayers.empty() ? QString() : QString::number(m_outcome->capturedLayers.front());
        for (int i = 0; i < m_paneCount; ++i)
            m_panes[i]->clear(tr("Layer %1 was not kept by this comparison (kept: layer %2): Compare again").arg(l).arg(kept));
        m_diffPane->clear(QString());
        return;
    }
    std::vector<AttentionMapPtr> maps;
    maps.push_back(r.baselineCaptures.map(l, h));
    for (int i = 1; i < m_paneCount; ++i)
        maps.push_back(r.variants[static_cast<size_t>(i - 1)].captures.map(l, h));
    m_prepRunning = true;
    const quint64 gen = ++m_prepGeneration;
    const CompareOutcomePtr keep = m_outcome;   // the maps live as long as the job
    runInBackground(this, [maps, a, b]() {
        Prepared p;
        p.maps = maps;
        for (const AttentionMapPtr& m : maps)
            if (m)
                p.sharedMax = std::max(p.sharedMax, maxMagnitude(HeatmapSource{m, nullptr}));
        if (a != b && a < static_cast<int>(maps.size()) && b < static_cast<int>(maps.size())) {
            p.diff = differenceMap(maps[static_cast<size_t>(a)], maps[static_cast<size_t>(b)]);
            if (p.diff)
                p.diffMax = maxMagnitude(HeatmapSource{p.diff, nullptr});
        }
        return p;
    }, [this, gen, l, h, a, b, keep](Prepared p) {
        m_prepRunning = false;
        const bool current = gen == m_prepGeneration && keep == m_outcome && l == m_context->layer() && h == m_context->head();
        if (current && !m_prepDirty) {
            ViewSettings settings = m_context->viewSettings();
            settings.data = DisplayData::Weights;
            const QString title = tr("Layer %1 · Head %2").arg(l).arg(h);
            const QString bar = colorbarLabel(settings, false);
            for (int i = 0; i < m_paneCount && i < static_cast<int>(p.maps.size()); ++i) {
                if (p.maps[static_cast<size_t>(i)])
                    m_panes[i]->setSource(HeatmapSource{p.maps[static_cast<size_t>(i)], nullptr}, settings, p.sharedMax, title, bar);
                else
                    m_panes[i]->clear(tr("Layer %1, head %2 was not kept").arg(l).arg(h));
            }
            if (p.diff) {
                ViewSettings signedSettings = settings;
                signedSettings.normalisation = Normalisation::Global;   // symmetric limits over the whole map
                const QString label = tr("Δ weight (%1 − %2)").arg(shortName(a), shortName(b));
                m_diffPane->setSource(HeatmapSource{p.diff, nullptr}, signedSettings, p.diffMax > 0 ? p.diffMax : 1e-6,
                                      title, label);
            } else {
                m_diffPane->clear(tr("Choose two different panes"));
            }
            for (int i = 0; i < m_paneCount; ++i)
                m_panes[i]->plot()->setQueryRow(m_query);
            m_diffPane->plot()->setQueryRow(m_query);
        }
        if (m_prepDirty || !current)
            refreshMaps();
    });
}

void CompareWorkspace::refreshPooled(int l, int h, int a, int b)
{
    // A long prompt: each run streamed its heads' maps pooled to ≤ 256² (max and mean) for the layer that was
    // selected when it ran; the panes draw those grids, the difference pane the mean-pooled difference.
    const CompareResult& r = *m_outcome->result;
    const int64_t T = r.shape.tokens;
    if (l >= r.shape.layers || h >= r.shape.heads || !m_outcome->hasLayer(l)) {
        const QString kept = m_outcome->capturedLayers.empty() ? QString() : QString::number(m_outcome->capturedLayers.front());
        for (int i = 0; i < m_paneCount; ++i)
            m_panes[i]->clear(tr("Layer %1 was not pooled by this comparison (pooled: layer %2): Compare again").arg(l).arg(kept));
        m_diffPane->clear(QString());
        return;
    }
    ViewSettings settings = m_context->viewSettings();
    settings.data = DisplayData::Weights;
    const bool mean = settings.pooling == Pooling::Mean;
    const QString what = mean ? tr("mean-pooled") : tr("max-pooled");
    std::vector<CapturedSeriesPtr> shown, means;
    std::vector<QString> why;
    for (int i = 0; i < m_paneCount; ++i) {
        const CaptureStore& c = i == 0 ? r.baselineCaptures : r.variants[size_t(i - 1)].captures;
        shown.push_back(c.series(mean ? Quantity::CoarseMean : Quantity::CoarseMax, l, h));
        means.push_back(c.series(Quantity::CoarseMean, l, h));
        QString reason;
        if (!shown.back()) {
            const AttentionSpec* spec = i > 0 ? &r.variants[size_t(i - 1)].spec : nullptr;
            reason = spec && spec->needsVariantOp()
                         ? tr("No pooled map at long length (%1 tokens): %2 builds whole maps, so it cannot stream "
                              "one (only mask patterns can)").arg(T).arg(QString::fromStdString(spec->toString()))
                         : tr("Layer %1, head %2 was not pooled").arg(l).arg(h);
        }
        why.push_back(reason);
    }
    std::vector<std::shared_ptr<const ValueGrid>> grids;
    double sharedMax = 0;
    for (const CapturedSeriesPtr& s : shown) {
        auto g = s ? std::make_shared<const ValueGrid>(coarseGridOf(*s, T)) : nullptr;
        if (g && g->rows <= 0)
            g.reset();
        if (g)
            sharedMax = std::max(sharedMax, g->sourceMax);
        grids.push_back(std::move(g));
    }
    for (int i = 0; i < m_paneCount; ++i) {
        const auto& g = grids[size_t(i)];
        if (!g) {
            m_panes[i]->clear(why[size_t(i)].isEmpty() ? tr("Layer %1, head %2 was not pooled").arg(l).arg(h) : why[size_t(i)]);
            continue;
        }
        // Short: the panes are narrow. The colourbar says how many tokens a cell pools.
        const QString t = tr("L%1 H%2 · %3 %4").arg(l).arg(h).arg(what, squared(g->rows));
        m_panes[i]->setPooledGrid(g, T, false, settings, sharedMax > 0 ? sharedMax : 1.0, t,
                                  tr("weight, %1 %2 (%3 tokens a cell)").arg(what, squared(g->rows)).arg(g->pool), what);
        m_panes[i]->plot()->setQueryRow(m_query);
    }
    if (a == b || a >= m_paneCount || b >= m_paneCount) {
        m_diffPane->clear(tr("Choose two different panes"));
    } else if (!means[size_t(a)] || !means[size_t(b)]) {
        m_diffPane->clear(tr("No difference map at long length: %1 has no pooled map")
                              .arg(!means[size_t(a)] ? shortName(a) : shortName(b)));
    } else {
        auto d = std::make_shared<const ValueGrid>(pooledMeanDifference(*means[size_t(a)], *means[size_t(b)], T));
        if (d->rows <= 0) {
            m_diffPane->clear(tr("The pooled grids do not match"));
        } else {
            ViewSettings signedSettings = settings;
            signedSettings.normalisation = Normalisation::Global;
            signedSettings.pooling = Pooling::Mean;
            const QString t = tr("L%1 H%2 · Δ mean-pooled %3").arg(l).arg(h).arg(squared(d->rows));
            m_diffPane->setPooledGrid(d, T, true, signedSettings, d->sourceMax > 0 ? d->sourceMax : 1e-6, t,
                                      tr("Δ weight (%1 − %2), mean-pooled").arg(shortName(a), shortName(b)),
                                      tr("mean-pooled Δ"));
            m_diffPane->setHeader(
                m_diffPane->headerLabel()->text(),
                tr("Exact: mean pooling is linear, so the difference of the two runs' mean-pooled grids is exactly the "
                   "mean-pooled difference map: each cell is the mean of (%1 − %2) over its cells that either run "
                   "may attend to.").arg(shortName(a), shortName(b)));
        }
        m_diffPane->plot()->setQueryRow(m_query);
    }
}

QVector<PanelSpec> CompareWorkspace::panelSpecs() const
{
    QStringList variants;
    if (m_outcome && m_outcome->result)
        for (int i = 1; i < m_paneCount; ++i)
            variants << QString::fromStdString(m_outcome->result->variants[static_cast<size_t>(i - 1)].spec.toString());
    const int a = m_diffA->currentIndex() >= 0 ? m_diffA->currentData().toInt() : 1;
    const int b = m_diffB->currentIndex() >= 0 ? m_diffB->currentData().toInt() : 0;
    QVector<PanelSpec> panels = comparePanels(m_context->layer(), m_context->head(), variants, a, b);
    const ComparePlot* plot = m_panes[0]->plot();
    const QCPRange y = plot->yAxis->range(), x = plot->xAxis->range();
    for (PanelSpec& p : panels) {
        if (p.kind == QLatin1String("kl_curve"))
            continue;
        p.query = m_query;
        setVisibleRanges(p, plot->cells(), y.lower, y.upper, x.lower, x.upper);   // every pane has the same zoom
    }
    return panels;
}

void CompareWorkspace::syncZoom(ComparePlot* from)
{
    if (m_syncingZoom || from->cells() <= 0)
        return;
    m_syncingZoom = true;
    const QCPRange x = from->xAxis->range(), y = from->yAxis->range();
    for (int i = 0; i < kMaxPanes + 1; ++i) {
        ComparePlot* p = i < kMaxPanes ? m_panes[i]->plot() : m_diffPane->plot();
        if (p == from || p->cells() != from->cells())
            continue;
        if (p->xAxis->range() != x || p->yAxis->range() != y)
            p->setViewRanges(x, y);
    }
    m_syncingZoom = false;
}

QString CompareWorkspace::hoverSummary(int query, int key) const
{
    if (query < 0 || key < 0 || !m_outcome || !m_outcome->tokens)
        return {};
    const TokenRows& t = *m_outcome->tokens;
    auto label = [&](int p) { return p < t.size() ? displayText(t[p].display, 48) : QString::number(p); };
    QStringList parts;
    parts << tr("query #%1 “%2” → key #%3 “%4”").arg(query).arg(label(query)).arg(key).arg(label(key));
    for (int i = 0; i < m_paneCount; ++i)
        parts << tr("%1: %2").arg(i == 0 ? tr("baseline") : tr("variant %1").arg(i), m_panes[i]->valueText(query, key));
    if (m_diffPane->isVisible() && !m_diffPane->source().empty())
        parts << tr("difference: %1").arg(m_diffPane->valueText(query, key));
    return parts.join(QLatin1Char('\n'));
}

void CompareWorkspace::setHoveredCell(int query, int key)
{
    const QPoint c(query, key);
    if (c == m_hover)
        return;
    m_hover = c;
    for (int i = 0; i < m_paneCount; ++i)
        m_panes[i]->showHover(query, key);
    m_diffPane->showHover(query, key);
    m_hoverLabel->setText(hoverSummary(query, key).replace(QLatin1Char('\n'), QStringLiteral(" · ")));
}

bool CompareWorkspace::tokensMatchMainRun() const
{
    const TokenRowsPtr mine = m_outcome ? m_outcome->tokens : nullptr;
    const TokenRowsPtr run = m_context->tokens();
    if (!mine || !run || mine->size() != run->size())
        return false;
    for (int i = 0; i < mine->size(); ++i)
        if (mine->at(i).id != run->at(i).id)
            return false;
    return true;
}

void CompareWorkspace::setQueryRow(int query)
{
    const int n = m_outcome && m_outcome->tokens ? static_cast<int>(m_outcome->tokens->size()) : 0;
    const int q = n > 0 && query >= 0 ? std::clamp(query, 0, n - 1) : -1;
    if (q == m_query)
        return;
    m_query = q;
    for (int i = 0; i < kMaxPanes; ++i)
        m_panes[i]->plot()->setQueryRow(q);
    m_diffPane->plot()->setQueryRow(q);
    if (m_curve->hoveredPosition() != q)
        m_curve->hoverPosition(q);
    if (q >= 0 && tokensMatchMainRun())
        m_context->setQuery(q);   // the token view shows the same token
    // Keep the row in view: pan the panes (they follow each other) when it is outside.
    ComparePlot* p = m_panes[0]->plot();
    if (q >= 0 && p->cells() > 0) {
        const QCPRange y = p->yAxis->range();
        if (q < y.lower || q > y.upper) {
            const double half = y.size() / 2;
            p->setViewRanges(p->xAxis->range(), QCPRange(q - half, q + half));
        }
    }
}

void CompareWorkspace::checkStale(const QString& promptText)
{
    if (!m_outcome)
        return;
    const bool stale = promptText != m_outcome->text;
    const QString note = tr(" · stale: the prompt changed since this comparison");
    QString s = m_status->text();
    if (stale && !s.endsWith(note))
        m_status->setText(s + note);
    else if (!stale && s.endsWith(note))
        m_status->setText(s.chopped(note.size()));
}

} // namespace attnscope
