// The data a figure is drawn from, whoever ran the model: the GUI builds it from its session (the captured
// items it already holds, the sink view's layer reports, the compare workspace's comparison), attnscope-cli from a
// RunResult (and a CompareResult when the figure shows compare panes). Panels read only this, so a figure renders
// the same from either. Everything is shared and immutable; the layer means of the Δ view and the score table are
// computed on demand and cached behind a lock. Threading: any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/layer_report.h"
#include "core/results/capture_store.h"
#include "core/session/compare_run.h"

#include <QString>
#include <QStringList>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace attnscope {

/// A comparison of the baseline with what-if variants on one text (the compare workspace's, or one the CLI ran):
/// the engine's result as it is, with the token labels of its text.
struct FigureComparison {
    std::shared_ptr<const CompareResult> result;
    QStringList tokens;
    /// The variant whose spec prints as `spec` (AttentionSpec::toString), or null.
    const VariantComparison* variant(const QString& spec) const;
    /// A pane's map: the baseline's for an empty `variant`, else that variant's; null when not kept.
    AttentionMapPtr map(const QString& variant, int layer, int head) const;
};

class FigureSource {
public:
    QString modelName;                 // for titles and metadata
    QString variant;                   // "" = the model's own attention
    QStringList tokens;                // display strings (␣ for spaces, ↵ for newlines)
    std::vector<int32_t> tokenIds;
    int layers = 0, heads = 0, kvHeads = 0;
    int headDim = 0;                   // for recomputing a long run's tiles (0: unknown, no recomputation)
    float attnScale = 0;
    CaptureStore captures;
    bool stale = false;                // the maps belong to a previous prompt (a note on the figure)
    /// Per-layer statistics of the run (core/metrics/layer_report.h; the sink view's numbers), indexed by layer;
    /// null where a layer's report is not there (yet).
    std::vector<std::shared_ptr<const LayerReport>> layerReports;
    /// The comparison compare panes are drawn from; null when there is none.
    std::shared_ptr<const FigureComparison> comparison;

    int tokenCount() const { return static_cast<int>(tokens.size()); }
    AttentionMapPtr map(Quantity q, int layer, int head) const { return captures.map(q, layer, head); }
    const LayerReport* layerReport(int layer) const
    {
        return layer >= 0 && layer < static_cast<int>(layerReports.size()) ? layerReports[static_cast<size_t>(layer)].get() : nullptr;
    }
    /// A long run's head (docs/LONG-CONTEXT.md): exact tiles recomputed from the kept queries, keys and row
    /// normaliser; null when the run kept no such items for it (or headDim is unknown).
    std::shared_ptr<const HeadTileSource> tiles(int layer, int head) const;
    /// Mean over the layer's captured heads of quantity q (the Δ view), computed once.
    std::shared_ptr<const std::vector<float>> layerMean(Quantity q, int layer) const;
    /// Every head's scores (core/metrics/head_metrics.h), computed once from the attention probabilities
    /// unless set beforehand (the GUI hands over the table it already has).
    std::shared_ptr<const MetricsTable> metrics() const;
    void setMetrics(std::shared_ptr<const MetricsTable> table);
    void setLayerMean(Quantity q, int layer, std::shared_ptr<const std::vector<float>> mean);

private:
    mutable std::mutex m_mutex;
    mutable std::map<std::pair<int, int>, std::shared_ptr<const std::vector<float>>> m_means;
    mutable std::shared_ptr<const MetricsTable> m_metrics;
};
using FigureSourcePtr = std::shared_ptr<const FigureSource>;

} // namespace attnscope
