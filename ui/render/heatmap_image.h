// Turning attention maps into images: max-pooling to a size (thumbnails, very long prompts), LUT colourising
// under a ViewSettings, and the signed "difference from the layer mean" view. Pure functions over immutable
// inputs, meant to run on a worker (QtConcurrent) and hand the QImage to the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"
#include "ui/render/view_settings.h"

#include <QImage>

#include <memory>
#include <vector>

namespace attnscope {

/// rows × cols values, row-major; NaN marks a masked cell (drawn transparent, so the hatch shows through).
struct ValueGrid {
    int rows = 0;
    int cols = 0;
    int pool = 1;              // source cells per grid cell along each axis
    std::vector<float> values;
    float at(int r, int c) const { return values[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)]; }
};

/// What a heatmap shows: a map's probabilities, or signed values of the same shape and mask.
struct HeatmapSource {
    AttentionMapPtr map;
    std::shared_ptr<const std::vector<float>> signedValues;   // set for DisplayData::DiffFromLayerMean
    bool isSigned() const { return signedValues != nullptr; }
};

/// Pools to at most maxSide cells per side: the value of largest magnitude in each block (max-pooling keeps
/// sharp sinks and diagonals visible); a block is masked only when all of its cells are.
ValueGrid poolSource(const HeatmapSource& src, int maxSide);

struct ColourisedGrid {
    QImage image;              // ARGB32, one pixel per grid cell, alpha 0 where masked
    double vmin = 0, vmax = 1; // the value range the colours span (per-row: 0..1 of the row maximum)
};

/// Colours a grid under the settings (the settings' effective colormap/scale for signed data).
ColourisedGrid colouriseGrid(const ValueGrid& grid, const ViewSettings& settings, bool isSigned);

/// D = A_head − mean over the layer's heads of A (masked cells stay 0; the mask comes from the map).
std::shared_ptr<const std::vector<float>> diffFromLayerMean(const std::vector<AttentionMapPtr>& layerHeads, int head);

} // namespace attnscope
