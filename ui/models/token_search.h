// Token search over a run's prompt (Ctrl+F): the text is the tokens' bytes joined, so a match may span several
// tokens ("jumps" in "␣j" "umps") and is reported at the token where it starts. ASCII letters match without
// regard to case; other characters match exactly. Threading: pure function.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/token_list_model.h"

#include <QString>
#include <QVector>

namespace attnscope {

/// Positions of the tokens where a match of `needle` starts, ascending, each position once.
QVector<int> findTokens(const TokenRows& tokens, const QString& needle);

/// The match to go to from `current`: the first one after it (or before it, backwards), wrapping around;
/// -1 when there is none.
int nextMatch(const QVector<int>& matches, int current, bool backwards = false);

} // namespace attnscope
