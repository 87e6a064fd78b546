// SessionContext: run state, selection, and the worker jobs that build thumbnails and metrics per layer.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_context.h"

#include "ui/background_job.h"

#include <algorithm>

namespace attnscope {

namespace {

constexpr int kThumbnailSide = 64;

struct LayerDigest {
    std::vector<ValueGrid> pooled;
    QVector<QImage> images;
    std::vector<HeadMetrics> metrics;
};

} // namespace

QString viewKindId(ViewKind v)
{
    switch (v) {
    case ViewKind::Overview: return QStringLiteral("overview");
    case ViewKind::Head: return QStringLiteral("head");
    case ViewKind::Token: return QStringLiteral("token");
    }
    return QStringLiteral("overview");
}

bool viewKindFromId(const QString& id, ViewKind& out)
{
    for (ViewKind v : {ViewKind::Overview, ViewKind::Head, ViewKind::Token}) {
        if (viewKindId(v) == id) {
            out = v;
            return true;
        }
    }
    return false;
}

SessionContext::SessionContext(QObject* parent)
    : QObject(parent)
    , m_metricsModel(new HeadMetricsModel(this))
{
}

void SessionContext::setModel(OpenedModelPtr model)
{
    m_model = std::move(model);
    // The old run's maps belong to the old model: drop them (and their memory) now.
    m_runGeneration = 0;
    m_running = false;
    m_tokens.reset();
    m_maps.clear();
    m_pooled.clear();
    m_thumbnails.clear();
    m_layersReady = 0;
    if (m_model) {
        m_layers = m_model->info.nLayers;
        m_heads = m_model->info.nHeads;
        m_kvHeads = m_model->info.nKvHeads;
    } else {
        m_layers = m_heads = m_kvHeads = 0;
    }
    m_metricsModel->reset(0, 0, 1);
    emit modelChanged();
    select(m_layer, m_head);
}

void SessionContext::beginRun(quint64 generation, TokenRowsPtr tokens, int layers, int heads, int kvHeads)
{
    m_runGeneration = generation;
    m_running = true;
    m_tokens = std::move(tokens);
    m_layers = layers;
    m_heads = heads;
    m_kvHeads = kvHeads;
    m_layersReady = 0;
    const size_t n = static_cast<size_t>(layers) * static_cast<size_t>(heads);
    m_maps.assign(n, nullptr);
    m_pooled.assign(n, ValueGrid{});
    m_thumbnails = QVector<QImage>(static_cast<qsizetype>(n));
    m_metricsModel->setTopK(5);
    m_metricsModel->reset(layers, heads, kvHeads);
    const int tokenCount = m_tokens ? static_cast<int>(m_tokens->size()) : 0;
    if (m_query < 0 || m_query >= tokenCount)
        m_query = tokenCount - 1;
    emit runStarted();
    select(m_layer, m_head);
    emit queryChanged(m_query);
}

void SessionContext::addLayer(quint64 generation, LayerMapsPtr maps)
{
    if (generation != m_runGeneration || !maps || maps->layer < 0 || maps->layer >= m_layers)
        return;
    std::vector<AttentionMapPtr> heads = maps->heads;
    heads.resize(static_cast<size_t>(m_heads));
    for (int h = 0; h < m_heads; ++h)
        m_maps[static_cast<size_t>(maps->layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(h)] = heads[static_cast<size_t>(h)];
    ++m_layersReady;
    emit layerReady(maps->layer);
    startDigest(maps->layer, std::move(heads));
}

void SessionContext::endRun(quint64 generation, bool finished)
{
    if (generation != m_runGeneration)
        return;
    m_running = false;
    emit runEnded(finished);
}

bool SessionContext::hasLayer(int layer) const
{
    return map(layer, 0) != nullptr;
}

AttentionMapPtr SessionContext::map(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads || m_maps.empty())
        return nullptr;
    return m_maps[static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(head)];
}

std::vector<AttentionMapPtr> SessionContext::layerMaps(int layer) const
{
    std::vector<AttentionMapPtr> out;
    for (int h = 0; h < m_heads; ++h)
        out.push_back(map(layer, h));
    return out;
}

QImage SessionContext::thumbnail(int layer, int head) const
{
    const qsizetype k = static_cast<qsizetype>(layer) * m_heads + head;
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads || k >= m_thumbnails.size())
        return {};
    return m_thumbnails[k];
}

