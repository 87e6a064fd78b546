// Heatmap colormaps (docs/FIGURES.md): perceptually uniform sequential maps for probabilities and a zero-centred
// diverging map for signed data, as 256-entry opaque ARGB tables. Threading: immutable tables, any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QColor>
#include <QString>
#include <QStringList>

#include <array>

namespace attnscope {

enum class Colormap { Viridis, Magma, Cividis, Grey, Diverging };
inline constexpr int kColormapCount = 5;

using Lut = std::array<QRgb, 256>;

/// The 256-entry table (index 0 = lowest value; Diverging: 0 = most negative, 128 ≈ zero).
const Lut& colormapLut(Colormap c);
/// Stable id for sessions and settings: viridis, magma, cividis, grey, diverging.
QString colormapId(Colormap c);
bool colormapFromId(const QString& id, Colormap& out);
/// Label for menus ("viridis", …, "RdBu (diverging, signed data)").
QString colormapLabel(Colormap c);
bool isDiverging(Colormap c);

/// The colour masked cells are drawn on (with a hatch): a neutral tone no sequential map uses for 0.
QColor maskedBackground();
QColor maskedHatch();

} // namespace attnscope
