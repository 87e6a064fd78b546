// The state every panel observes (ARCHITECTURE §9): the current model, the run's tokens and maps, per-head
// thumbnails and metrics, the selection (layer, head, query token) and the view settings. Panels talk to the
// context, never to each other. Heavy preparation (pooling, metrics, colourising) runs on QtConcurrent
// workers over immutable snapshots and is accepted back only when its generation is still current.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"
#include "ui/models/head_metrics_model.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"
#include "ui/session_bridge.h"

#include <QImage>
#include <QObject>
#include <QVector>

namespace attnscope {

enum class ViewKind { Overview, Head, Token };
QString viewKindId(ViewKind v);
bool viewKindFromId(const QString& id, ViewKind& out);

class SessionContext : public QObject {
    Q_OBJECT
public:
    explicit SessionContext(QObject* parent = nullptr);

    // ---- model and run (fed by the main window from SessionBridge signals) ----
    void setModel(OpenedModelPtr model);
    OpenedModelPtr model() const { return m_model; }
    void beginRun(quint64 generation, TokenRowsPtr tokens, int layers, int heads, int kvHeads);
    void addLayer(quint64 generation, LayerMapsPtr maps);
    void endRun(quint64 generation, bool finished);

    quint64 runGeneration() const { return m_runGeneration; }
    bool isRunning() const { return m_running; }
    TokenRowsPtr tokens() const { return m_tokens; }
    int layers() const { return m_layers; }
    int heads() const { return m_heads; }
    int kvHeads() const { return m_kvHeads; }
    int groupSize() const { return m_kvHeads > 0 ? m_heads / m_kvHeads : 1; }
    int layersReady() const { return m_layersReady; }
    bool hasLayer(int layer) const;
    AttentionMapPtr map(int layer, int head) const;
    std::vector<AttentionMapPtr> layerMaps(int layer) const;

    // ---- overview products ----
    QImage thumbnail(int layer, int head) const;
    HeadMetricsModel* metricsModel() const { return m_metricsModel; }
    /// Number of worker jobs whose results have not come back yet (digests, recolouring).
    int pendingJobs() const { return m_pendingJobs; }

    // ---- selection and view ----
    int layer() const { return m_layer; }
    int head() const { return m_head; }
    int query() const { return m_query; }
    /// Clamps to the model's shape; emits selectionChanged when it changes.
    void select(int layer, int head);
    /// Moves the selection: heads wrap into the neighbouring layer, layers clamp.
    void step(int dLayer, int dHead);
    void setQuery(int position);
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
    void runEnded(bool finished);
    void selectionChanged(int layer, int head);
    void queryChanged(int position);
    void viewSettingsChanged();
    void viewChanged(attnscope::ViewKind view);
    void idleChanged();                  // pendingJobs() dropped to 0

private:
    void startDigest(int layer, std::vector<AttentionMapPtr> maps);
    void recolourThumbnails();
    void jobDone();

    OpenedModelPtr m_model;
    TokenRowsPtr m_tokens;
    quint64 m_runGeneration = 0;
    bool m_running = false;
    int m_layers = 0, m_heads = 0, m_kvHeads = 0, m_layersReady = 0;
    std::vector<AttentionMapPtr> m_maps;   // layer * heads + head
    std::vector<ValueGrid> m_pooled;       // ≤ 64² max-pooled copies for the thumbnails
    QVector<QImage> m_thumbnails;
    quint64 m_recolourGeneration = 0;
    HeadMetricsModel* m_metricsModel = nullptr;
    int m_pendingJobs = 0;

    int m_layer = 0, m_head = 0, m_query = -1;
    ViewSettings m_settings;
    ViewKind m_view = ViewKind::Overview;
};

} // namespace attnscope
