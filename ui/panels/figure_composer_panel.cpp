// FigureComposerPanel: grid, cell list, cell editor, style, live preview.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/figure_composer_panel.h"

#include "core/metrics/head_metrics.h"
#include "ui/render/figure_panel.h"
#include "ui/session_context.h"
#include "ui/widgets/figure_preview.h"
#include "ui/widgets/figure_style_editor.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <cmath>

namespace attnscope {

namespace {

QString cellLetter(int i)
{
    return QStringLiteral("(%1)").arg(QChar(QLatin1Char('a').unicode() + i % 26));
}

QString describePanel(const PanelSpec& p)
{
    if (p.kind.isEmpty())
        return QObject::tr("empty");
    const auto kind = panelKind(p.kind);
    const QString name = kind ? kind->label() : p.kind;
    if (p.kind == QLatin1String("head") || p.kind == QLatin1String("token"))
        return QStringLiteral("%1 · layer %2, head %3").arg(name).arg(p.layer).arg(p.head);
    if (p.kind == QLatin1String("differential"))
        return QStringLiteral("%1 · %2 · layer %3, head %4")
            .arg(QObject::tr("Differential"),
                 p.quantity == QLatin1String("attention.probs2") ? QStringLiteral("λ·A2")
                 : p.quantity == QLatin1String("attention.combined") ? QStringLiteral("A1 − λ·A2") : QStringLiteral("A1"))
            .arg(p.layer).arg(p.head);
    if (p.kind == QLatin1String("compare"))
        return QStringLiteral("%1 · %2 · layer %3, head %4")
            .arg(QObject::tr("Compare"), p.variant.isEmpty() ? QObject::tr("baseline") : p.variant).arg(p.layer).arg(p.head);
    if (p.kind == QLatin1String("compare_diff")) {
        const QString b = p.extra.value(QStringLiteral("minus")).toString();
        return QStringLiteral("%1 · %2 − %3 · layer %4, head %5")
            .arg(QObject::tr("Compare difference"), p.variant.isEmpty() ? QObject::tr("baseline") : p.variant,
                 b.isEmpty() ? QObject::tr("baseline") : b)
            .arg(p.layer).arg(p.head);
    }
    if (p.kind == QLatin1String("gates"))
        return QStringLiteral("%1 · layer %2").arg(name).arg(p.layer);
    if (p.kind == QLatin1String("key"))
        return QStringLiteral("%1 · key #%2").arg(name).arg(p.key);
    if (p.kind == QLatin1String("scores") || p.kind == QLatin1String("ranking"))
        return QStringLiteral("%1 · %2").arg(name, p.metric);
    return name;
}

} // namespace

FigureComposerPanel::FigureComposerPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_rows(new QSpinBox)
    , m_cols(new QSpinBox)
    , m_cells(new QListWidget)
    , m_kind(new QComboBox)
    , m_quantity(new QComboBox)
    , m_layer(new QSpinBox)
    , m_head(new QSpinBox)
    , m_query(new QSpinBox)
    , m_key(new QSpinBox)
    , m_metric(new QComboBox)
    , m_title(new QLineEdit)
    , m_style(new FigureStyleEditor(true))
    , m_preview(new FigurePreview)
{
    setObjectName(QStringLiteral("figureComposer"));
    m_rows->setObjectName(QStringLiteral("composerRows"));
    m_cols->setObjectName(QStringLiteral("composerCols"));
    m_cells->setObjectName(QStringLiteral("composerCells"));
    m_kind->setObjectName(QStringLiteral("composerKind"));
    m_layer->setObjectName(QStringLiteral("composerLayer"));
    m_head->setObjectName(QStringLiteral("composerHead"));
    for (QSpinBox* s : {m_rows, m_cols})
        s->setRange(1, kMaxGridSide);
    m_layer->setRange(0, 4095);
    m_head->setRange(0, 4095);
    m_query->setRange(-1, 1 << 20);
    m_key->setRange(-1, 1 << 20);
    m_query->setSpecialValueText(tr("last"));
    m_key->setSpecialValueText(tr("first"));
    m_kind->addItem(tr("(empty)"), QString());
    for (const QString& id : panelKindIds())
        m_kind->addItem(panelKind(id)->label(), id);
    for (const QuantityInfo& q : quantitySchema())
        if (q.shape == QuantityShape::HeadMap)
            m_quantity->addItem(QString::fromUtf8(q.label), QString::fromUtf8(q.key));
    for (int i = 0; i < kHeadMetricCount; ++i) {
        const auto m = static_cast<HeadMetric>(i);
        m_metric->addItem(QString::fromStdString(headMetricLabel(m)), QString::fromUtf8(headMetricId(m)));
    }
    m_title->setPlaceholderText(tr("automatic"));

    auto* grid = new QHBoxLayout;
    grid->addWidget(new QLabel(tr("Grid:")));
    grid->addWidget(m_rows);
    grid->addWidget(new QLabel(QStringLiteral("×")));
    grid->addWidget(m_cols);
    grid->addStretch(1);
    auto* useView = new QPushButton(tr("Use current view"));
    useView->setObjectName(QStringLiteral("composerUseView"));
    useView->setToolTip(tr("Put what the current view shows into the selected cell (views of several panels fill the "
                           "empty cells after it, adding rows if needed)"));
    auto* clear = new QPushButton(tr("Clear cell"));
    auto* sameHead = new QPushButton(tr("Same head, spread layers"));
    sameHead->setObjectName(QStringLiteral("composerSameHead"));
    sameHead->setToolTip(tr("Fill every cell with the selected head at layers spread from the first to the last"));
    auto* cellButtons = new QHBoxLayout;
    cellButtons->addWidget(useView);
    cellButtons->addWidget(clear);
    cellButtons->addWidget(sameHead);
    auto* editor = new QFormLayout;
    editor->addRow(tr("Shows:"), m_kind);
    editor->addRow(tr("Quantity:"), m_quantity);
    auto* lh = new QHBoxLayout;
    lh->addWidget(m_layer);
    lh->addWidget(new QLabel(tr("head")));
    lh->addWidget(m_head);
    editor->addRow(tr("Layer:"), lh);
    auto* qk = new QHBoxLayout;
    qk->addWidget(m_query);
    qk->addWidget(new QLabel(tr("key")));
    qk->addWidget(m_key);
    editor->addRow(tr("Query:"), qk);
    editor->addRow(tr("Score:"), m_metric);
    editor->addRow(tr("Title:"), m_title);
    auto* cellBox = new QGroupBox(tr("Panels"));
    auto* cl = new QVBoxLayout(cellBox);
    cl->addLayout(grid);
    m_cells->setMinimumHeight(60);
    cl->addWidget(m_cells, 1);
    cl->addLayout(cellButtons);
    cl->addLayout(editor);
    auto* styleBox = new QGroupBox(tr("Figure"));
    auto* sl = new QVBoxLayout(styleBox);
    sl->addWidget(m_style);
    auto* exportButton = new QPushButton(tr("Export…"));
    exportButton->setObjectName(QStringLiteral("composerExport"));
    auto* copyButton = new QPushButton(tr("Copy"));
    auto* actions = new QHBoxLayout;
    actions->addStretch(1);
    actions->addWidget(copyButton);
    actions->addWidget(exportButton);
    auto* controls = new QWidget;
    auto* ctl = new QVBoxLayout(controls);
    ctl->setContentsMargins(0, 0, 0, 0);
    ctl->addWidget(cellBox, 1);
    ctl->addWidget(styleBox);
    auto* previewSide = new QWidget;
    auto* pl = new QVBoxLayout(previewSide);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(m_preview, 1);
    pl->addLayout(actions);
    // The controls scroll, so the dock can be short and leave the views their height.
    auto* scroll = new QScrollArea;
    scroll->setWidget(controls);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(controls->sizeHint().width() + 16);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(scroll);
    split->addWidget(previewSide);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    m_spec.rows = 1;
    m_spec.cols = 2;
    m_spec.panels = {PanelSpec{}, PanelSpec{}};
    m_spec.panels[0].kind.clear();
    m_spec.panels[1].kind.clear();
    m_spec.style.settings = context->viewSettings();
    m_style->setStyle(m_spec.style);
    rebuildList();

    m_sourceTimer.setSingleShot(true);
    m_sourceTimer.setInterval(150);
    connect(&m_sourceTimer, &QTimer::timeout, this, &FigureComposerPanel::refreshSource);
    connect(m_rows, &QSpinBox::valueChanged, this, [this](int r) { if (!m_loading) setGrid(r, m_spec.cols); });
    connect(m_cols, &QSpinBox::valueChanged, this, [this](int c) { if (!m_loading) setGrid(m_spec.rows, c); });
    connect(m_cells, &QListWidget::currentRowChanged, this, &FigureComposerPanel::loadEditor);
    for (QComboBox* c : {m_kind, m_quantity, m_metric})
        connect(c, &QComboBox::currentIndexChanged, this, &FigureComposerPanel::editorChanged);
    for (QSpinBox* s : {m_layer, m_head, m_query, m_key})
        connect(s, &QSpinBox::valueChanged, this, &FigureComposerPanel::editorChanged);
    connect(m_title, &QLineEdit::textChanged, this, &FigureComposerPanel::editorChanged);
    connect(m_style, &FigureStyleEditor::changed, this, [this] {
        const ViewSettings keep = m_spec.style.settings;
        m_spec.style = m_style->style();
        m_spec.style.settings = keep;
        changed();
    });
    connect(useView, &QPushButton::clicked, this, &FigureComposerPanel::useCurrentView);
    connect(clear, &QPushButton::clicked, this, [this] {
        PanelSpec empty;
        empty.kind.clear();
        setCell(selectedCell(), empty);
    });
    connect(sameHead, &QPushButton::clicked, this, &FigureComposerPanel::fillSameHeadAcrossLayers);
    connect(exportButton, &QPushButton::clicked, this, &FigureComposerPanel::exportRequested);
    connect(copyButton, &QPushButton::clicked, this, &FigureComposerPanel::copyRequested);
    connect(context, &SessionContext::viewSettingsChanged, this, [this] {
        m_spec.style.settings = m_context->viewSettings();
        changed();
    });
    for (auto sig : {&SessionContext::runStarted, &SessionContext::resultsCleared, &SessionContext::modelChanged})
        connect(context, sig, this, [this] { m_sourceTimer.start(); });
    connect(context, &SessionContext::reportChanged, this, [this] { m_sourceTimer.start(); });   // sink panels
    connect(context, &SessionContext::layerReady, this, [this] { m_sourceTimer.start(); });
    connect(context, &SessionContext::runEnded, this, [this] { refreshSource(); });
    connect(context, &SessionContext::staleChanged, this, [this] { m_sourceTimer.start(); });
}

FigureSpec FigureComposerPanel::spec() const
{
    return m_spec;
}

bool FigureComposerPanel::hasPanels() const
{
    for (const PanelSpec& p : m_spec.panels)
        if (!p.kind.isEmpty())
            return true;
    return false;
}

void FigureComposerPanel::setSpec(const FigureSpec& spec)
{
    m_spec = spec;
    m_spec.rows = std::clamp(m_spec.rows, 1, kMaxGridSide);
    m_spec.cols = std::clamp(m_spec.cols, 1, kMaxGridSide);
    while (m_spec.panels.size() < m_spec.rows * m_spec.cols) {
        PanelSpec empty;
        empty.kind.clear();
        m_spec.panels.append(empty);
    }
    m_spec.panels.resize(m_spec.rows * m_spec.cols);
    m_spec.style.settings = m_context->viewSettings();
    m_style->setStyle(m_spec.style);
    rebuildList();
    changed();
}

void FigureComposerPanel::setGrid(int rows, int cols)
{
    rows = std::clamp(rows, 1, kMaxGridSide);
    cols = std::clamp(cols, 1, kMaxGridSide);
    // Keep each panel at its (row, column) where it still fits.
    QVector<PanelSpec> panels(rows * cols);
    for (PanelSpec& p : panels)
        p.kind.clear();
    for (int r = 0; r < std::min(rows, m_spec.rows); ++r)
        for (int c = 0; c < std::min(cols, m_spec.cols); ++c)
            if (const PanelSpec* p = m_spec.panelAt(r, c))
                panels[r * cols + c] = *p;
    m_spec.rows = rows;
    m_spec.cols = cols;
    m_spec.panels = panels;
    rebuildList();
    changed();
}

int FigureComposerPanel::selectedCell() const
{
    return std::max(0, m_cells->currentRow());
}

void FigureComposerPanel::selectCell(int index)
{
    m_cells->setCurrentRow(std::clamp(index, 0, static_cast<int>(m_spec.panels.size()) - 1));
}

void FigureComposerPanel::setCell(int index, const PanelSpec& panel)
{
    if (index < 0 || index >= m_spec.panels.size())
        return;
    m_spec.panels[index] = panel;
    rebuildList();
    selectCell(index);
    changed();
}

void FigureComposerPanel::useCurrentView()
{
    const QVector<PanelSpec> panels = currentViewPanels ? currentViewPanels() : QVector<PanelSpec>();
    if (panels.isEmpty())
        return;
    const int first = selectedCell();
    if (first >= m_spec.panels.size())
        return;
    m_spec.panels[first] = panels.front();
    int cell = first;
    for (qsizetype k = 1; k < panels.size(); ++k) {
        do
            ++cell;
        while (cell < m_spec.panels.size() && !m_spec.panels[cell].kind.isEmpty());
        if (cell >= m_spec.panels.size()) {
            if (m_spec.rows >= kMaxGridSide)
                break;   // no room left: the rest is not placed
            ++m_spec.rows;
            for (int c = 0; c < m_spec.cols; ++c) {
                PanelSpec empty;
                empty.kind.clear();
                m_spec.panels.append(empty);
            }
        }
        m_spec.panels[cell] = panels[k];
    }
    rebuildList();
    selectCell(first);
    changed();
}

void FigureComposerPanel::fillSameHeadAcrossLayers()
{
    const int n = m_spec.rows * m_spec.cols;
    const int layers = std::max(1, m_context->layers());
    for (int i = 0; i < n; ++i) {
        PanelSpec p;
        p.layer = n > 1 ? static_cast<int>(std::lround(static_cast<double>(i) * (layers - 1) / (n - 1))) : m_context->layer();
        p.head = m_context->head();
        m_spec.panels[i] = p;
    }
    rebuildList();
    changed();
}

void FigureComposerPanel::refreshSource()
{
    if (sourceProvider)
        m_preview->setSource(sourceProvider());
}

void FigureComposerPanel::rebuildList()
{
    m_loading = true;
    const int current = m_cells->currentRow();
    {
        const QSignalBlocker b1(m_rows), b2(m_cols), b3(m_cells);
        m_rows->setValue(m_spec.rows);
        m_cols->setValue(m_spec.cols);
        m_cells->clear();
        int letter = 0;
        for (int i = 0; i < m_spec.panels.size(); ++i) {
            const PanelSpec& p = m_spec.panels[i];
            const QString where = tr("row %1, col %2").arg(i / m_spec.cols + 1).arg(i % m_spec.cols + 1);
            m_cells->addItem(p.kind.isEmpty() ? QStringLiteral("   %1: %2").arg(where, describePanel(p))
                                              : QStringLiteral("%1 %2: %3").arg(cellLetter(letter++), where, describePanel(p)));
        }
        m_cells->setCurrentRow(std::clamp(current, 0, m_cells->count() - 1));
    }
    m_loading = false;
    loadEditor();
}

void FigureComposerPanel::loadEditor()
{
    const int i = selectedCell();
    if (i >= m_spec.panels.size())
        return;
    const PanelSpec& p = m_spec.panels[i];
    m_loading = true;
    const QSignalBlocker b1(m_kind), b2(m_quantity), b3(m_layer), b4(m_head), b5(m_query), b6(m_key), b7(m_metric), b8(m_title);
    m_kind->setCurrentIndex(std::max(0, m_kind->findData(p.kind)));
    m_quantity->setCurrentIndex(std::max(0, m_quantity->findData(p.quantity)));
    m_layer->setValue(p.layer);
    m_head->setValue(p.head);
    m_query->setValue(p.query);
    m_key->setValue(p.key);
    m_metric->setCurrentIndex(std::max(0, m_metric->findData(p.metric)));
    m_title->setText(p.title);
    m_loading = false;
}

void FigureComposerPanel::editorChanged()
{
    if (m_loading)
        return;
    const int i = selectedCell();
    if (i >= m_spec.panels.size())
        return;
    PanelSpec& p = m_spec.panels[i];
    p.kind = m_kind->currentData().toString();
    p.quantity = m_quantity->currentData().toString();
    p.layer = m_layer->value();
    p.head = m_head->value();
    p.query = m_query->value();
    p.key = m_key->value();
    p.metric = m_metric->currentData().toString();
    p.title = m_title->text();
    {
        const QSignalBlocker b(m_cells);
        int letter = 0;
        for (int k = 0; k < i; ++k)
            letter += m_spec.panels[k].kind.isEmpty() ? 0 : 1;
        const QString where = tr("row %1, col %2").arg(i / m_spec.cols + 1).arg(i % m_spec.cols + 1);
        m_cells->item(i)->setText(p.kind.isEmpty() ? QStringLiteral("   %1: %2").arg(where, describePanel(p))
                                                   : QStringLiteral("%1 %2: %3").arg(cellLetter(letter), where, describePanel(p)));
    }
    changed();
}

void FigureComposerPanel::changed()
{
    m_preview->setSpec(m_spec);
    emit specChanged();
}

} // namespace attnscope
