// MainWindow: model-open and run outcomes from the SessionBridge, progress polling, errors and status.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"
#include "ui/models/display_text.h"

#include "ui/panels/figure_composer_panel.h"
#include "ui/widgets/figure_preview.h"

#include "core/metrics/induction_probe.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"
#include "ui/background_job.h"
#include "ui/panels/differential_panel.h"
#include "ui/compare/compare_workspace.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/head_view_panel.h"
#include "ui/panels/key_view_panel.h"
#include "ui/panels/prompt_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/panels/token_view_panel.h"
#include "ui/session_bridge.h"
#include "ui/widgets/capture_subset_dialog.h"
#include "ui/widgets/long_run_dialog.h"

#include <QAction>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <QToolButton>

namespace attnscope {

void MainWindow::connectBridge()
{
    connect(m_bridge, &SessionBridge::modelOpened, this, &MainWindow::onModelOpened);
    connect(m_bridge, &SessionBridge::modelFailed, this, [this](quint64, const QString& path, const QString& message) {
        m_runAfterOpen = false;
        m_pendingSelection.reset();
        m_expectedHash.clear();
        // The previous model (if any), the prompt and the results stay as they were.
        reportError(tr("Cannot open model"), tr("%1\n\n%2").arg(QFileInfo(path).fileName(), message));
    });
    connect(m_bridge, &SessionBridge::runStarted, this, &MainWindow::onRunStarted);
    connect(m_bridge, &SessionBridge::layerReady, m_context, &SessionContext::addLayer);
    connect(m_bridge, &SessionBridge::runFinished, this, [this](quint64 gen, const RunSummary& s) {
        onRunEnded(gen, true, {});
        QString next = s.topNext.isEmpty() ? QString() : tr(" · next: %1").arg(s.topNext.mid(0, 3).join(QStringLiteral(", ")));
        QString notes = s.notes.isEmpty() ? QString() : QStringLiteral(" · ") + s.notes.join(QStringLiteral(" · "));
        if (s.longMode)
            notes += tr(" · long prompt: no maps kept (%1 of queries, keys and statistics); views recompute what they draw")
                         .arg(QString::fromStdString(formatBytes(s.keptBytes)));
        showStatus(tr("%1 tokens · forward %2 ms%3%4").arg(s.tokens).arg(s.forwardMs, 0, 'f', 0).arg(next, notes));
    });
    connect(m_bridge, &SessionBridge::runCancelled, this, [this](quint64 gen) {
        onRunEnded(gen, false, {});
        showStatus(tr("Run cancelled; the maps computed so far stay on screen"));
    });
    connect(m_bridge, &SessionBridge::runFailed, this, [this](quint64 gen, const QString& message) {
        onRunEnded(gen, false, message);
    });
    connect(m_bridge, &SessionBridge::runRefused, this, &MainWindow::onRunRefused);
    connect(m_bridge, &SessionBridge::runNeedsConfirmation, this, &MainWindow::onRunNeedsConfirmation);
    connect(m_bridge, &SessionBridge::runContextRefused, this, &MainWindow::onRunContextRefused);
}

void MainWindow::onModelOpened(quint64, OpenedModelPtr model)
{
    m_context->setModel(model);
    addRecent(model->path);
    const QString fileName = displayText(QFileInfo(model->path).fileName(), 256);
    setWindowTitle(tr("attnscope — %1").arg(fileName));
    showStatus(tr("Opened %1 (%2, %3 layers × %4 heads) on %5")
                   .arg(fileName, displayText(model->info.architecture, 256))
                   .arg(model->info.nLayers).arg(model->info.nHeads).arg(model->backend));
    if (!m_expectedHash.isEmpty()) {
        checkModelHash(model->path, m_expectedHash);
        m_expectedHash.clear();
    }
    m_runText.clear();
    updateTitle();
    if (m_runAfterOpen) {
        m_runAfterOpen = false;
        runPrompt();
    }
}

void MainWindow::runPrompt()
{
    runPromptCapturing(nullptr);
}

void MainWindow::runPromptCapturing(CaptureMaskPtr capture)
{
    OpenedModelPtr model = m_context->model();
    if (!model) {
        if (m_bridge->isOpening()) {
            m_runAfterOpen = true;   // runs as soon as the model is open
            showStatus(tr("The model is still opening; it will run when ready"));
        } else {
            reportError(tr("No model"), tr("Open a model first (File ▸ Open, drag and drop, or a recent file)."));
        }
        return;
    }
    const QString text = m_prompt->text();
    if (text.trimmed().isEmpty()) {
        showStatus(tr("Type some text to run the model on"), 4000);
        return;
    }
    RunOptions options;
    options.mode = m_runMode;
    options.confirmLong = m_confirmLongRuns;
    options.beyondContext = m_beyondContext;
    postRun(text, std::move(capture), options);
}

void MainWindow::postRun(const QString& text, CaptureMaskPtr capture, const RunOptions& options)
{
    OpenedModelPtr model = m_context->model();
    if (!model)
        return;
    m_postedText = text;
    m_postedVariant = options.variant ? QString::fromStdString(options.variant->toString()) : QString();
    m_bridge->run(model, text, std::move(capture), options);
    setBusyUi(true);
    if (m_postedVariant.isEmpty())
        showStatus(tr("Running %1…").arg(QFileInfo(model->path).fileName()));
    else
        showStatus(tr("Running %1 with %2…").arg(QFileInfo(model->path).fileName(), m_postedVariant));
}

void MainWindow::onRunNeedsConfirmation(quint64, const RunPlan& plan)
{
    setBusyUi(false);   // nothing ran: the maps on screen stay, no run ended
    if (!m_confirmLongRuns) {   // turned off while the estimate was computed
        postRun(plan.text, plan.capture, plan.options);
        return;
    }
    showStatus(tr("%1 tokens: confirm the long run (%2)").arg(plan.tokens).arg(describeDuration(plan.expectedSeconds)));
    auto* dialog = new LongRunDialog(plan, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (dialog->dontAskAgain())
            m_confirmLongRuns = false;
        postRun(dialog->plan().text, dialog->plan().capture, dialog->plan().options);
    });
    connect(dialog, &QDialog::rejected, this, [this] { showStatus(tr("Long run not started"), 4000); });
    dialog->open();   // window-modal, never blocking the UI thread
}

