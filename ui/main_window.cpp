// MainWindow construction: actions, menus, toolbars, docks, view controls and persisted settings.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "core/backend/backend_set.h"
#include "ui/panels/differential_panel.h"
#include "ui/panels/gate_view_panel.h"
#include "ui/compare/compare_workspace.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/render/figure_fonts.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/key_view_panel.h"
#include "ui/panels/model_info_panel.h"
#include "ui/panels/overview_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/panels/token_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/view_history.h"
#include "ui/widgets/attention_plot.h"
#include "ui/widgets/layer_head_heatmap.h"
#include "ui/widgets/overview_grid.h"
#include "ui/widgets/token_find_bar.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QStandardItemModel>
#include <QDockWidget>
#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

namespace attnscope {

MainWindow::MainWindow(std::unique_ptr<BackendSet> backends, bool persistent, QWidget* parent)
    : QMainWindow(parent)
    , m_bridge(new SessionBridge(std::move(backends), this))
    , m_context(new SessionContext(this))
{
    setObjectName(QStringLiteral("attnscopeMainWindow"));
    setWindowTitle(QStringLiteral("attnscope"));
    setWindowIcon(QIcon(QStringLiteral(":/attnscope/attnscope.svg")));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    figureFontFamily();   // registers the bundled figure font on the UI thread before any worker renders
    m_overview = new OverviewPanel(m_context);
    m_headView = new HeadViewPanel(m_context);
    m_tokenView = new TokenViewPanel(m_context);
    m_keyView = new KeyViewPanel(m_context);
    m_finder = new HeadFinderPanel(m_context);
    m_differential = new DifferentialPanel(m_context);
    m_sinks = new SinkPanel(m_context);
    m_gates = new GateViewPanel(m_context);
    m_compare = new CompareWorkspace(m_context, m_bridge, [this] { return m_prompt ? m_prompt->text() : QString(); });
    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("viewTabs"));
    // The order matches ViewKind.
    m_tabs->addTab(m_overview, tr("Overview"));
    m_tabs->addTab(m_headView, tr("Head"));
    m_tabs->addTab(m_tokenView, tr("Token"));
    m_tabs->addTab(m_keyView, tr("Key ← who attends"));
    m_tabs->addTab(m_finder, tr("Head finder"));
    m_tabs->addTab(m_differential, tr("Differential"));
    m_tabs->addTab(m_sinks, tr("Sinks"));
    m_tabs->addTab(m_gates, tr("Gates"));
    m_tabs->addTab(m_compare, tr("Compare"));
    m_tabs->setDocumentMode(true);
    m_staleBanner = new QLabel;
    m_staleBanner->setObjectName(QStringLiteral("staleBanner"));
    m_staleBanner->setWordWrap(true);
    m_staleBanner->setTextFormat(Qt::PlainText);
    m_staleBanner->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0c36c;"
                                                " padding: 4px 8px; }"));
    m_staleBanner->hide();
    m_findBar = new TokenFindBar(m_context);
    auto* central = new QWidget;
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_staleBanner);
    centralLayout->addWidget(m_tabs, 1);
    centralLayout->addWidget(m_findBar);
    setCentralWidget(central);
    m_history = new ViewHistory(m_context, m_headView->plot(), this);

    buildActions();
    buildFigureActions();
    buildDocks();
    buildComposerDock();
    buildMenus();
    buildToolBars();

    m_statusLabel = new QLabel;
    m_statusLabel->setObjectName(QStringLiteral("statusMessage"));
    m_statusLabel->setTextFormat(Qt::PlainText);   // messages quote file content: never markup
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("runProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(260);
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_statusCancel = new QToolButton;
    m_statusCancel->setDefaultAction(m_cancelAction);
    m_statusCancel->hide();
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_statusCancel);
    showStatus(tr("Backend: %1").arg(m_bridge->backendDescription()));

    m_progressTimer.setInterval(100);   // ~10 Hz polling of the compute thread's atomics (docs/ENGINE.md)
    connect(&m_progressTimer, &QTimer::timeout, this, &MainWindow::updateProgress);
    m_autosaveTimer.setSingleShot(true);
    m_autosaveTimer.setInterval(2000);
    connect(&m_autosaveTimer, &QTimer::timeout, this, &MainWindow::autosave);

    connectContext();
    connectBridge();
    connect(m_compare, &CompareWorkspace::errorReported, this, &MainWindow::reportError);
    connect(m_compare, &CompareWorkspace::variantsChanged, this, [this] {
        scheduleAutosave();
        if (!m_sessionPath.isEmpty())
            setWindowModified(true);
    });
    m_persistent = persistent;
    m_confirmLongRuns = qEnvironmentVariable("ATTNSCOPE_NO_LONG_RUN_DIALOG") != QStringLiteral("1");
    resize(1400, 900);
    if (m_persistent) {
        restoreSettings();
        restoreAutosave();
    }
    syncViewControls();
    if (m_prompt->text().isEmpty())
        m_prompt->setText(samplePrompt());
}

