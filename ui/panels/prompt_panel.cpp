// PromptPanel: editor, buttons, live token chips.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/prompt_panel.h"

#include "core/tokenizer/tokenizer.h"
#include "ui/session_context.h"
#include "ui/widgets/token_strip.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>
#include "ui/background_job.h"

namespace attnscope {

PromptPanel::PromptPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_editor(new QPlainTextEdit(this))
    , m_tokens(new TokenListModel(this))
    , m_strip(new TokenStrip(this))
    , m_count(new QLabel(this))
    , m_run(new QPushButton(tr("Run"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
{
    setObjectName(QStringLiteral("promptPanel"));
    m_editor->setObjectName(QStringLiteral("promptEdit"));
    m_editor->setPlaceholderText(tr("Type or paste text, then Run (Ctrl+Enter)"));
    m_editor->setTabChangesFocus(true);
    m_strip->setObjectName(QStringLiteral("promptTokens"));
    m_strip->setModel(m_tokens);
    m_run->setObjectName(QStringLiteral("runButton"));
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_run->setToolTip(tr("Run the model on this text (Ctrl+Enter)"));
    m_cancel->setToolTip(tr("Stop the running model (Esc)"));
    m_cancel->setEnabled(false);
    auto* open = new QPushButton(tr("Open text…"), this);
    open->setToolTip(tr("Load the prompt from a .txt file"));
    auto* probe = new QPushButton(tr("Induction probe"), this);
    probe->setObjectName(QStringLiteral("inductionProbeButton"));
    probe->setToolTip(tr("Replace the text by 50 random single-token words repeated twice and run it: the standard "
                         "induction measurement (docs/METRICS.md). The head finder then ranks heads by induction."));

    // Two rows, so the dock can stay narrow.
    auto* sources = new QHBoxLayout;
    sources->addWidget(open);
    sources->addWidget(probe);
    sources->addStretch(1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_count);
    buttons->addStretch(1);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_run);
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_editor, 1);
    topLayout->addLayout(sources);
    topLayout->addLayout(buttons);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_strip);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    // Ctrl+Enter is the main window's Run action (a second shortcut here would make the key ambiguous).
    connect(m_run, &QPushButton::clicked, this, &PromptPanel::runRequested);
    connect(m_cancel, &QPushButton::clicked, this, &PromptPanel::cancelRequested);
    connect(open, &QPushButton::clicked, this, &PromptPanel::openTextRequested);
    connect(probe, &QPushButton::clicked, this, &PromptPanel::inductionProbeRequested);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(200);
    connect(&m_debounce, &QTimer::timeout, this, &PromptPanel::tokenise);
    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] { emit textEdited(); scheduleTokenise(); });
    connect(context, &SessionContext::modelChanged, this, &PromptPanel::scheduleTokenise);
    // After a run the chips show exactly the tokens the maps are about.
    connect(context, &SessionContext::runStarted, this, [this] { showTokens(m_context->tokens()); });
    connect(context, &SessionContext::queryChanged, m_tokens, &TokenListModel::setSelectedPosition);
    // Faded chips follow the selected head's mask (a sliding-window layer hides early tokens; BERT hides none).
    auto followMask = [this] {
        if (const std::optional<AttentionMask> mask = m_context->headMask(m_context->layer(), m_context->head()))
            m_tokens->setMask(*mask);
    };
    connect(context, &SessionContext::selectionChanged, this, followMask);
    connect(context, &SessionContext::layerReady, this, followMask);
    connect(m_strip, &TokenStrip::tokenClicked, context, &SessionContext::setQuery);
}

QString PromptPanel::text() const
{
    return m_editor->toPlainText();
}

void PromptPanel::setText(const QString& text)
{
    m_editor->setPlainText(text);
}

void PromptPanel::setRunning(bool running)
{
    m_cancel->setEnabled(running);
}

void PromptPanel::scheduleTokenise()
{
    m_debounce.start();
}

void PromptPanel::tokenise()
{
    OpenedModelPtr model = m_context->model();
    if (!model) {
        m_count->setText(tr("no model"));
        return;
    }
    if (m_tokenising) {   // one job at a time; the latest text is tokenised when this one returns
        m_dirtyWhileTokenising = true;
        return;
    }
    m_tokenising = true;
    m_dirtyWhileTokenising = false;
    const quint64 gen = ++m_tokeniseGeneration;
    const std::string utf8 = text().toStdString();
    runInBackground(this, [model, utf8]() -> TokenRowsPtr {
        try {
            const Tokenizer& tok = model->model->tokenizer();
            return makeTokenRows(tok, tok.encode(utf8, true));
        } catch (const std::exception&) {
            return nullptr;   // the run reports tokenizer errors with their reason
        }
    }, [this, gen, model](TokenRowsPtr rows) {
        m_tokenising = false;
        if (gen == m_tokeniseGeneration && model == m_context->model())
            showTokens(rows);
        if (m_dirtyWhileTokenising)
            tokenise();
    });
}

void PromptPanel::showTokens(TokenRowsPtr rows)
{
    m_tokens->setTokens(rows);
    m_tokens->setSelectedPosition(-1);
    m_count->setText(rows ? tr("%n token(s)", nullptr, static_cast<int>(rows->size())) : tr("cannot tokenise"));
}

} // namespace attnscope
