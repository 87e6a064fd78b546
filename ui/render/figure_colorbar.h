// The colourbar of a figure: a vertical bar whose slices have exactly the colours the panels use for the value
// at that height (scaleColour), ticks at round values (decades on a log scale) and the scale's label, rotated,
// to its right. Threading: pure drawing.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_panel.h"

namespace attnscope {

/// Width the colourbar needs beside its bar (ticks, tick labels, rotated label), in points.
double colourbarWidth(const ColourScale& scale, const ResolvedScale& range, const FigureFonts& fonts, double barHeight);
/// Draws it with the bar's left edge at `area.left()`, spanning `area`'s height.
void drawColourbar(FigureCanvas& canvas, const QRectF& area, const ColourScale& scale, const ResolvedScale& range,
                   const FigureFonts& fonts, const QString& groupId);

inline constexpr double kColourbarBarWidth = 5.0;

} // namespace attnscope
