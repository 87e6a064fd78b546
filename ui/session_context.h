// The state every panel observes: the current model, the run's tokens and maps, per-head thumbnails and scores,
// the selection (layer, head, query token, key token), the view settings and whether the maps still belong to
// the prompt on screen. Panels talk to the context, never to each other. Heavy preparation (pooling, scores,
// colourising, layer means) runs on worker threads over immutable snapshots and is accepted back only when its
// generation is still current. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "core/metrics/head_metrics.h"
#include "core/metrics/layer_report.h"
#include "core/results/capture_store.h"
#include "ui/models/head_metrics_model.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"
#include "ui/session_bridge.h"

#include <QImage>
#include <QObject>
#include <QVector>

#include <deque>
#include <optional>

namespace attnscope {

enum class ViewKind { Overview, Head, Token, Key, Finder, Differential, Sink, Gates, Compare };
inline constexpr int kViewKindCount = 9;
QString viewKindId(ViewKind v);
bool viewKindFromId(const QString& id, ViewKind& out);

class SessionContext : public QObject {
    Q_OBJECT
public:
    explicit SessionContext(QObject* parent = nullptr);

    // ---- model and run (fed by the main window from SessionBridge signals) ----
    void setModel(OpenedModelPtr model);
    OpenedModelPtr model() const { return m_model; }
    /// `captured`: which heads the run captures (layer * heads + head), null = every head.
    void beginRun(quint64 generation, TokenRowsPtr tokens, int layers, int heads, int kvHeads,
                  CaptureMaskPtr captured = nullptr);
    void addLayer(quint64 generation, LayerMapsPtr maps);
    void endRun(quint64 generation, bool finished);
    /// Drops the run's maps, thumbnails and scores (the model stays open): they belong to nothing on screen.
    void clearResults();

    quint64 runGeneration() const { return m_runGeneration; }
    bool isRunning() const { return m_running; }
    TokenRowsPtr tokens() const { return m_tokens; }
    int tokenCount() const { return m_tokens ? static_cast<int>(m_tokens->size()) : 0; }
    int layers() const { return m_layers; }
    int heads() const { return m_heads; }
    int kvHeads() const { return m_kvHeads; }
    int groupSize() const { return m_kvHeads > 0 ? m_heads / m_kvHeads : 1; }
    int layersReady() const { return m_layersReady; }
    bool hasLayer(int layer) const;
    /// Whether the run captures this head (false for heads left out of a subset capture).
    bool isCaptured(int layer, int head) const;
    /// False for layers whose token mixer has no softmax map (Qwen3-Next's Gated DeltaNet layers).
    bool hasSoftmaxMap(int layer) const;
    /// The text views show in place of a map for such a layer.
    QString noSoftmaxMapText(int layer) const;
    bool capturesEveryHead() const { return !m_captured; }
    int capturedHeadCount() const;
    /// The run's captured items by (quantity, layer, head) (core/capture/quantity.h): every view reads them here.
    const CaptureStore& captures() const { return m_captures; }
    /// The attention probabilities of a head (null when not captured).
    AttentionMapPtr map(int layer, int head) const;
    AttentionMapPtr map(Quantity q, int layer, int head) const;
    CapturedSeriesPtr series(Quantity q, int layer, int head) const;
    std::vector<AttentionMapPtr> layerMaps(int layer) const;

    // ---- long prompts (docs/LONG-CONTEXT.md "In the GUI") ----
    /// True once the run delivered a layer that kept queries, keys and streamed statistics instead of maps.
    bool isLongRun() const { return m_longRun; }
    /// The head's exact tiles recomputed from the run's queries, keys and row normalisers (null when the run
    /// did not keep them, or the layer has not arrived). Built once per head; any thread may use it.
    std::shared_ptr<const HeadTileSource> tiles(int layer, int head) const;
    /// The mask the head was computed under: the stored map's, or the long run's row normaliser's.
    std::optional<AttentionMask> headMask(int layer, int head) const;
    // ---- per-layer statistics (the sink view; docs/SINKS.md) ----
    /// The layer's statistics (first-token share and α per head, sink mass, λ, massive activations; core
    /// metrics/layer_report.h), computed on a worker as layers arrive; null until then.
    const LayerReport* layerReport(int layer) const;
    /// The reports of every finished layer, in layer order (the sink view's curves).
    ModelReport modelReport() const;
    /// What the run on screen is, for legends: the model's name and the what-if variant, if any.
    QString runLabel() const { return m_runLabel; }
    void setRunLabel(const QString& label) { m_runLabel = label; }

