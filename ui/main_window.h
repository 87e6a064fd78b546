// The attnscope main window: views in tabs (overview, head, token), docks for the model info and the prompt,
// toolbars for selection and colour settings, File/Run/View menus, drag and drop, recent files, sessions and
// QSettings-persisted layout. Split by feature: main_window.cpp (construction, layout, settings),
// main_window_files.cpp (open, recent, sessions, autosave, drops), main_window_run.cpp (runs, progress, errors).
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_context.h"
#include "ui/session_file.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

class QAction;
class QComboBox;
class QLabel;
class QMenu;
class QMessageBox;
class QProgressBar;
class QSpinBox;
class QTabWidget;
class QToolButton;

namespace attnscope {

struct BackendSet;
class HeadViewPanel;
class ModelInfoPanel;
class OverviewPanel;
class PromptPanel;
class SessionBridge;
class TokenViewPanel;

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
    void cancelRun();
    void setPromptText(const QString& text);
    QString promptText() const;
    void setView(ViewKind view);
    /// The first-launch text (resources/sample_prompt.txt).
    static QString samplePrompt();

    // ---- state for tests, the screenshot driver and the benchmark ----
    SessionContext* context() const { return m_context; }
    SessionBridge* bridge() const { return m_bridge; }
    PromptPanel* promptPanel() const { return m_prompt; }
    OverviewPanel* overviewPanel() const { return m_overview; }
    HeadViewPanel* headViewPanel() const { return m_headView; }
    TokenViewPanel* tokenViewPanel() const { return m_tokenView; }
    ModelInfoPanel* modelInfoPanel() const { return m_modelInfo; }
    /// Nothing in flight: no open, run, worker job, render, tokenisation or session I/O.
    bool isSettled() const;
    QString lastError() const { return m_lastError; }
    QString statusText() const;
    QStringList recentFiles() const { return m_recent; }
    /// Error dialogs are shown unless disabled (the screenshot driver reports on stderr instead).
    void setErrorDialogsEnabled(bool on) { m_errorDialogs = on; }

signals:
    void errorReported(const QString& message);
    void sessionSaved(const QString& path);
    void sessionRestored(const QString& path);
    void runEnded(bool finished);

protected:
    void closeEvent(QCloseEvent* event) override;
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
    void applyViewControls();
    void restoreSettings();
    void saveSettings();
    // main_window_files.cpp
    void chooseAndOpen();
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
    // main_window_run.cpp
    void connectBridge();
    void onModelOpened(quint64 gen, OpenedModelPtr model);
    void onRunStarted(quint64 gen, TokenRowsPtr tokens, int layers, int heads, int kvHeads);
    void onRunEnded(quint64 gen, bool finished, const QString& error);
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
    PromptPanel* m_prompt = nullptr;
    ModelInfoPanel* m_modelInfo = nullptr;

    QAction* m_openAction = nullptr;
    QAction* m_openTextAction = nullptr;
    QAction* m_saveSessionAction = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_cancelAction = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QComboBox* m_colormapCombo = nullptr;
    QComboBox* m_scaleCombo = nullptr;
    QComboBox* m_normCombo = nullptr;
    QComboBox* m_dataCombo = nullptr;
    QLabel* m_statusLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_statusCancel = nullptr;
    QPointer<QMessageBox> m_errorBox;

    QTimer m_progressTimer;
    QTimer m_autosaveTimer;
    QStringList m_recent;
    QString m_lastError;
    bool m_errorDialogs = true;
    bool m_persistent = true;
    bool m_runAfterOpen = false;
    int m_pendingIo = 0;
    std::optional<SessionState> m_pendingSelection;   // applied when the restored session's run starts
    QString m_expectedHash;                            // from a restored session, checked once the model opened
    QString m_cachedHashKey, m_cachedHash;             // path|size|mtime -> hash, so saves do not rehash
};

} // namespace attnscope
