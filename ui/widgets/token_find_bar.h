// The Ctrl+F bar: type text, the query token (or, in the key view, the key token) jumps to the first token where
// it occurs at or after the current one; Enter / F3 go to the next match, Shift+Enter / Shift+F3 to the previous,
// Esc closes. Searches the tokens of the run on screen (ui/models/token_search.h). Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QVector>
#include <QWidget>

class QLabel;
class QLineEdit;

namespace attnscope {

class SessionContext;

class TokenFindBar : public QWidget {
    Q_OBJECT
public:
    explicit TokenFindBar(SessionContext* context, QWidget* parent = nullptr);
    QLineEdit* edit() const { return m_edit; }
    /// Shows the bar and focuses the field with its text selected.
    void open();
    /// Moves to the next (or previous) match; returns the token it moved to, or -1.
    int findNext(bool backwards = false);
    int matchCount() const { return static_cast<int>(m_matches.size()); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void search();
    bool targetsKey() const;
    int current() const;
    void jumpTo(int position);
    void showStatus();

    SessionContext* m_context;
    QLineEdit* m_edit;
    QLabel* m_target;
    QLabel* m_status;
    QVector<int> m_matches;
};

} // namespace attnscope
