// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/display_text.h"

#include "core/util/text_escape.h"

#include <QTextDocument>

namespace attnscope {

QString displayText(const std::string& text, size_t maxBytes)
{
    return QString::fromStdString(shortened(text, maxBytes));
}

QString displayText(const QString& text, size_t maxBytes)
{
    return displayText(text.toStdString(), maxBytes);
}

QString displayLines(const QString& text, size_t maxBytesPerLine)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString& line : lines)
        line = displayText(line, maxBytesPerLine);
    return lines.join(QLatin1Char('\n'));
}

QString plainToolTip(const QString& text)
{
    if (!Qt::mightBeRichText(text))
        return text;
    return QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(text.toHtmlEscaped());
}

} // namespace attnscope
