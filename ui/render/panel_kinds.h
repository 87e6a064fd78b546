// The built-in panel kinds (one file each) and helpers they share. Internal to the figure library: other code
// reaches kinds through the registry in figure_panel.h.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_panel.h"

#include <memory>
#include <vector>

namespace attnscope {

std::vector<std::shared_ptr<const PanelKind>> builtinPanelKinds();

std::shared_ptr<const PanelKind> makeHeadMapPanelKind();        // "head": one head's map (the head view)
std::shared_ptr<const PanelKind> makeOverviewPanelKind();       // "overview": layers × heads thumbnails
std::shared_ptr<const PanelKind> makeTokenBarsPanelKind();      // "token": a query's strongest keys (token view)
std::shared_ptr<const PanelKind> makeKeyReceivedPanelKind();    // "key": attention a key receives (key view)
std::shared_ptr<const PanelKind> makeHeadScoresPanelKind();     // "scores": layers × heads of one score
std::shared_ptr<const PanelKind> makeHeadRankingPanelKind();    // "ranking": the head finder's table

/// A layers × heads table of values drawn as coloured cells (hatched where NaN), with the numbers printed
/// when the cells are large enough, layer labels on the left and head labels below. Used by "key" and "scores".
struct LayerHeadTable {
    int layerFirst = 0, layers = 0, heads = 0;
    std::vector<double> values;          // layers × heads, row-major
    ColourScale scale;
    QString title;
    int decimals = 2;
};
PanelContentPtr makeLayerHeadTablePanel(LayerHeadTable table);

/// Layer range of a spec clamped to the source ([first, last], inclusive).
std::pair<int, int> layerRange(const PanelSpec& spec, int layers);

} // namespace attnscope
