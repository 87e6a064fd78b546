// The figure font: DejaVu Sans bundled in the resources (resources/fonts, from Debian's fonts-dejavu-core,
// licence in resources/fonts/LICENSE-DejaVu.txt) and registered with QFontDatabase, so a figure made in the GUI
// and one made headless by attnscope-cli use the same glyphs and metrics. Threading: call from any thread after
// a QGuiApplication exists; registration happens once.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>

namespace attnscope {

/// Registers the bundled font (once) and returns its family name ("DejaVu Sans"). Falls back to the
/// application's default family when the resource is missing (never in a normal build).
QString figureFontFamily();

} // namespace attnscope
