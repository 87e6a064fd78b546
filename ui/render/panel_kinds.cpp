// The list of built-in panel kinds. A new view adds a file with its kind and one line here;
// docs/FIGURES.md "Adding a panel kind" walks through it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <algorithm>

namespace attnscope {

std::vector<std::shared_ptr<const PanelKind>> builtinPanelKinds()
{
    return {makeHeadMapPanelKind(),      makeOverviewPanelKind(),      makeTokenBarsPanelKind(),
            makeKeyReceivedPanelKind(),  makeHeadScoresPanelKind(),    makeHeadRankingPanelKind(),
            makeDifferentialPanelKind(), makeLambdaPanelKind(),        makeSinkHeatmapPanelKind(),
            makeSinkCurvesPanelKind(),   makeHiddenMaxPanelKind(),     makeComparePanelKind(),
            makeCompareDiffPanelKind(),  makeKlCurvePanelKind(),     makeGatesPanelKind()};
}

std::pair<int, int> layerRange(const PanelSpec& spec, int layers)
{
    if (layers <= 0)
        return {0, -1};
    const int first = spec.layerFirst < 0 ? 0 : std::min(spec.layerFirst, layers - 1);
    const int last = spec.layerLast < 0 ? layers - 1 : std::clamp(spec.layerLast, first, layers - 1);
    return {first, last};
}

} // namespace attnscope
