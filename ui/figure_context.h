// The GUI's side of the figure library: a FigureSource snapshot of the session (the captured items the views
// already hold, the score table the overview computed, the Δ view's cached layer means, the sink view's layer
// reports, the compare workspace's comparison) and the provenance a data export records. Threading: UI thread
// (the snapshot is then used on workers).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/run_data.h"
#include "ui/compare/compare_outcome.h"
#include "ui/render/figure_source.h"

namespace attnscope {

class SessionContext;

/// `comparison`: the compare workspace's result on screen (compare panes are drawn from it), or null.
FigureSourcePtr figureSourceFromContext(const SessionContext& context, const CompareOutcomePtr& comparison = nullptr);
/// Model name, path, architecture, format, prompt and backend of the run on screen (`modelHash` as known).
RunDataInfo runDataInfoFromContext(const SessionContext& context, const QString& prompt, const QString& modelHash);
/// Everything the run captured (every quantity, layer and head held), with the score table.
RunData runDataFromContext(const SessionContext& context, const RunDataInfo& info);

} // namespace attnscope
