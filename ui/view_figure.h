// The figure of a view: which panel kinds each tab exports as and with which selection (docs/FIGURES.md). The
// views add what only they know (the head view its zoom, the sink view its pinned runs, the compare workspace its
// panes) on top; sessions without a stored figure fall back to this, so `attnscope-cli figure` can draw any
// session. Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_spec.h"
#include "ui/session_file.h"

namespace attnscope {

/// The panel kind a view exports as (its first panel's): overview → "overview", head → "head", token → "token",
/// key → "key", head finder → "ranking", differential → "differential", sinks → "sinks", gates → "gates",
/// compare → "compare".
QString panelKindForView(ViewKind view);

/// The differential view's three panels for a head: A1, λ·A2 and A1 − λ·A2.
QVector<PanelSpec> differentialPanels(int layer, int head);
/// The sink view's panels: the layers × heads heatmap, the per-layer curves and max |hidden|. `metric` is
/// "first_token_share", "sink_mass" or "" (the view's automatic choice).
QVector<PanelSpec> sinkPanels(const QString& metric);
/// The compare view's panels for a head: the baseline, each variant (canonical AttentionSpec strings), the
/// difference pane `variants[a − 1] − variants[b − 1]` (0 = the baseline; none when a == b or out of range), and
/// the per-position KL curve when there are variants.
QVector<PanelSpec> comparePanels(int layer, int head, const QStringList& variants, int a = 1, int b = 0);
/// Canonical spec strings of variants as typed (AttentionSpec::toString); texts that do not parse are left out.
QStringList canonicalVariants(const QStringList& texts);
/// A figure of several panels in reading order: one row up to three panels, else rows of three (four: 2 × 2),
/// with fewer columns when the style's width is narrow (two at one-column width).
FigureSpec panelsFigure(const QVector<PanelSpec>& panels, const FigureStyle& style);
/// The figure of a view of several panels (differential, sink, compare) from its panels: panelsFigure, and the
/// sink view's colourbar beside its heatmap (per-panel scales; its line charts have none).
FigureSpec viewPanelsFigure(ViewKind view, const QVector<PanelSpec>& panels, const FigureStyle& style);
/// Sets a panel's token ranges from a plot's visible axis ranges (cell k spans k ± 0.5; the cells at least half
/// visible), or −1 (the whole map) when everything is visible.
void setVisibleRanges(PanelSpec& p, qint64 cells, double yLower, double yUpper, double xLower, double xUpper);

/// The view's figure showing its current selection, under `style` (whose settings are replaced by the view's).
/// `variants`: the compare workspace's variants as typed (used by the compare view).
FigureSpec viewFigureSpec(ViewKind view, int layer, int head, int query, int key, HeadMetric metric,
                          const ViewSettings& settings, const FigureStyle& style = {}, const QStringList& variants = {});
/// The same from a saved session (its view, selection, score, settings and variants).
FigureSpec viewFigureSpec(const SessionState& s, const FigureStyle& style = {});

} // namespace attnscope
