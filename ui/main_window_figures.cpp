// MainWindow: figures and data (docs/FIGURES.md, docs/EXPORT.md) — File ▸ Export Figure (the current view, with a
// live preview and style controls), Edit ▸ Copy Figure (Ctrl+C in a view: PNG and SVG on the clipboard), File ▸
// Export View Data / Export Run Data, and the figure composer dock. Rendering and writing happen on workers,
// files are written atomically, failures say why and leave the previous file intact.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "ui/background_job.h"
#include "ui/compare/compare_workspace.h"
#include "ui/figure_context.h"
#include "ui/panels/figure_composer_panel.h"
#include "ui/panels/gate_view_panel.h"
#include "ui/panels/differential_panel.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/overview_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/render/figure_data.h"
#include "ui/render/figure_export.h"
#include "ui/view_figure.h"
#include "ui/widgets/figure_export_dialog.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>

namespace attnscope {

void MainWindow::buildFigureActions()
{
    m_exportFigureAction = new QAction(tr("Export &Figure…"), this);
    m_exportFigureAction->setObjectName(QStringLiteral("exportFigureAction"));
    m_exportFigureAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportFigureAction->setToolTip(tr("The current view as a paper figure: PDF (vector), SVG or PNG"));
    connect(m_exportFigureAction, &QAction::triggered, this, [this] { chooseAndExportFigure(false); });
    m_exportDataAction = new QAction(tr("Export View &Data…"), this);
    m_exportDataAction->setObjectName(QStringLiteral("exportDataAction"));
    m_exportDataAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_exportDataAction->setToolTip(tr("The numbers behind the current view's figure: HDF5, .npz, .npy or CSV"));
    connect(m_exportDataAction, &QAction::triggered, this, [this] { chooseAndExportData(false); });
    m_exportRunDataAction = new QAction(tr("Export &Run Data…"), this);
    m_exportRunDataAction->setToolTip(tr("Every captured quantity of the run: HDF5 or .npz"));
    connect(m_exportRunDataAction, &QAction::triggered, this, [this] { chooseAndExportData(true); });
    // Ctrl+C copies the view's figure while a view has the focus; the prompt editor keeps its own Ctrl+C.
    m_copyFigureAction = new QAction(tr("&Copy Figure"), this);
    m_copyFigureAction->setObjectName(QStringLiteral("copyFigureAction"));
    m_copyFigureAction->setShortcut(QKeySequence::Copy);
    m_copyFigureAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_copyFigureAction, &QAction::triggered, this, [this] { copyFigure(currentFigureSpec()); });
    m_tabs->addAction(m_copyFigureAction);
}

void MainWindow::buildComposerDock()
{
    m_composer = new FigureComposerPanel(m_context);
    m_composer->currentViewPanels = [this] { return currentFigureSpec().panels; };
    m_composer->sourceProvider = [this] { return figureSource(); };
    m_composerDock = new QDockWidget(tr("Figure composer"), this);
    m_composerDock->setObjectName(QStringLiteral("composerDock"));
    m_composerDock->setWidget(m_composer);
    addDockWidget(Qt::BottomDockWidgetArea, m_composerDock);
    m_composerDock->hide();
    connect(m_composerDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible)
            m_composer->refreshSource();
    });
    connect(m_composer, &FigureComposerPanel::specChanged, this, &MainWindow::scheduleAutosave);
    connect(m_composer, &FigureComposerPanel::exportRequested, this, [this] { chooseAndExportFigure(true); });
    connect(m_composer, &FigureComposerPanel::copyRequested, this, [this] { copyFigure(m_composer->spec()); });
    // Compare panes are drawn from the comparison on screen: a new one is new data for the preview.
    connect(m_compare, &CompareWorkspace::compareEnded, m_composer, [this] {
        if (m_composerDock->isVisible())
            m_composer->refreshSource();
    });
}

FigureSourcePtr MainWindow::figureSource() const
{
    return figureSourceFromContext(*m_context, m_compare->outcome());
}

FigureSpec MainWindow::currentFigureSpec() const
{
    FigureStyle style = m_figureStyle;
    style.settings = m_context->viewSettings();
    const ViewKind view = m_context->view();
    if (view == ViewKind::Head)
        return FigureSpec::single(m_headView->panelSpec(), style);
    if (view == ViewKind::Overview) {
        FigureSpec f;
        f.panels = m_overview->panelSpecs();
        f.rows = 1;
        f.cols = static_cast<int>(f.panels.size());
        f.style = style;
        return f;
    }
    // Views of several panels build them from their own state (zoom, pinned runs, panes).
    if (view == ViewKind::Differential)
        return viewPanelsFigure(view, m_differential->panelSpecs(), style);
    if (view == ViewKind::Sink)
        return viewPanelsFigure(view, m_sinks->panelSpecs(), style);
    if (view == ViewKind::Compare)
        return viewPanelsFigure(view, m_compare->panelSpecs(), style);
    if (view == ViewKind::Gates) {
        // The layer's gate grid, of the series the view shows (a Gated DeltaNet layer's β, decay or SiLU(z)).
        FigureSpec f = viewFigureSpec(view, m_context->layer(), m_context->head(), m_context->query(), m_context->key(),
                                      m_context->metric(), m_context->viewSettings(), style);
        f.panels[0].quantity = QString::fromUtf8(quantityInfo(m_gates->shownQuantity()).key);
        return f;
    }
    HeadMetric metric = m_context->metric();
    if (view == ViewKind::Finder)
        headMetricFromId(m_finder->scoreCombo()->currentData().toString().toStdString(), metric);
    return viewFigureSpec(view, m_context->layer(), m_context->head(), m_context->query(), m_context->key(), metric,
                          m_context->viewSettings(), style);
}

