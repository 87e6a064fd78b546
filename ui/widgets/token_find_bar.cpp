// TokenFindBar: search field, match count, previous/next, close.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/token_find_bar.h"

#include "ui/models/token_search.h"
#include "ui/session_context.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

namespace attnscope {

TokenFindBar::TokenFindBar(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_edit(new QLineEdit)
    , m_target(new QLabel)
    , m_status(new QLabel)
{
    setObjectName(QStringLiteral("tokenFindBar"));
    m_edit->setObjectName(QStringLiteral("tokenFindEdit"));
    m_edit->setPlaceholderText(tr("Find in the prompt's tokens"));
    m_edit->setClearButtonEnabled(true);
    m_edit->installEventFilter(this);
    auto* prev = new QToolButton;
    prev->setText(QStringLiteral("◀"));
    prev->setToolTip(tr("Previous match (Shift+Enter)"));
    auto* next = new QToolButton;
    next->setText(QStringLiteral("▶"));
    next->setToolTip(tr("Next match (Enter)"));
    auto* close = new QToolButton;
    close->setText(QStringLiteral("✕"));
    close->setToolTip(tr("Close (Esc)"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(new QLabel(tr("Find:")));
    layout->addWidget(m_edit, 1);
    layout->addWidget(prev);
    layout->addWidget(next);
    layout->addWidget(m_status);
    layout->addWidget(m_target);
    layout->addStretch(1);
    layout->addWidget(close);
    connect(m_edit, &QLineEdit::textChanged, this, &TokenFindBar::search);
    connect(prev, &QToolButton::clicked, this, [this] { findNext(true); });
    connect(next, &QToolButton::clicked, this, [this] { findNext(false); });
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    connect(context, &SessionContext::runStarted, this, [this] {
        if (isVisible())
            search();
    });
    connect(context, &SessionContext::viewChanged, this, &TokenFindBar::showStatus);
    hide();
}

void TokenFindBar::open()
{
    show();
    m_edit->setFocus();
    m_edit->selectAll();
    showStatus();
}

bool TokenFindBar::targetsKey() const
{
    return m_context->view() == ViewKind::Key;
}

int TokenFindBar::current() const
{
    return targetsKey() ? m_context->key() : m_context->query();
}

void TokenFindBar::jumpTo(int position)
{
    if (position < 0)
        return;
    if (targetsKey())
        m_context->setKey(position);
    else
        m_context->setQuery(position);
}

void TokenFindBar::search()
{
    const TokenRowsPtr tokens = m_context->tokens();
    m_matches = tokens ? findTokens(*tokens, m_edit->text()) : QVector<int>();
    jumpTo(nextMatch(m_matches, current() - 1));   // stay on the current token when it matches
    showStatus();
}

int TokenFindBar::findNext(bool backwards)
{
    if (m_matches.isEmpty())
        search();
    const int to = nextMatch(m_matches, current(), backwards);
    jumpTo(to);
    showStatus();
    return to;
}

void TokenFindBar::showStatus()
{
    m_target->setText(targetsKey() ? tr("→ sets the key token") : tr("→ sets the query token"));
    if (m_edit->text().isEmpty()) {
        m_status->clear();
        return;
    }
    if (!m_context->tokens()) {
        m_status->setText(tr("run the model first"));
        return;
    }
    const int at = static_cast<int>(m_matches.indexOf(current()));
    m_status->setText(m_matches.isEmpty() ? tr("no match")
                                          : tr("%1 of %2").arg(at >= 0 ? QString::number(at + 1) : QStringLiteral("–"))
                                                .arg(m_matches.size()));
}

bool TokenFindBar::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto* k = static_cast<QKeyEvent*>(event);
        const bool shift = k->modifiers() & Qt::ShiftModifier;
        if (k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter || k->key() == Qt::Key_F3) {
            findNext(shift);
            return true;
        }
        if (k->key() == Qt::Key_Escape) {
            hide();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace attnscope
