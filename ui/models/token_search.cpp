// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/token_search.h"

#include <algorithm>

namespace attnscope {

QVector<int> findTokens(const TokenRows& tokens, const QString& needle)
{
    QVector<int> out;
    const QByteArray pattern = needle.toUtf8().toLower();
    if (pattern.isEmpty())
        return out;
    QByteArray text;
    QVector<int> owner;   // token of each byte of `text`
    for (int i = 0; i < tokens.size(); ++i) {
        const QByteArray& b = tokens[i].bytes;
        text += b;
        owner.insert(owner.size(), b.size(), i);
    }
    text = text.toLower();   // ASCII only: other bytes are left alone
    for (qsizetype at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) {
        const int token = owner[at];
        if (out.isEmpty() || out.last() != token)
            out.push_back(token);
    }
    return out;
}

int nextMatch(const QVector<int>& matches, int current, bool backwards)
{
    if (matches.isEmpty())
        return -1;
    if (!backwards) {
        const auto it = std::upper_bound(matches.begin(), matches.end(), current);
        return it == matches.end() ? matches.first() : *it;
    }
    const auto it = std::lower_bound(matches.begin(), matches.end(), current);
    return it == matches.begin() ? matches.last() : *(it - 1);
}

} // namespace attnscope
