// The built-in panel kinds (one file each) and helpers they share. Internal to the figure library: other code
// reaches kinds through the registry in figure_panel.h.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_panel.h"
#include "ui/render/heatmap_image.h"

#include <limits>
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
std::shared_ptr<const PanelKind> makeDifferentialPanelKind();   // "differential": A1, λ·A2 or A1 − λ·A2 (differential view)
std::shared_ptr<const PanelKind> makeLambdaPanelKind();         // "lambda": λ per layer and head (differential view)
std::shared_ptr<const PanelKind> makeSinkHeatmapPanelKind();    // "sinks": layers × heads sink shares (sink view)
std::shared_ptr<const PanelKind> makeSinkCurvesPanelKind();     // "sink_curves": per-layer sink curves, pinned runs
std::shared_ptr<const PanelKind> makeHiddenMaxPanelKind();      // "hidden_max": max |hidden| per layer (sink view)
std::shared_ptr<const PanelKind> makeComparePanelKind();        // "compare": a head under the baseline or a variant
std::shared_ptr<const PanelKind> makeCompareDiffPanelKind();    // "compare_diff": one pane minus another
std::shared_ptr<const PanelKind> makeGatesPanelKind();          // "gates": heads × tokens gate values of a layer (gates view)
std::shared_ptr<const PanelKind> makeKlCurvePanelKind();        // "kl_curve": per-position KL (or cosine) per variant

/// A T × T map drawn as the views draw it (panel_heatmap.cpp): pooled and colourised by heatmap_image.h under
/// `settings` (PerRow normalisation divides each row by its maximum), token labels on both axes, one rectangle
/// per run of equal colour on vector targets up to `cellLimit` cells. Used by "head", "differential" and the
/// compare kinds.
struct HeatmapPanel {
    HeatmapSource src;
    ViewSettings settings;
    qint64 q0 = 0, q1 = 0, k0 = 0, k1 = 0;   // rows and columns shown, inclusive
    QStringList tokens;
    QString title;
    ColourScale colour;                      // heatmapColourScale() unless a kind knows better
    qint64 cellLimit = 1 << 20;
    /// A long run's head (src.tiles, no map): the pool of its cells (long_map_pool.h), and the streamed grid
    /// of the settings' pooling (null: recompute every cell).
    int longPool = 0;
    CapturedSeriesPtr longCoarse;

    /// The token ranges from a spec's (−1 = from the start / to the end), clamped to the map.
    void setRanges(qint64 queryFirst, qint64 queryLast, qint64 keyFirst, qint64 keyLast);
    qint64 rows() const { return q1 - q0 + 1; }
    qint64 cols() const { return k1 - k0 + 1; }
};
PanelContentPtr makeHeatmapPanel(HeatmapPanel panel);
/// The colour scale of a map under `settings`: sequential or, for signed sources, diverging and symmetric; its
/// key is "weight:KEY" / "delta:KEY" ("-row" added under per-row normalisation) so maps that mean the same share
/// one range; `high` is the panel's own maximum (< 0: the map's largest magnitude).
ColourScale heatmapColourScale(const HeatmapSource& src, const ViewSettings& settings, const QString& key, double high = -1);

/// Series over an x axis of integer positions (layers, token positions) as vector lines with markers, a legend
/// under the plot and round ticks (panel_line_chart.cpp). Used by "sink_curves", "hidden_max" and "kl_curve".
struct LineChart {
    struct Series {
        QString label;
        QColor colour;
        double width = 1.0;
        QVector<double> values;              // y per x = 0, 1, …; NaN leaves a gap
        bool markers = true;
    };
    QString title;
    QString xLabel, yLabel;
    QVector<Series> series;
    bool logY = false;
    double yMin = std::numeric_limits<double>::quiet_NaN();   // NaN: from the data
    double yMax = std::numeric_limits<double>::quiet_NaN();
    /// Labels of the x positions for ticks ("12 fox"); empty: the numbers.
    QStringList xTickLabels;
};
PanelContentPtr makeLineChartPanel(LineChart chart);

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
/// The colours of a layers × heads table as the views' LayerHeadHeatmap picks them: [0, max] on `colormap` (the
/// diverging map is replaced by viridis), or zero-centred and diverging when a value is negative.
ColourScale layerHeadColourScale(const std::vector<double>& values, Colormap colormap, const QString& key, const QString& label);

/// Layer range of a spec clamped to the source ([first, last], inclusive).
std::pair<int, int> layerRange(const PanelSpec& spec, int layers);

} // namespace attnscope