void MainWindow::onRunContextRefused(quint64 gen, const ContextRefusal& refusal)
{
    onRunEnded(gen, false, QString());
    if (!m_errorDialogs || !refusal.canExtrapolate) {
        reportError(tr("Prompt longer than the context"), refusal.message);
        return;
    }
    showStatus(tr("%1 tokens: longer than the model's context of %2").arg(refusal.tokens).arg(refusal.contextLength));
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Prompt longer than the context"),
                                tr("The prompt has %1 tokens but the model's context length is %2.\n\nRunning beyond "
                                   "the context studies extrapolation: positions the model never saw in training.")
                                    .arg(refusal.tokens).arg(refusal.contextLength),
                                QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("contextRefusedDialog"));
    box->setTextFormat(Qt::PlainText);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton* beyond = box->addButton(tr("Run beyond context"), QMessageBox::AcceptRole);
    beyond->setObjectName(QStringLiteral("runBeyondContextButton"));
    connect(beyond, &QPushButton::clicked, this, [this, refusal] {
        RunOptions options = refusal.options;
        options.beyondContext = true;
        postRun(refusal.text, refusal.capture, options);
    });
    box->open();
}

void MainWindow::runPromptWithVariant(const AttentionSpec& variant)
{
    OpenedModelPtr model = m_context->model();
    const QString text = m_prompt->text();
    if (!model || text.trimmed().isEmpty()) {
        showStatus(tr("Open a model and type a prompt before running a variant"), 4000);
        return;
    }
    RunOptions options;
    options.mode = m_runMode;
    options.confirmLong = m_confirmLongRuns;
    options.beyondContext = m_beyondContext;
    options.variant = variant;
    postRun(text, nullptr, options);
}

void MainWindow::cancelRun()
{
    if (!m_bridge->isRunning())
        return;
    m_bridge->cancelRun();
    showStatus(tr("Cancelling…"));
}

void MainWindow::onRunStarted(quint64 gen, TokenRowsPtr tokens, int layers, int heads, int kvHeads, CaptureMaskPtr captured)
{
    m_context->beginRun(gen, std::move(tokens), layers, heads, kvHeads, std::move(captured));
    if (OpenedModelPtr m = m_context->model()) {
        // A short name for legends: the model's own name when it is short, else the file's name, elided.
        QString name = QString::fromStdString(m->info.name);
        if (name.isEmpty() || name.size() > 20)
            name = QFileInfo(m->path).completeBaseName();
        if (name.size() > 22)
            name = name.left(21) + QStringLiteral("…");
        m_context->setRunLabel(name + (m_postedVariant.isEmpty() ? QString() : QStringLiteral(" · ") + m_postedVariant));
    }
    m_runText = m_postedText;
    updateStale();   // the prompt may have been edited while the run was starting
    if (m_pendingSelection) {
        m_context->select(m_pendingSelection->layer, m_pendingSelection->head);
        if (m_pendingSelection->query >= 0)
            m_context->setQuery(m_pendingSelection->query);
        if (m_pendingSelection->key >= 0)
            m_context->setKey(m_pendingSelection->key);
        setView(m_pendingSelection->view);
        m_pendingSelection.reset();
    }
}

