// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_fonts.h"

#include <QFont>
#include <QFontDatabase>
#include <QGuiApplication>

#include <mutex>

namespace attnscope {

QString figureFontFamily()
{
    static std::once_flag once;
    static QString family;
    std::call_once(once, [] {
        const int id = QFontDatabase::addApplicationFont(QStringLiteral(":/attnscope/fonts/DejaVuSans.ttf"));
        const QStringList families = id >= 0 ? QFontDatabase::applicationFontFamilies(id) : QStringList();
        family = families.isEmpty() ? QGuiApplication::font().family() : families.first();
    });
    return family;
}

} // namespace attnscope
