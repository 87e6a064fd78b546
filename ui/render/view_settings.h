// How a heatmap maps values to colours: colormap, scale (linear / log / power), normalisation (global or per
// row), what is shown (weights, or the signed difference from the layer's mean over heads) and how a map with
// more tokens than pixels is pooled (max or mean).
// A plain value type shared by the head view, the overview thumbnails and sessions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/colormap.h"

#include <QJsonObject>

namespace attnscope {

enum class ScaleKind { Linear, Log, Power };
enum class Normalisation { Global, PerRow };
enum class DisplayData { Weights, DiffFromLayerMean };
/// How a map with more tokens than pixels is reduced: the largest value of each block, or its mean.
enum class Pooling { Max, Mean };

struct ViewSettings {
    Colormap colormap = Colormap::Viridis;
    ScaleKind scale = ScaleKind::Power;
    double gamma = 0.5;          // power scale: colour position = (v / vmax)^gamma
    double logFloor = 1e-4;      // log scale: values below are drawn at the floor (shown on the colourbar)
    Normalisation normalisation = Normalisation::Global;
    DisplayData data = DisplayData::Weights;
    Pooling pooling = Pooling::Max;

    /// Signed data always uses the diverging map, linear and symmetric around 0 (docs/FIGURES.md).
    bool isSigned() const { return data == DisplayData::DiffFromLayerMean; }
    Colormap effectiveColormap() const { return isSigned() ? Colormap::Diverging : colormap; }
    ScaleKind effectiveScale() const { return isSigned() ? ScaleKind::Linear : scale; }

    bool operator==(const ViewSettings& o) const = default;
};

QString scaleId(ScaleKind s);
QString normalisationId(Normalisation n);
QString displayDataId(DisplayData d);
QString poolingId(Pooling p);
QJsonObject toJson(const ViewSettings& v);
/// Unknown or missing fields keep their defaults (a session from a newer version still opens).
ViewSettings viewSettingsFromJson(const QJsonObject& o);

} // namespace attnscope
