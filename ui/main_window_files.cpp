// MainWindow: opening files (dialogs, recent files, drops), sessions, prompt files and autosave.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"
#include "ui/compare/compare_workspace.h"
#include "ui/compare/variant_editor.h"
#include "core/formats/hf_folder.h"
#include "core/util/error.h"
#include "core/util/mapped_file.h"
#include "ui/models/display_text.h"

#include "ui/panels/figure_composer_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/session_bridge.h"

#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMenu>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QTime>
#include "ui/background_job.h"

namespace attnscope {

namespace {

constexpr int kMaxRecent = 10;
constexpr uint64_t kMaxPromptFileBytes = 8 << 20;   // the tokenizer caps input at 1 M characters anyway

bool isSessionPath(const QString& p)
{
    return p.endsWith(QStringLiteral(".attnscope"), Qt::CaseInsensitive);
}

bool isTextPath(const QString& p)
{
    return p.endsWith(QStringLiteral(".txt"), Qt::CaseInsensitive);
}

QString hashKey(const QString& path)
{
    const QFileInfo fi(path);
    return QStringLiteral("%1|%2|%3").arg(fi.absoluteFilePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
}

struct PromptRead {
    QString text;
    QString error;
};

} // namespace

void MainWindow::openPath(const QString& path)
{
    if (isSessionPath(path))
        openSession(path);
    else if (isTextPath(path))
        loadPromptFile(path);
    else
        openModel(path, false);
}

void MainWindow::setPromptText(const QString& text)
{
    m_prompt->setText(text);
}

QString MainWindow::promptText() const
{
    return m_prompt->text();
}

void MainWindow::openModel(const QString& path, bool runAfterOpen)
{
    if (!QFileInfo::exists(path)) {
        reportError(tr("Cannot open model"), tr("%1 does not exist").arg(path));
        return;
    }
    m_runAfterOpen = runAfterOpen;
    showStatus(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    m_bridge->openModel(QFileInfo(path).absoluteFilePath());
}

void MainWindow::chooseAndOpen()
{
    const QString start = m_recent.isEmpty() ? QString() : QFileInfo(m_recent.first()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open model or session"), start,
        tr("Models and sessions (*.gguf *.safetensors *.attnscope config.json);;GGUF (*.gguf);;safetensors (*.safetensors);;"
           "Sessions (*.attnscope);;All files (*)"));
    if (path.isEmpty())
        return;
    // A model folder is opened through its config.json (file dialogs do not pick folders and files at once).
    openPath(QFileInfo(path).fileName() == QStringLiteral("config.json") ? QFileInfo(path).absolutePath() : path);
}

void MainWindow::chooseAndOpenFolder()
{
    const QString start = m_recent.isEmpty() ? QString() : QFileInfo(m_recent.first()).absolutePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"), start);
    if (!dir.isEmpty())
        openModel(dir, false);
}

void MainWindow::chooseAndOpenText()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open prompt text"), QString(), tr("Text (*.txt);;All files (*)"));
    if (!path.isEmpty())
        loadPromptFile(path);
}

void MainWindow::loadPromptFile(const QString& path)
{
    ++m_pendingIo;
    runInBackground(this, [path]() {
        PromptRead r;
        // Through core's reader: regular files only (a pipe would block this worker, /dev/zero never ends),
        // refused above the cap before anything is copied.
        try {
            const std::string bytes = readTextFileCapped(QFile::encodeName(path).toStdString(), kMaxPromptFileBytes);
            r.text = QString::fromUtf8(bytes.data(), static_cast<qsizetype>(bytes.size()));   // invalid UTF-8 -> U+FFFD
        } catch (const Error& e) {
            r.error = QString::fromStdString(e.what());
        }
        return r;
    }, [this, path](PromptRead r) {
        --m_pendingIo;
        if (!r.error.isEmpty()) {
            reportError(tr("Cannot open text"), r.error);
            return;
        }
        m_prompt->setText(r.text);
        showStatus(tr("Loaded prompt from %1").arg(QFileInfo(path).fileName()), 4000);
    });
}

void MainWindow::chooseAndSaveSession()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save session"), QString(), tr("attnscope sessions (*.attnscope)"));
    if (path.isEmpty())
        return;
    if (!isSessionPath(path))
        path += QStringLiteral(".attnscope");
    saveSession(path);
}

SessionState MainWindow::currentState() const
{
    SessionState s;
    if (OpenedModelPtr m = m_context->model())
        s.modelPath = m->path;
    s.prompt = m_prompt->text();
    s.layer = m_context->layer();
    s.head = m_context->head();
    s.query = m_context->query();
    s.key = m_context->key();
    s.view = m_context->view();
    s.metric = m_context->metric();
    s.settings = m_context->viewSettings();
    s.variants = m_compare->editor()->variantTexts();
    // The figures: what File ▸ Export Figure draws now, and the composer's layout (the session's figure while
    // the composer is open).
    s.viewFigure = currentFigureSpec();
    if (m_composer && m_composer->hasPanels()) {
        s.composer = m_composer->spec();
        s.figureFromComposer = m_composerDock && m_composerDock->isVisible();
    }
    return s;
}

void MainWindow::applySessionState(const SessionState& s)
{
    m_prompt->setText(s.prompt);
    m_context->setViewSettings(s.settings);
    m_context->setMetric(s.metric);
    m_context->select(s.layer, s.head);
    m_compare->editor()->setVariantTexts(s.variants);
    setView(s.view);
    if (s.viewFigure) {
        m_figureStyle = s.viewFigure->style;
        m_figureStyle.settings = s.settings;
    }
    if (s.composer) {
        m_composer->setSpec(*s.composer);
        if (s.figureFromComposer)
            m_composerDock->show();
    }
}

void MainWindow::saveSession(const QString& path)
{
    SessionState s = currentState();
    if (s.modelPath.isEmpty()) {
        reportError(tr("Cannot save session"), tr("open a model first: a session records which model it belongs to"));
        return;
    }
    ++m_pendingIo;
    const QString key = hashKey(s.modelPath);
    const QString cached = key == m_cachedHashKey ? m_cachedHash : QString();
    runInBackground(this, [s, path, cached]() mutable {
        s.modelHash = cached.isEmpty() ? hashModelPath(s.modelPath) : cached;
        QString error;
        const bool ok = writeSessionFile(path, s, &error);
        return std::make_pair(s.modelHash, ok ? QString() : error);
    }, [this, path, key](std::pair<QString, QString> r) {
        --m_pendingIo;
        m_cachedHashKey = key;
        m_cachedHash = r.first;
        if (!r.second.isEmpty()) {
            reportError(tr("Cannot save session"), r.second);
            return;
        }
        addRecent(path);
        m_sessionPath = QFileInfo(path).absoluteFilePath();
        updateTitle();
        setWindowModified(false);
        showStatus(tr("Saved session %1 at %2").arg(QFileInfo(path).fileName(),
                                                    QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        emit sessionSaved(path);
    });
}

void MainWindow::openSession(const QString& path)
{
    ++m_pendingIo;
    runInBackground(this, [path]() {
        QString error;
        // Only a regular file is read: a named pipe would stall this worker, a device would be read to the cap.
        try {
            MappedFile::open(QFile::encodeName(path).toStdString());
        } catch (const Error& e) {
            return std::make_pair(std::optional<SessionState>(), QString::fromStdString(e.what()));
        }
        auto s = readSessionFile(path, &error);
        return std::make_pair(s, error);
    }, [this, path](std::pair<std::optional<SessionState>, QString> r) {
        --m_pendingIo;
        if (!r.first) {
            reportError(tr("Cannot open session"), r.second);
            return;
        }
        const SessionState s = *r.first;
        addRecent(path);
        applySessionState(s);
        m_sessionPath = QFileInfo(path).absoluteFilePath();
        updateTitle();
        setWindowModified(false);
        if (!QFileInfo::exists(s.modelPath)) {
            // The maps on screen belong to another prompt (and maybe another model): they must not pass for the
            // session's.
            m_context->clearResults();
            m_runText.clear();
            // Not fatal: the prompt and view are restored; the user can point at the model again.
            reportError(tr("Session model is missing"),
                        tr("The session's model %1 does not exist any more. The prompt and view settings were "
                           "restored; open the model (File ▸ Open) to run it.").arg(s.modelPath));
            emit sessionRestored(path);
            return;
        }
        m_pendingSelection = s;
        m_expectedHash = s.modelHash;
        openModel(s.modelPath, true);
        emit sessionRestored(path);
    });
}

void MainWindow::checkModelHash(const QString& path, const QString& expected)
{
    if (expected.isEmpty())
        return;
    ++m_pendingIo;
    const QString key = hashKey(path);
    runInBackground(this, [path]() { return hashModelPath(path); }, [this, path, expected, key](QString actual) {
        --m_pendingIo;
        m_cachedHashKey = key;
        m_cachedHash = actual;
        if (actual != expected)
            reportError(tr("Model file changed"),
                        tr("%1 has changed since the session was saved (hash %2, the session recorded %3). "
                           "The model was re-run on the current file.").arg(path, actual.left(19), expected.left(19)));
    });
}

void MainWindow::updateTitle()
{
    QStringList parts;
    if (!m_sessionPath.isEmpty())
        parts << QFileInfo(m_sessionPath).fileName() + QStringLiteral("[*]");
    if (OpenedModelPtr m = m_context->model())
        parts << QFileInfo(m->path).fileName();
    parts << QStringLiteral("attnscope");
    setWindowTitle(parts.join(QStringLiteral(" — ")));
}

void MainWindow::addRecent(const QString& path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    m_recent.removeAll(abs);
    m_recent.prepend(abs);
    while (m_recent.size() > kMaxRecent)
        m_recent.removeLast();
    rebuildRecentMenu();
    if (m_persistent)
        QSettings().setValue(QStringLiteral("recentFiles"), m_recent);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    for (const QString& p : m_recent) {
        QAction* a = m_recentMenu->addAction(displayText(QFileInfo(p).fileName(), 256), this, [this, p] { openPath(p); });
        a->setToolTip(plainToolTip(displayText(p)));
        a->setStatusTip(displayText(p));
    }
    m_recentMenu->setEnabled(!m_recent.isEmpty());
    if (!m_recent.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear list"), this, [this] {
            m_recent.clear();
            rebuildRecentMenu();
            if (m_persistent)
                QSettings().setValue(QStringLiteral("recentFiles"), m_recent);
        });
    }
}

void MainWindow::scheduleAutosave()
{
    m_autosaveTimer.start();
}

void MainWindow::autosave()
{
    // The prompt and view live in QSettings so a crash or a closed window never loses the user's text.
    if (!m_persistent)
        return;
    QSettings().setValue(QStringLiteral("autosave/session"),
                         QJsonDocument(sessionToJson(currentState())).toJson(QJsonDocument::Compact));
}

void MainWindow::restoreAutosave()
{
    const QByteArray data = QSettings().value(QStringLiteral("autosave/session")).toByteArray();
    if (data.isEmpty())
        return;
    const QJsonDocument doc = QJsonDocument::fromJson(data);
    QJsonObject o = doc.object();
    // The autosave may have no model yet: give the parser a placeholder path so the prompt still restores.
    if (o.value(QStringLiteral("model")).toObject().value(QStringLiteral("path")).toString().isEmpty()) {
        QJsonObject model;
        model[QStringLiteral("path")] = QStringLiteral("-");
        o[QStringLiteral("model")] = model;
    }
    if (auto s = sessionFromJson(o, nullptr)) {
        m_prompt->setText(s->prompt);
        m_context->setViewSettings(s->settings);
        m_context->setMetric(s->metric);
        m_compare->editor()->setVariantTexts(s->variants);
    }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) {
        for (const QUrl& u : event->mimeData()->urls()) {
            if (u.isLocalFile()) {
                event->acceptProposedAction();
                return;
            }
        }
    }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    for (const QUrl& u : event->mimeData()->urls()) {
        if (u.isLocalFile()) {
            openPath(u.toLocalFile());
            event->acceptProposedAction();
            return;
        }
    }
}

} // namespace attnscope