QString MainWindow::suggestedFigurePath(const QString& ext) const
{
    const QString dir = !m_lastExportDir.isEmpty() ? m_lastExportDir
                                                   : QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString base = m_context->view() == ViewKind::Head
                             ? QStringLiteral("attention-L%1-H%2").arg(m_context->layer()).arg(m_context->head())
                             : QStringLiteral("attnscope-%1").arg(viewKindId(m_context->view()));
    return QDir(dir).filePath(base + QLatin1Char('.') + ext);
}

void MainWindow::chooseAndExportFigure(bool fromComposer)
{
    if (!m_context->tokens()) {
        reportError(tr("Nothing to export"), tr("Run the model first: figures are drawn from the run's maps."));
        return;
    }
    FigureSpec spec = fromComposer ? m_composer->spec() : currentFigureSpec();
    FigureExportDialog dialog(spec, figureSource(),
                              fromComposer ? QDir(m_lastExportDir).filePath(QStringLiteral("figure.pdf")) : suggestedFigurePath(QStringLiteral("pdf")),
                              this);
    connect(&dialog, &FigureExportDialog::copyRequested, this, &MainWindow::copyFigure);
    if (dialog.exec() != QDialog::Accepted || dialog.path().isEmpty())
        return;
    spec = dialog.spec();
    if (fromComposer) {
        m_composer->setSpec(spec);
    } else {
        m_figureStyle = spec.style;
    }
    m_lastExportDir = QFileInfo(dialog.path()).absolutePath();
    exportFigureTo(spec, dialog.path());
}

void MainWindow::exportFigureTo(const FigureSpec& spec, const QString& path)
{
    ++m_pendingIo;
    showStatus(tr("Exporting %1…").arg(QFileInfo(path).fileName()));
    runInBackground(this, [spec, path, source = figureSource()]() {
        const FigureRenderer figure(spec, source);
        QString error;
        if (!exportFigure(figure, path, spec.style.dpi, &error))
            return error;
        return QString();
    }, [this, path](QString error) {
        --m_pendingIo;
        if (!error.isEmpty()) {
            reportError(tr("Cannot export figure"), error);
            return;
        }
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 6000);
        emit figureExported(path);
    });
}

void MainWindow::copyFigure(const FigureSpec& spec)
{
    if (!m_context->tokens()) {
        showStatus(tr("Nothing to copy: run the model first"), 4000);
        return;
    }
    ++m_pendingIo;
    runInBackground(this, [spec, source = figureSource()]() { return renderClipboardFigure(spec, source); },
                    [this](ClipboardFigure figure) {
                        --m_pendingIo;
                        setClipboardFigure(figure);
                        showStatus(tr("Figure copied (PNG and SVG)"), 4000);
                        emit figureCopied();
                    });
}

void MainWindow::chooseAndExportData(bool wholeRun)
{
    if (!m_context->tokens()) {
        reportError(tr("Nothing to export"), tr("Run the model first."));
        return;
    }
    const QString filters = wholeRun ? tr("HDF5 (*.h5);;NumPy archive (*.npz)")
                                     : tr("HDF5 (*.h5);;NumPy archive (*.npz);;NumPy array, one map (*.npy);;CSV (*.csv)");
    QString path = QFileDialog::getSaveFileName(this, wholeRun ? tr("Export run data") : tr("Export view data"),
                                                suggestedFigurePath(QStringLiteral("h5")), filters);
    if (path.isEmpty())
        return;
    if (!isDataExportPath(path))
        path += QStringLiteral(".h5");
    m_lastExportDir = QFileInfo(path).absolutePath();
    wholeRun ? exportRunDataTo(path) : exportViewDataTo(path);
}

namespace {

/// The model's hash for the data's provenance: the one cached for this file, else computed on the worker.
QString modelHashFor(const QString& modelPath, const QString& cachedKey, const QString& cached)
{
    const QFileInfo fi(modelPath);
    const QString key = QStringLiteral("%1|%2|%3").arg(fi.absoluteFilePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
    return key == cachedKey && !cached.isEmpty() ? cached : hashModelPath(modelPath);
}

} // namespace

void MainWindow::exportViewDataTo(const QString& path)
{
    ++m_pendingIo;
    const OpenedModelPtr model = m_context->model();
    runInBackground(this, [spec = currentFigureSpec(), source = figureSource(),
                           info = runDataInfoFromContext(*m_context, m_runText, QString()), path,
                           modelPath = model ? model->path : QString(), key = m_cachedHashKey, cached = m_cachedHash]() mutable {
        info.modelHash = modelHashFor(modelPath, key, cached).toStdString();
        QString error;
        exportFigureData(spec, *source, info, path, &error);
        return error;
    }, [this, path](QString error) {
        --m_pendingIo;
        if (!error.isEmpty()) {
            reportError(tr("Cannot export data"), error);
            return;
        }
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 6000);
        emit dataExported(path);
    });
}

void MainWindow::exportRunDataTo(const QString& path)
{
    ++m_pendingIo;
    const OpenedModelPtr model = m_context->model();
    RunData run = runDataFromContext(*m_context, runDataInfoFromContext(*m_context, m_runText, QString()));
    runInBackground(this, [run = std::move(run), path, modelPath = model ? model->path : QString(), key = m_cachedHashKey,
                           cached = m_cachedHash]() mutable {
        run.info.modelHash = modelHashFor(modelPath, key, cached).toStdString();
        QString error;
        exportRunData(run, path, &error);
        return error;
    }, [this, path](QString error) {
        --m_pendingIo;
        if (!error.isEmpty()) {
            reportError(tr("Cannot export data"), error);
            return;
        }
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 6000);
        emit dataExported(path);
    });
}

} // namespace attnscope