void SessionContext::startDigest(int layer, std::vector<AttentionMapPtr> maps)
{
    ++m_pendingJobs;
    const quint64 gen = m_runGeneration;
    const ViewSettings settings = m_settings;
    runInBackground(this, [maps = std::move(maps), settings]() {
        LayerDigest d;
        for (const AttentionMapPtr& m : maps) {
            if (!m) {
                d.pooled.emplace_back();
                d.images.push_back({});
                d.metrics.push_back(HeadMetrics{});
                continue;
            }
            HeatmapSource src{m, nullptr};
            d.pooled.push_back(poolSource(src, kThumbnailSide));
            d.images.push_back(colouriseGrid(d.pooled.back(), settings, false).image);
            d.metrics.push_back(computeHeadMetrics(*m));
        }
        return d;
    }, [this, layer, gen, settings](LayerDigest d) {
        if (gen == m_runGeneration && layer < m_layers) {
            for (int h = 0; h < m_heads && h < static_cast<int>(d.pooled.size()); ++h) {
                const size_t k = static_cast<size_t>(layer) * static_cast<size_t>(m_heads) + static_cast<size_t>(h);
                m_pooled[k] = std::move(d.pooled[static_cast<size_t>(h)]);
                m_thumbnails[static_cast<qsizetype>(k)] = d.images[h];
            }
            m_metricsModel->setLayer(layer, d.metrics);
            emit thumbnailsChanged(layer);
            if (!(settings == m_settings))
                recolourThumbnails();   // the settings moved while this layer was being built
        }
        jobDone();
    });
}

void SessionContext::recolourThumbnails()
{
    if (m_pooled.empty())
        return;
    ++m_pendingJobs;
    const quint64 gen = ++m_recolourGeneration;
    const quint64 runGen = m_runGeneration;
    const ViewSettings settings = m_settings;
    std::vector<ValueGrid> pooled = m_pooled;   // snapshot: thumbnails are ≤ 64² floats each
    runInBackground(this, [pooled = std::move(pooled), settings]() {
        QVector<QImage> images;
        images.reserve(static_cast<qsizetype>(pooled.size()));
        for (const ValueGrid& g : pooled)
            images.push_back(g.rows > 0 ? colouriseGrid(g, settings, false).image : QImage());
        return images;
    }, [this, gen, runGen](QVector<QImage> images) {
        if (gen == m_recolourGeneration && runGen == m_runGeneration && images.size() == m_thumbnails.size()) {
            for (qsizetype k = 0; k < images.size(); ++k)
                if (!images[k].isNull())
                    m_thumbnails[k] = images[k];
            emit thumbnailsChanged(-1);
        }
        jobDone();
    });
}

void SessionContext::jobDone()
{
    if (--m_pendingJobs == 0)
        emit idleChanged();
}

void SessionContext::select(int layer, int head)
{
    const int l = m_layers > 0 ? std::clamp(layer, 0, m_layers - 1) : std::max(0, layer);
    const int h = m_heads > 0 ? std::clamp(head, 0, m_heads - 1) : std::max(0, head);
    if (l == m_layer && h == m_head)
        return;
    m_layer = l;
    m_head = h;
    emit selectionChanged(l, h);
}

void SessionContext::step(int dLayer, int dHead)
{
    if (m_layers <= 0 || m_heads <= 0)
        return;
    int l = m_layer + dLayer;
    int h = m_head + dHead;
    if (h >= m_heads && l + 1 < m_layers) {
        h = 0;
        ++l;
    } else if (h < 0 && l > 0) {
        h = m_heads - 1;
        --l;
    }
    select(l, h);
}

void SessionContext::setQuery(int position)
{
    const int n = m_tokens ? static_cast<int>(m_tokens->size()) : 0;
    const int q = n > 0 ? std::clamp(position, 0, n - 1) : -1;
    if (q == m_query)
        return;
    m_query = q;
    emit queryChanged(q);
}

void SessionContext::setViewSettings(const ViewSettings& s)
{
    if (s == m_settings)
        return;
    m_settings = s;
    emit viewSettingsChanged();
    recolourThumbnails();
}

void SessionContext::setMetric(HeadMetric m)
{
    m_metricsModel->setMetric(m);
}

void SessionContext::setView(ViewKind v)
{
    if (v == m_view)
        return;
    m_view = v;
    emit viewChanged(v);
}

} // namespace attnscope
