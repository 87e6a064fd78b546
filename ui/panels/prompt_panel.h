// Prompt editor: type, paste or open a .txt file; the tokens appear as chips (id and bytes on hover) as soon
// as the text is tokenised (on a worker, debounced); Run with Ctrl+Enter, Cancel with Esc. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/token_list_model.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace attnscope {

class SessionContext;
class TokenListModel;
class TokenStrip;

class PromptPanel : public QWidget {
    Q_OBJECT
public:
    explicit PromptPanel(SessionContext* context, QWidget* parent = nullptr);

    QString text() const;
    void setText(const QString& text);
    QPlainTextEdit* editor() const { return m_editor; }
    TokenListModel* tokenModel() const { return m_tokens; }
    TokenStrip* strip() const { return m_strip; }
    void setRunning(bool running);
    /// True while a tokenisation job is out.
    bool isTokenising() const { return m_tokenising; }

signals:
    void runRequested();
    void cancelRequested();
    void openTextRequested();
    void inductionProbeRequested();
    void textEdited();

private:
    void scheduleTokenise();
    void tokenise();
    void showTokens(TokenRowsPtr rows);

    SessionContext* m_context;
    QPlainTextEdit* m_editor;
    TokenListModel* m_tokens;
    TokenStrip* m_strip;
    QLabel* m_count;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QTimer m_debounce;
    quint64 m_tokeniseGeneration = 0;
    bool m_tokenising = false;
    bool m_dirtyWhileTokenising = false;
};

} // namespace attnscope