    // ---- the maps' relation to the prompt on screen ----
    /// True when the prompt was edited after the run: the maps belong to the run's tokens, not the text shown.
    bool isStale() const { return m_stale; }
    void setStale(bool stale);

    // ---- derived products ----
    QImage thumbnail(int layer, int head) const;
    /// The values behind a thumbnail (≤ 64² pooled cells; empty until the layer's digest is back).
    ValueGrid thumbnailValues(int layer, int head) const;
    HeadMetricsModel* metricsModel() const { return m_metricsModel; }
    /// Every score of every head computed so far (NaN where not yet computed or not captured).
    const MetricsTable& metricsTable() const { return m_table; }
    /// The layer's mean map over its heads when cached (the Δ view), else null; cacheLayerMean stores one
    /// computed on a worker (a few layers are kept: each is tokens² floats).
    std::shared_ptr<const std::vector<float>> cachedLayerMean(int layer) const;
    void cacheLayerMean(quint64 generation, int layer, std::shared_ptr<const std::vector<float>> mean);
    /// Number of worker jobs whose results have not come back yet (digests, recolouring).
    int pendingJobs() const { return m_pendingJobs; }

    // ---- selection and view ----
    int layer() const { return m_layer; }
    int head() const { return m_head; }
    int query() const { return m_query; }
    int key() const { return m_key; }
    /// Clamps to the model's shape; emits selectionChanged when it changes.
    void select(int layer, int head);
    /// Moves the selection: heads wrap into the neighbouring layer, layers clamp.
    void step(int dLayer, int dHead);
    void setQuery(int position);
    void setKey(int position);
    const ViewSettings& viewSettings() const { return m_settings; }
    void setViewSettings(const ViewSettings& s);
    HeadMetric metric() const { return m_metricsModel->metric(); }
    void setMetric(HeadMetric m);
    ViewKind view() const { return m_view; }
    void setView(ViewKind v);

signals:
    void modelChanged();
    void runStarted();
    void layerReady(int layer);
    void thumbnailsChanged(int layer);   // -1: all layers
    void metricsChanged(int layer);      // a layer's scores arrived
    void runEnded(bool finished);
    void resultsCleared();
    void staleChanged(bool stale);
    void selectionChanged(int layer, int head);
    void queryChanged(int position);
    void keyChanged(int position);
    void viewSettingsChanged();
    void metricChanged(attnscope::HeadMetric metric);   // the summary heatmap's score
    void viewChanged(attnscope::ViewKind view);
    void idleChanged();                  // pendingJobs() dropped to 0
    void reportChanged(int layer);       // a layer's statistics arrived

private:
    void dropResults();
    void startDigest(int layer, std::vector<AttentionMapPtr> maps);
    void startStreamedDigest(int layer);
    void startReport(LayerMapsPtr maps, bool streamed);
    void recolourThumbnails();
    void jobDone();
    size_t index(int layer, int head) const
    {
        return static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(head);
    }

    OpenedModelPtr m_model;
    TokenRowsPtr m_tokens;
    std::shared_ptr<const TokenRepeats> m_repeats;
    CaptureMaskPtr m_captured;
    quint64 m_runGeneration = 0;
    bool m_running = false;
    bool m_stale = false;
    int m_layers = 0, m_heads = 0, m_kvHeads = 0, m_layersReady = 0;
    CaptureStore m_captures;               // every captured item of the run, keyed by (quantity, layer, head)
    bool m_longRun = false;
    mutable std::vector<std::shared_ptr<const HeadTileSource>> m_tileSources;   // layer * heads + head
    std::vector<std::shared_ptr<const LayerReport>> m_reports;
    QString m_runLabel;
    std::vector<bool> m_layerDone;
    std::vector<ValueGrid> m_pooled;       // ≤ 64² max-pooled copies for the thumbnails
    QVector<QImage> m_thumbnails;
    MetricsTable m_table;
    std::deque<std::pair<int, std::shared_ptr<const std::vector<float>>>> m_layerMeans;   // most recent first
    quint64 m_recolourGeneration = 0;
    HeadMetricsModel* m_metricsModel = nullptr;
    int m_pendingJobs = 0;

    int m_layer = 0, m_head = 0, m_query = -1, m_key = -1;
    ViewSettings m_settings;
    ViewKind m_view = ViewKind::Overview;
};

} // namespace attnscope