MainWindow::~MainWindow() = default;

QString MainWindow::samplePrompt()
{
    QFile f(QStringLiteral(":/attnscope/sample_prompt.txt"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("The quick brown fox jumps over the lazy dog.");
    return QString::fromUtf8(f.readAll()).trimmed();
}

void MainWindow::buildActions()
{
    m_openAction = new QAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a model (.gguf, .safetensors, model folder) or a session (.attnscope)"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::chooseAndOpen);
    m_openFolderAction = new QAction(QIcon::fromTheme(QStringLiteral("folder-open")), tr("Open Model &Folder…"), this);
    m_openFolderAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_openFolderAction->setToolTip(tr("Open a Hugging Face model folder (config.json, safetensors, tokenizer.json)"));
    connect(m_openFolderAction, &QAction::triggered, this, &MainWindow::chooseAndOpenFolder);
    m_findAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-find")), tr("&Find Token…"), this);
    m_findAction->setShortcut(QKeySequence::Find);
    m_findAction->setToolTip(tr("Find text in the prompt's tokens and move the query (or key) there (Ctrl+F)"));
    connect(m_findAction, &QAction::triggered, this, [this] { m_findBar->open(); });
    m_openTextAction = new QAction(tr("Open &Text…"), this);
    connect(m_openTextAction, &QAction::triggered, this, &MainWindow::chooseAndOpenText);
    m_saveSessionAction = new QAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save Session…"), this);
    m_saveSessionAction->setShortcut(QKeySequence::Save);
    connect(m_saveSessionAction, &QAction::triggered, this, &MainWindow::chooseAndSaveSession);
    m_runAction = new QAction(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("&Run"), this);
    m_runAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    m_runAction->setToolTip(tr("Run the model on the prompt (Ctrl+Enter)"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::runPrompt);
    m_cancelAction = new QAction(QIcon::fromTheme(QStringLiteral("process-stop")), tr("&Cancel"), this);
    m_cancelAction->setShortcut(Qt::Key_Escape);
    m_cancelAction->setEnabled(false);
    connect(m_cancelAction, &QAction::triggered, this, &MainWindow::cancelRun);
    addAction(m_runAction);
    addAction(m_cancelAction);
    addAction(m_findAction);
}

void MainWindow::buildDocks()
{
    m_modelInfo = new ModelInfoPanel(m_context);
    auto* infoDock = new QDockWidget(tr("Model"), this);
    infoDock->setObjectName(QStringLiteral("modelInfoDock"));
    infoDock->setWidget(m_modelInfo);
    addDockWidget(Qt::LeftDockWidgetArea, infoDock);

    m_prompt = new PromptPanel(m_context);
    auto* promptDock = new QDockWidget(tr("Prompt"), this);
    promptDock->setObjectName(QStringLiteral("promptDock"));
    promptDock->setWidget(m_prompt);
    addDockWidget(Qt::LeftDockWidgetArea, promptDock);
    connect(m_prompt, &PromptPanel::runRequested, this, &MainWindow::runPrompt);
    connect(m_prompt, &PromptPanel::cancelRequested, this, &MainWindow::cancelRun);
    connect(m_prompt, &PromptPanel::openTextRequested, this, &MainWindow::chooseAndOpenText);
    connect(m_prompt, &PromptPanel::inductionProbeRequested, this, &MainWindow::startInductionProbe);
    connect(m_prompt, &PromptPanel::textEdited, this, &MainWindow::scheduleAutosave);
    connect(m_prompt, &PromptPanel::textEdited, this, &MainWindow::updateStale);
    connect(m_prompt, &PromptPanel::textEdited, this, [this] { m_compare->checkStale(m_prompt->text()); });
    connect(m_prompt, &PromptPanel::textEdited, this, [this] {
        if (!m_sessionPath.isEmpty())
            setWindowModified(true);
    });
    resizeDocks({infoDock, promptDock}, {360, 360}, Qt::Horizontal);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    file->addAction(m_openFolderAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    file->addAction(m_openTextAction);
    file->addSeparator();
    file->addAction(m_saveSessionAction);
    file->addSeparator();
    file->addAction(m_exportFigureAction);
    file->addAction(m_exportDataAction);
    file->addAction(m_exportRunDataAction);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_history->stack()->createUndoAction(this, tr("&Undo"));
    undo->setObjectName(QStringLiteral("undoAction"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_history->stack()->createRedoAction(this, tr("&Redo"));
    redo->setObjectName(QStringLiteral("redoAction"));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(m_copyFigureAction);
    edit->addAction(m_findAction);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_runAction);
    run->addAction(m_cancelAction);
    run->addSeparator();
    run->addAction(m_compare->compareAction());
    run->addAction(m_compare->cancelAction());

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    const QString names[kViewKindCount] = {tr("&Overview"), tr("&Head View"), tr("&Token View"),
                                           tr("&Key View (who attends to a token)"), tr("Head &Finder"),
                                           tr("&Differential View (A1, λ·A2, A1 − λ·A2)"), tr("&Sink View"),
                                           tr("&Gates"),
                                           tr("&Compare Variants")};
    for (int i = 0; i < kViewKindCount; ++i) {
        const auto kinds = [](int k) { return static_cast<ViewKind>(k); };
        QAction* a = m_viewMenu->addAction(names[i], this, [this, k = kinds(i)] { setView(k); });
        a->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
    }
    m_viewMenu->addSeparator();
    QAction* reset = m_viewMenu->addAction(tr("Reset &Zoom"), this, [this] {
        m_headView->plot()->resetView();
        m_headView->plot()->replot();
        emit m_headView->plot()->userZoomed();   // undoable like any other zoom
    });
    reset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    m_viewMenu->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>())
        m_viewMenu->addAction(d->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About attnscope"), this, [this] {
        QMessageBox::about(this, tr("About attnscope"),
                           tr("<b>attnscope</b> %1<br>A desktop inspector for transformer attention.<br><br>"
                              "Attention weights show where a head reads from, not why the model predicts what it "
                              "does: they are not explanations (Jain &amp; Wallace 2019).<br><br>"
                              "Colormaps viridis, magma, cividis from matplotlib; RdBu from ColorBrewer.<br>"
                              "Licence: GPL-3.0-or-later.").arg(QApplication::applicationVersion()));
    });
}

void MainWindow::buildToolBars()
{
    QToolBar* fileBar = addToolBar(tr("File"));
    fileBar->setObjectName(QStringLiteral("fileToolBar"));
    fileBar->addAction(m_openAction);
    fileBar->addAction(m_saveSessionAction);
    fileBar->addSeparator();
    fileBar->addAction(m_runAction);
    fileBar->addAction(m_cancelAction);

    QToolBar* viewBar = addToolBar(tr("View"));
    viewBar->setObjectName(QStringLiteral("viewToolBar"));
    m_layerSpin = new QSpinBox;
    m_layerSpin->setObjectName(QStringLiteral("layerSpin"));
    m_layerSpin->setPrefix(tr("layer "));
    m_layerSpin->setToolTip(tr("Layer (Up/Down or PgUp/PgDn in the head view)"));
    m_headSpin = new QSpinBox;
    m_headSpin->setObjectName(QStringLiteral("headSpin"));
    m_headSpin->setPrefix(tr("head "));
    m_headSpin->setToolTip(tr("Head (Left/Right in the head view)"));
    m_colormapCombo = new QComboBox;
    m_colormapCombo->setObjectName(QStringLiteral("colormapCombo"));
    for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::Cividis, Colormap::Grey})
        m_colormapCombo->addItem(colormapLabel(c), colormapId(c));
    m_colormapCombo->setToolTip(tr("Colormap (signed data always uses the diverging RdBu map)"));
    m_scaleCombo = new QComboBox;
    m_scaleCombo->setObjectName(QStringLiteral("scaleCombo"));
    m_scaleCombo->addItem(tr("linear"), scaleId(ScaleKind::Linear));
    m_scaleCombo->addItem(tr("log"), scaleId(ScaleKind::Log));
    m_scaleCombo->addItem(tr("power ½"), scaleId(ScaleKind::Power));
    m_normCombo = new QComboBox;
    m_normCombo->setObjectName(QStringLiteral("normalisationCombo"));
    m_normCombo->addItem(tr("global range"), normalisationId(Normalisation::Global));
    m_normCombo->addItem(tr("per-row range"), normalisationId(Normalisation::PerRow));
    m_dataCombo = new QComboBox;
    m_dataCombo->setObjectName(QStringLiteral("dataCombo"));
    m_dataCombo->addItem(tr("weights"), displayDataId(DisplayData::Weights));
    m_dataCombo->addItem(tr("Δ vs. layer mean (signed)"), displayDataId(DisplayData::DiffFromLayerMean));
    m_poolCombo = new QComboBox;
    m_poolCombo->setObjectName(QStringLiteral("poolingCombo"));
    m_poolCombo->addItem(tr("max-pool"), poolingId(Pooling::Max));
    m_poolCombo->addItem(tr("mean-pool"), poolingId(Pooling::Mean));
    m_poolCombo->setToolTip(tr("When a map has more tokens than pixels, each pixel shows the largest value of its "
                               "block (max: sinks and diagonals stay visible) or the block's mean"));
    viewBar->addWidget(m_layerSpin);
    viewBar->addWidget(m_headSpin);
    viewBar->addSeparator();
    viewBar->addWidget(m_colormapCombo);
    viewBar->addWidget(m_scaleCombo);
    viewBar->addWidget(m_normCombo);
    viewBar->addWidget(m_dataCombo);
    viewBar->addWidget(m_poolCombo);

    connect(m_layerSpin, &QSpinBox::valueChanged, this, [this](int l) { m_context->select(l, m_context->head()); });
    connect(m_headSpin, &QSpinBox::valueChanged, this, [this](int h) { m_context->select(m_context->layer(), h); });
    for (QComboBox* c : {m_colormapCombo, m_scaleCombo, m_normCombo, m_dataCombo, m_poolCombo})
        connect(c, &QComboBox::currentIndexChanged, this, &MainWindow::applyViewControls);
}

void MainWindow::connectContext()
{
    connect(m_context, &SessionContext::selectionChanged, this, [this] { syncViewControls(); scheduleAutosave(); });
    connect(m_context, &SessionContext::modelChanged, this, &MainWindow::syncViewControls);
    connect(m_context, &SessionContext::runStarted, this, &MainWindow::syncViewControls);
    connect(m_context, &SessionContext::layerReady, this, &MainWindow::syncDeltaItem);
    connect(m_context, &SessionContext::viewSettingsChanged, this, [this] { syncViewControls(); scheduleAutosave(); });
    connect(m_context, &SessionContext::viewChanged, this, [this](ViewKind v) {
        m_tabs->setCurrentIndex(static_cast<int>(v));
        // The view's keyboard navigation works at once.
        switch (v) {
        case ViewKind::Overview: m_overview->grid()->setFocus(); break;
        case ViewKind::Head: m_headView->setFocus(); break;
        case ViewKind::Token: m_tokenView->setFocus(); break;
        case ViewKind::Key: m_keyView->setFocus(); break;
        case ViewKind::Finder: m_finder->table()->setFocus(); break;
        case ViewKind::Differential: m_differential->plot(DifferentialPanel::A1)->setFocus(); break;
        case ViewKind::Sink: m_sinks->heatmap()->setFocus(); break;
        case ViewKind::Gates: m_gates->setFocus(); break;
        case ViewKind::Compare: m_compare->setFocus(); break;
        }
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int i) { m_context->setView(static_cast<ViewKind>(i)); });
    auto open = [this](int l, int h) {
        m_context->select(l, h);
        setView(ViewKind::Head);
    };
    connect(m_overview, &OverviewPanel::headActivated, this, open);
    connect(m_finder, &HeadFinderPanel::headActivated, this, open);
    connect(m_keyView, &KeyViewPanel::headActivated, this, open);
    connect(m_sinks, &SinkPanel::variantRunRequested, this, &MainWindow::runPromptWithVariant);
    connect(m_context, &SessionContext::staleChanged, this, [this](bool stale) {
        if (!stale) {
            m_staleBanner->hide();
            return;
        }
        // Name the tokens the maps belong to: the run's text, elided in the middle.
        QByteArray bytes;
        const TokenRowsPtr tokens = m_context->tokens();
        for (const TokenRow& t : *tokens)
            bytes += t.bytes;
        QString text = QString::fromUtf8(bytes).simplified();
        if (text.size() > 140)
            text = text.left(90) + QStringLiteral(" … ") + text.right(45);
        m_staleBanner->setText(tr("The maps on screen were computed for the previous prompt (%1 tokens): “%2”. "
                                  "Run (Ctrl+Enter) to compute them for the text as it is now.")
                                   .arg(tokens->size()).arg(text));
        m_staleBanner->show();
    });
    connect(m_history->stack(), &QUndoStack::indexChanged, this, [this] {
        if (!m_sessionPath.isEmpty())
            setWindowModified(true);
    });
}

QUndoStack* MainWindow::undoStack() const
{
    return m_history->stack();
}

void MainWindow::syncViewControls()
{
    const QSignalBlocker b1(m_layerSpin), b2(m_headSpin), b3(m_colormapCombo), b4(m_scaleCombo), b5(m_normCombo),
        b6(m_dataCombo), b7(m_poolCombo);
    m_layerSpin->setRange(0, std::max(0, m_context->layers() - 1));
    m_headSpin->setRange(0, std::max(0, m_context->heads() - 1));
    m_layerSpin->setValue(m_context->layer());
    m_headSpin->setValue(m_context->head());
    const ViewSettings& s = m_context->viewSettings();
    m_colormapCombo->setCurrentIndex(std::max(0, m_colormapCombo->findData(colormapId(s.colormap))));
    m_scaleCombo->setCurrentIndex(std::max(0, m_scaleCombo->findData(scaleId(s.scale))));
    m_normCombo->setCurrentIndex(std::max(0, m_normCombo->findData(normalisationId(s.normalisation))));
    m_dataCombo->setCurrentIndex(std::max(0, m_dataCombo->findData(displayDataId(s.data))));
    m_poolCombo->setCurrentIndex(std::max(0, m_poolCombo->findData(poolingId(s.pooling))));
    m_scaleCombo->setEnabled(!s.isSigned());
    m_colormapCombo->setEnabled(!s.isSigned());
    syncDeltaItem();
}

void MainWindow::setRunMode(RunMode mode)
{
    m_runMode = mode;
    if (m_compare)
        m_compare->setRunMode(mode);
}

void MainWindow::syncDeltaItem()
{
    // Δ vs. the layer mean needs every head's map of the layer at each cell; a long run keeps none
    // (docs/LONG-CONTEXT.md), so the choice is disabled there and says why. A Δ setting from before still shows
    // the head view's message.
    auto* model = qobject_cast<QStandardItemModel*>(m_dataCombo->model());
    QStandardItem* item = model ? model->item(m_dataCombo->findData(displayDataId(DisplayData::DiffFromLayerMean))) : nullptr;
    if (!item)
        return;
    const bool longRun = m_context->isLongRun();
    if (item->isEnabled() == !longRun)
        return;
    item->setEnabled(!longRun);
    const QString why = longRun ? tr("Δ vs. layer mean needs every head's map; a long prompt (over %1 tokens) keeps none")
                                      .arg(kLongPromptTokens)
                                : QString();
    item->setToolTip(why);
    m_dataCombo->setToolTip(why);
}

void MainWindow::applyViewControls()
{
    ViewSettings s = m_context->viewSettings();
    Colormap c;
    if (colormapFromId(m_colormapCombo->currentData().toString(), c))
        s.colormap = c;
    const QString scale = m_scaleCombo->currentData().toString();
    for (ScaleKind k : {ScaleKind::Linear, ScaleKind::Log, ScaleKind::Power})
        if (scale == scaleId(k))
            s.scale = k;
    s.normalisation = m_normCombo->currentData().toString() == normalisationId(Normalisation::PerRow)
                          ? Normalisation::PerRow : Normalisation::Global;
    s.data = m_dataCombo->currentData().toString() == displayDataId(DisplayData::DiffFromLayerMean)
                 ? DisplayData::DiffFromLayerMean : DisplayData::Weights;
    s.pooling = m_poolCombo->currentData().toString() == poolingId(Pooling::Mean) ? Pooling::Mean : Pooling::Max;
    m_context->setViewSettings(s);
}

void MainWindow::setView(ViewKind view)
{
    m_context->setView(view);
    m_tabs->setCurrentIndex(static_cast<int>(view));
}

void MainWindow::restoreSettings()
{
    QSettings st;
    restoreGeometry(st.value(QStringLiteral("window/geometry")).toByteArray());
    m_layoutRestored = restoreState(st.value(QStringLiteral("window/state")).toByteArray());
    m_recent = st.value(QStringLiteral("recentFiles")).toStringList();
    rebuildRecentMenu();
    const QByteArray figure = st.value(QStringLiteral("preferences/figure")).toByteArray();
    if (!figure.isEmpty()) {
        FigureSpec f;
        const QJsonDocument doc = QJsonDocument::fromJson(figure);
        if (doc.isObject() && figureSpecFromJson(doc.object(), f))
            m_figureStyle = f.style;
    }
    const QByteArray view = st.value(QStringLiteral("preferences/viewSettings")).toByteArray();
    if (!view.isEmpty()) {
        const QJsonDocument doc = QJsonDocument::fromJson(view);
        if (doc.isObject())
            m_context->setViewSettings(viewSettingsFromJson(doc.object()));
    }
    syncViewControls();
}

void MainWindow::saveSettings()
{
    if (!m_persistent)
        return;
    QSettings st;
    st.setValue(QStringLiteral("window/geometry"), saveGeometry());
    st.setValue(QStringLiteral("window/state"), saveState());
    st.setValue(QStringLiteral("recentFiles"), m_recent);
    st.setValue(QStringLiteral("preferences/viewSettings"),
                QJsonDocument(toJson(m_context->viewSettings())).toJson(QJsonDocument::Compact));
    FigureSpec prefs;
    prefs.style = m_figureStyle;
    st.setValue(QStringLiteral("preferences/figure"), QJsonDocument(toJson(prefs)).toJson(QJsonDocument::Compact));
}

void MainWindow::showEvent(QShowEvent* event)
{
    QMainWindow::showEvent(event);
    if (m_docksSized || m_layoutRestored)
        return;
    m_docksSized = true;
    // The docks take about a quarter of the window; the views get the rest (their content follows the width).
    // After the first layout pass: sizes set while the window is being shown are overridden by it.
    QTimer::singleShot(0, this, [this] {
        const int w = std::clamp(width() / 4, 260, 380);
        QList<QDockWidget*> docks;
        for (const char* name : {"modelInfoDock", "promptDock"})
            if (auto* d = findChild<QDockWidget*>(QString::fromLatin1(name)))
                docks << d;
        resizeDocks(docks, QList<int>(docks.size(), w), Qt::Horizontal);
    });
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    autosave();
    saveSettings();
    m_bridge->cancelRun();
    QMainWindow::closeEvent(event);
}

} // namespace attnscope
