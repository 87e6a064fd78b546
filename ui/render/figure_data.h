// The data behind a figure (docs/EXPORT.md "Data files"): what a headless run must capture for it, the figure
// source built from a run, and the figure's tensors written as HDF5, .npz, .npy or CSV — "Save data" of a view
// and `attnscope-cli export --data-out`. Threading: any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/capture/collecting_observer.h"
#include "core/io/run_data.h"
#include "ui/render/figure_panel.h"
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <QString>

namespace attnscope {

struct CompareResult;
struct LayerCaptures;
struct RunResult;

/// What the figure's panels read (the union over its panels).
CaptureNeeds figureNeeds(const FigureSpec& spec);
/// The run capture for those needs in a model with `heads` heads per layer: every head, or just the heads and
/// layers named.
CaptureSpec captureSpecFor(const CaptureNeeds& needs, int heads);

/// One layer's statistics (the sink view's numbers) from the layer's captured maps, series and stats: what the
/// GUI computes as each layer arrives, and what a headless figure computes from its run.
std::shared_ptr<const LayerReport> layerReportOf(const LayerCaptures& layer, int heads);
/// Every layer's report from a finished run's captures (maps and series of each layer in (quantity, head) order).
std::vector<std::shared_ptr<const LayerReport>> layerReportsOf(const CaptureStore& captures, const std::vector<LayerStats>& stats,
                                                               int layers, int heads);

/// A figure source from a finished run (attnscope-cli); with `layerReports`, the sink view's statistics too.
std::shared_ptr<FigureSource> figureSourceFromRun(const RunResult& run, const QString& modelName, bool layerReports = false);
/// A figure source from a comparison (attnscope-cli): the baseline is the run, the comparison feeds compare panes.
std::shared_ptr<FigureSource> figureSourceFromCompare(std::shared_ptr<const CompareResult> result, const QString& modelName,
                                                      bool layerReports = false);

/// The run's data restricted to what the figure reads (with the score table when a panel shows scores).
RunData figureRunData(const FigureSpec& spec, const FigureSource& source, const RunDataInfo& info);

/// Data formats by extension: .h5/.hdf5, .npz, .npy (one map: the figure's first head panel), .csv (the maps
/// when small, or the score table when the figure shows scores only).
bool isDataExportPath(const QString& path);
/// Writes atomically; false with the reason in `error` (the previous file is untouched).
bool exportFigureData(const FigureSpec& spec, const FigureSource& source, const RunDataInfo& info, const QString& path,
                      QString* error);
/// Writes a whole run's captures (every quantity of every layer and head it holds).
bool exportRunData(const RunData& run, const QString& path, QString* error);

} // namespace attnscope
