// The figure of a view: which panel kind each tab exports as and with which selection (docs/FIGURES.md). The
// views add what only they know (the head view its zoom) on top; sessions without a stored figure fall back to
// this, so `attnscope-cli figure` can draw any session. Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_spec.h"
#include "ui/session_file.h"

namespace attnscope {

/// The panel kind a view exports as: overview → "overview", head → "head", token → "token", key → "key",
/// head finder → "ranking".
QString panelKindForView(ViewKind view);

/// One panel showing the view's current selection, under `style` (whose settings are replaced by the view's).
FigureSpec viewFigureSpec(ViewKind view, int layer, int head, int query, int key, HeadMetric metric,
                          const ViewSettings& settings, const FigureStyle& style = {});
/// The same from a saved session (its view, selection, score and settings).
FigureSpec viewFigureSpec(const SessionState& s, const FigureStyle& style = {});

} // namespace attnscope
