// The attnscope main window: views in tabs (overview, head, token, key, head finder, differential, sinks), docks
// for the model info
// and the prompt, toolbars for selection and colour settings, File/Edit/Run/View menus, undo/redo of view
// changes, token search (Ctrl+F), a banner when the maps no longer match the prompt, drag and drop, recent
// files, sessions and QSettings-persisted layout. Split by feature: main_window.cpp (construction, layout, settings),
// main_window_files.cpp (open, recent, sessions, autosave, drops), main_window_run.cpp (runs, progress, errors).
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_context.h"
#include "ui/render/figure_source.h"
#include "ui/session_file.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

class QAction;
class QComboBox;
class QDockWidget;
class QUndoStack;
class QLabel;
class QMenu;
class QMessageBox;
class QProgressBar;
class QSpinBox;
class QTabWidget;
class QToolButton;

namespace attnscope {

struct BackendSet;
class DifferentialPanel;
class GateViewPanel;
class CompareWorkspace;
class FigureComposerPanel;
class HeadFinderPanel;
class SinkPanel;
struct AttentionSpec;
class HeadViewPanel;
class KeyViewPanel;
class ModelInfoPanel;
class OverviewPanel;
class PromptPanel;
class SessionBridge;
class TokenFindBar;
class TokenViewPanel;
class ViewHistory;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `backends` come from app/ (which links the kernels); the compute thread owns them. With `persistent`
    /// false (tests, scripted screenshots, benchmarks) no QSettings are read or written, so runs are repeatable.
    explicit MainWindow(std::unique_ptr<BackendSet> backends, bool persistent = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    // ---- actions (also used by the command line, tests and the benchmark) ----
    /// Opens a model file or folder, a .attnscope session, or a .txt prompt, by what the path is.
    void openPath(const QString& path);
    void openModel(const QString& path, bool runAfterOpen = false);
    void openSession(const QString& path);
    /// Saves asynchronously (hashing the model on a worker); emits sessionSaved or errorReported.
    void saveSession(const QString& path);
    void runPrompt();
    /// Runs the prompt capturing only the heads set in `capture` (after a refusal: the maps of all would not fit).
    void runPromptCapturing(CaptureMaskPtr capture);
    /// Runs the prompt under a what-if attention variant (the sink view's overlay); the run is labelled with it.
    void runPromptWithVariant(const AttentionSpec& variant);
    /// Replaces the prompt by the repeated-random-tokens induction probe, runs it and ranks heads by induction.
    void startInductionProbe();
    void cancelRun();
    void setPromptText(const QString& text);
    QString promptText() const;
    void setView(ViewKind view);
    // ---- figures and data (main_window_figures.cpp; docs/FIGURES.md) ----
    /// The current view's figure under the export style (the head view with its zoom, the differential view's
    /// three maps, the sink view with its pinned runs, the compare workspace's panes).
    FigureSpec currentFigureSpec() const;
    /// What figures are drawn from: the run on screen, its layer reports and the comparison on screen.
    FigureSourcePtr figureSource() const;
    /// Renders and writes a figure on a worker; emits figureExported or errorReported.
    void exportFigureTo(const FigureSpec& spec, const QString& path);
    /// Copies a figure (PNG and SVG) to the clipboard once rendered on a worker; emits figureCopied.
    void copyFigure(const FigureSpec& spec);
    /// "Save data": the tensors behind the current view's figure (.h5, .npz, .npy, .csv); emits dataExported.
    void exportViewDataTo(const QString& path);
    /// Every captured quantity of the run (.h5, .npz); emits dataExported.
    void exportRunDataTo(const QString& path);
    FigureComposerPanel* composer() const { return m_composer; }
    const FigureStyle& figureStyle() const { return m_figureStyle; }
    void setFigureStyle(const FigureStyle& style) { m_figureStyle = style; }
    /// The first-launch text (resources/sample_prompt.txt).
    static QString samplePrompt();

    // ---- state for tests, the screenshot driver and the benchmark ----
    SessionContext* context() const { return m_context; }
    SessionBridge* bridge() const { return m_bridge; }
    PromptPanel* promptPanel() const { return m_prompt; }
    OverviewPanel* overviewPanel() const { return m_overview; }
    HeadViewPanel* headViewPanel() const { return m_headView; }
    TokenViewPanel* tokenViewPanel() const { return m_tokenView; }
    KeyViewPanel* keyViewPanel() const { return m_keyView; }
    HeadFinderPanel* headFinderPanel() const { return m_finder; }
    DifferentialPanel* differentialPanel() const { return m_differential; }
    SinkPanel* sinkPanel() const { return m_sinks; }
    GateViewPanel* gateViewPanel() const { return m_gates; }
    CompareWorkspace* compareWorkspace() const { return m_compare; }
    TokenFindBar* findBar() const { return m_findBar; }
    ViewHistory* history() const { return m_history; }
    QUndoStack* undoStack() const;
    /// The "these maps belong to the previous prompt" banner (hidden while the maps match the prompt).
    QLabel* staleBanner() const { return m_staleBanner; }
    ModelInfoPanel* modelInfoPanel() const { return m_modelInfo; }
    /// Nothing in flight: no open, run, worker job, render, tokenisation or session I/O.
    bool isSettled() const;
    QString lastError() const { return m_lastError; }
    QString statusText() const;
    QStringList recentFiles() const { return m_recent; }
    /// Error dialogs are shown unless disabled (the screenshot driver reports on stderr instead).
    void setErrorDialogsEnabled(bool on) { m_errorDialogs = on; }
    /// How runs keep the attention (Auto: maps up to 4,096 tokens while they fit, else a long run). Tests and
    /// the benchmark force a mode.
    /// Also how Compare keeps maps (Long: no maps, as for a prompt over kLongPromptTokens).
    void setRunMode(RunMode mode);
    RunMode runMode() const { return m_runMode; }
    /// Whether a run of more than 4,096 tokens first shows its estimate and asks (on unless
    /// ATTNSCOPE_NO_LONG_RUN_DIALOG=1; the screenshot driver and the benchmark turn it off).
    void setLongRunConfirmation(bool on) { m_confirmLongRuns = on; }
    /// Whether runs may exceed the model's context (extrapolation, like the CLI's --beyond-context); otherwise a
    /// prompt over the context is refused and the dialog offers to run it beyond.
    void setBeyondContext(bool on) { m_beyondContext = on; }
    bool longRunConfirmation() const { return m_confirmLongRuns; }

signals:
    void errorReported(const QString& message);
    void sessionSaved(const QString& path);
    void sessionRestored(const QString& path);
    void runEnded(bool finished);
    void figureExported(const QString& path);
    void figureCopied();
    void dataExported(const QString& path);
    /// A run was refused up front because its maps would not fit in memory.
    void captureRefused(const attnscope::CaptureRefusal& refusal);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // main_window.cpp
    void buildActions();
    void buildMenus();
    void buildToolBars();
    void buildDocks();
    void connectContext();
    void syncViewControls();
    void syncDeltaItem();
    void applyViewControls();
    void restoreSettings();
    void saveSettings();
    // main_window_files.cpp
    void chooseAndOpen();
    void chooseAndOpenFolder();
    void chooseAndOpenText();
    void chooseAndSaveSession();
    void loadPromptFile(const QString& path);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    SessionState currentState() const;
    void applySessionState(const SessionState& s);
    void scheduleAutosave();
    void autosave();
    void restoreAutosave();
    void checkModelHash(const QString& path, const QString& expected);
    void updateTitle();
    // main_window_figures.cpp
    void buildFigureActions();
    void buildComposerDock();
    void chooseAndExportFigure(bool fromComposer);
    void chooseAndExportData(bool wholeRun);
    QString suggestedFigurePath(const QString& ext) const;
    // main_window_run.cpp
    void connectBridge();
    void onModelOpened(quint64 gen, OpenedModelPtr model);
    void onRunStarted(quint64 gen, TokenRowsPtr tokens, int layers, int heads, int kvHeads, CaptureMaskPtr captured);
    void onRunEnded(quint64 gen, bool finished, const QString& error);
    void onRunRefused(quint64 gen, const CaptureRefusal& refusal);
    void onRunNeedsConfirmation(quint64 gen, const RunPlan& plan);
    void onRunContextRefused(quint64 gen, const ContextRefusal& refusal);
    void postRun(const QString& text, CaptureMaskPtr capture, const RunOptions& options);
    void updateStale();
    void updateProgress();
    void setBusyUi(bool running);
    void reportError(const QString& title, const QString& message);
    void showStatus(const QString& message, int ms = 0);

    SessionBridge* m_bridge = nullptr;
    SessionContext* m_context = nullptr;
    QTabWidget* m_tabs = nullptr;
    OverviewPanel* m_overview = nullptr;
    HeadViewPanel* m_headView = nullptr;
    TokenViewPanel* m_tokenView = nullptr;
    KeyViewPanel* m_keyView = nullptr;
    HeadFinderPanel* m_finder = nullptr;
    DifferentialPanel* m_differential = nullptr;
    SinkPanel* m_sinks = nullptr;
    GateViewPanel* m_gates = nullptr;
    CompareWorkspace* m_compare = nullptr;
    TokenFindBar* m_findBar = nullptr;
    QLabel* m_staleBanner = nullptr;
    ViewHistory* m_history = nullptr;
    PromptPanel* m_prompt = nullptr;
    ModelInfoPanel* m_modelInfo = nullptr;

    QAction* m_openAction = nullptr;
    QAction* m_openFolderAction = nullptr;
    QAction* m_findAction = nullptr;
    QAction* m_openTextAction = nullptr;
    QAction* m_saveSessionAction = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_cancelAction = nullptr;
    QAction* m_exportFigureAction = nullptr;
    QAction* m_exportDataAction = nullptr;
    QAction* m_exportRunDataAction = nullptr;
    QAction* m_copyFigureAction = nullptr;
    FigureComposerPanel* m_composer = nullptr;
    QDockWidget* m_composerDock = nullptr;
    FigureStyle m_figureStyle;
    QString m_lastExportDir;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QComboBox* m_colormapCombo = nullptr;
    QComboBox* m_scaleCombo = nullptr;
    QComboBox* m_normCombo = nullptr;
    QComboBox* m_dataCombo = nullptr;
    QComboBox* m_poolCombo = nullptr;
    QLabel* m_statusLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_statusCancel = nullptr;
    QPointer<QMessageBox> m_errorBox;

    QTimer m_progressTimer;
    QTimer m_autosaveTimer;
    QStringList m_recent;
    QString m_lastError;
    bool m_errorDialogs = true;
    RunMode m_runMode = RunMode::Auto;
    bool m_confirmLongRuns = true;
    bool m_beyondContext = false;
    bool m_persistent = true;
    bool m_runAfterOpen = false;
    bool m_layoutRestored = false;   // the docks' sizes came from QSettings
    bool m_docksSized = false;
    int m_pendingIo = 0;
    std::optional<SessionState> m_pendingSelection;   // applied when the restored session's run starts
    QString m_expectedHash;                            // from a restored session, checked once the model opened
    QString m_cachedHashKey, m_cachedHash;             // path|size|mtime -> hash, so saves do not rehash
    QString m_postedText;                              // the text of the run last posted
    QString m_postedVariant;                           // its what-if variant ("" = the model's own attention)
    QString m_runText;                                 // the text the maps on screen were computed for
    QString m_sessionPath;                             // the session last saved or opened
};

} // namespace attnscope
