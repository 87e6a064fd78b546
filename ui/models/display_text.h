// Text from files (model names, architectures, paths, error messages quoting file content) as the GUI shows
// it: the same escaping as the CLI (core/util/text_escape.h), shortened, and never interpreted as rich text.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>
#include <string>

namespace attnscope {

/// escapeControl(text) shortened to maxBytes, as a QString (invalid UTF-8 arrives escaped, not as U+FFFD).
QString displayText(const std::string& text, size_t maxBytes = 1024);
QString displayText(const QString& text, size_t maxBytes = 1024);
/// displayText() line by line: the line breaks of a message we composed stay; everything else is escaped.
QString displayLines(const QString& text, size_t maxBytesPerLine = 4096);
/// Qt renders a tooltip that looks like HTML as rich text; this one always shows exactly `text`.
QString plainToolTip(const QString& text);

} // namespace attnscope