void MainWindow::onRunEnded(quint64 gen, bool finished, const QString& error)
{
    m_context->endRun(gen, finished);
    setBusyUi(false);
    if (!error.isEmpty())
        reportError(tr("Run failed"), error);
    emit runEnded(finished);
}

void MainWindow::onRunRefused(quint64 gen, const CaptureRefusal& refusal)
{
    onRunEnded(gen, false, QString());
    emit captureRefused(refusal);
    if (!m_errorDialogs) {
        reportError(tr("Prompt too long"), refusal.message);
        return;
    }
    showStatus(tr("Prompt too long for every head: %1 tokens fit, or capture a subset").arg(refusal.maxTokensAllHeads));
    auto* dialog = new CaptureSubsetDialog(refusal, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (CaptureMaskPtr mask = dialog->mask())
            runPromptCapturing(mask);
    });
    dialog->open();   // window-modal, never blocking the UI thread
}

void MainWindow::updateStale()
{
    m_context->setStale(m_context->tokens() && !m_runText.isNull() && m_prompt->text() != m_runText);
}

void MainWindow::startInductionProbe()
{
    OpenedModelPtr model = m_context->model();
    if (!model) {
        reportError(tr("No model"), tr("Open a model first: the probe draws its words from the model's vocabulary."));
        return;
    }
    ++m_pendingIo;
    runInBackground(this, [model]() -> std::pair<QString, QString> {
        try {
            return {QString::fromStdString(makeInductionProbe(model->model->tokenizer()).text), QString()};
        } catch (const Error& e) {
            return {QString(), describeError(e)};
        }
    }, [this, model](std::pair<QString, QString> r) {
        --m_pendingIo;
        if (!r.second.isEmpty()) {
            reportError(tr("Cannot build the induction probe"), r.second);
            return;
        }
        if (model != m_context->model())
            return;
        m_prompt->setText(r.first);
        runPrompt();
        m_context->setMetric(HeadMetric::Induction);
        m_finder->rankBy(HeadMetric::Induction);
        setView(ViewKind::Finder);
        showStatus(tr("Induction probe: %1 random words, then the same words again").arg(kInductionProbeTokens));
    });
}

void MainWindow::setBusyUi(bool running)
{
    m_cancelAction->setEnabled(running);
    m_prompt->setRunning(running);
    m_progress->setVisible(running);
    m_statusCancel->setVisible(running);
    if (running) {
        m_progress->setValue(0);
        m_progress->setFormat(tr("starting…"));
        m_progressTimer.start();
    } else {
        m_progressTimer.stop();
    }
}

void MainWindow::updateProgress()
{
    if (!m_bridge->isRunning())
        return;
    m_progress->setValue(static_cast<int>(m_bridge->progressFraction() * 1000.0));
    m_progress->setFormat(m_bridge->progressText());
}

void MainWindow::showStatus(const QString& message, int ms)
{
    m_statusLabel->setText(message);
    if (ms > 0) {
        QTimer::singleShot(ms, this, [this, message] {
            if (m_statusLabel->text() == message)
                m_statusLabel->clear();
        });
    }
}

QString MainWindow::statusText() const
{
    return m_statusLabel->text();
}

void MainWindow::reportError(const QString& title, const QString& rawMessage)
{
    // Messages quote file content (core escapes and bounds its Errors; Qt's own I/O messages quote paths):
    // escaped once more here, the one funnel to the status line and the dialog, and shown as plain text.
    const QString message = displayLines(rawMessage);
    m_lastError = message;
    showStatus(title + QStringLiteral(": ") + QString(message).replace(QLatin1Char('\n'), QLatin1Char(' ')));
    emit errorReported(message);
    if (!m_errorDialogs)
        return;
    // Window-modal but not blocking (open(), not exec()): the UI thread never waits on a dialog.
    if (!m_errorBox) {
        m_errorBox = new QMessageBox(QMessageBox::Warning, title, QString(), QMessageBox::Ok, this);
        m_errorBox->setObjectName(QStringLiteral("errorDialog"));
        m_errorBox->setTextFormat(Qt::PlainText);
        m_errorBox->setText(message);
        m_errorBox->setAttribute(Qt::WA_DeleteOnClose);
    } else {
        m_errorBox->setWindowTitle(title);
        m_errorBox->setText(message);
    }
    m_errorBox->open();
}

bool MainWindow::isSettled() const
{
    return !m_bridge->isRunning() && !m_bridge->isOpening() && m_context->pendingJobs() == 0 && !m_headView->isBusy()
           && !m_headView->isPrefetching() && !m_keyView->isBusy() && !m_tokenView->isBusy() && !m_differential->isBusy() && !m_sinks->isBusy()
           && !m_prompt->isTokenising() && m_pendingIo == 0 && !m_runAfterOpen && !m_compare->isBusy()
           && !(m_composer && m_composer->preview()->isBusy());
}

} // namespace attnscope
