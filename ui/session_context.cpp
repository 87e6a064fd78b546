// SessionContext: run state, selection, and the worker jobs that build thumbnails and scores per layer.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_context.h"

#include "ui/background_job.h"
#include "ui/render/figure_data.h"
#include "ui/render/tile_pyramid.h"

#include "core/attention/tile_recompute.h"
#include "core/metrics/layer_report.h"

#include "core/util/error.h"

#include <algorithm>

namespace attnscope {

namespace {

constexpr int kThumbnailSide = 64;
constexpr size_t kLayerMeansKept = 3;   // each is tokens² floats: 49 MB at 3,500 tokens

struct LayerDigest {
    std::vector<ValueGrid> pooled;
    QVector<QImage> images;
    std::vector<HeadMetrics> metrics;
};

/// A long run's streamed scores (Quantity::HeadScores, HeadMetric order) as the table's cell.
HeadMetrics metricsFromScores(const CapturedSeriesPtr& s)
{
    if (!s || static_cast<int>(s->values.size()) < kHeadMetricCount)
        return HeadMetrics::missing();
    auto v = [&](HeadMetric m) { return static_cast<double>(s->values[static_cast<size_t>(m)]); };
    HeadMetrics h;
    h.sinkShare = v(HeadMetric::SinkShare);
    h.entropy = v(HeadMetric::Entropy);
    h.meanDistance = v(HeadMetric::MeanDistance);
    h.topKMass = v(HeadMetric::TopKMass);
    h.prevToken = v(HeadMetric::PrevToken);
    h.duplicateToken = v(HeadMetric::DuplicateToken);
    h.induction = v(HeadMetric::Induction);
    h.self = v(HeadMetric::SelfAttention);
    h.sinkFreeDistance = v(HeadMetric::SinkFreeDistance);
    h.sinkFreeEntropy = v(HeadMetric::SinkFreeEntropy);
    return h;
}

} // namespace

QString viewKindId(ViewKind v)
{
    switch (v) {
    case ViewKind::Overview: return QStringLiteral("overview");
    case ViewKind::Head: return QStringLiteral("head");
    case ViewKind::Token: return QStringLiteral("token");
    case ViewKind::Key: return QStringLiteral("key");
    case ViewKind::Finder: return QStringLiteral("finder");
    case ViewKind::Differential: return QStringLiteral("differential");
    case ViewKind::Sink: return QStringLiteral("sink");
    case ViewKind::Gates: return QStringLiteral("gates");
    case ViewKind::Compare: return QStringLiteral("compare");
    }
    return QStringLiteral("overview");
}

bool viewKindFromId(const QString& id, ViewKind& out)
{
    for (int i = 0; i < kViewKindCount; ++i) {
        const auto v = static_cast<ViewKind>(i);
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

void SessionContext::dropResults()
{
    m_runGeneration = 0;
    m_running = false;
    m_stale = false;
    m_tokens.reset();
    m_repeats.reset();
    m_captured.reset();
    m_captures.clear();
    m_longRun = false;
    m_tileSources.clear();
    m_reports.clear();
    m_layerDone.clear();
    m_pooled.clear();
    m_thumbnails.clear();
    m_table = MetricsTable{};
    m_layerMeans.clear();
    m_layersReady = 0;
}

void SessionContext::setModel(OpenedModelPtr model)
{
    m_model = std::move(model);
    // The old run's maps belong to the old model: drop them (and their memory) now.
    const bool wasStale = m_stale;
    dropResults();
    if (m_model) {
        m_layers = m_model->info.nLayers;
        m_heads = m_model->info.nHeads;
        m_kvHeads = m_model->info.nKvHeads;
    } else {
        m_layers = m_heads = m_kvHeads = 0;
    }
    m_metricsModel->reset(0, 0, 1);
    emit modelChanged();
    emit resultsCleared();
    if (wasStale)
        emit staleChanged(false);
    select(m_layer, m_head);
}

void SessionContext::clearResults()
{
    const bool wasStale = m_stale;
    dropResults();
    m_metricsModel->reset(0, 0, 1);
    emit resultsCleared();
    if (wasStale)
        emit staleChanged(false);
    emit thumbnailsChanged(-1);
}

void SessionContext::beginRun(quint64 generation, TokenRowsPtr tokens, int layers, int heads, int kvHeads,
                              CaptureMaskPtr captured)
{
    const bool wasStale = m_stale;
    dropResults();
    m_runGeneration = generation;
    m_running = true;
    m_tokens = std::move(tokens);
    m_layers = layers;
    m_heads = heads;
    m_kvHeads = kvHeads;
    const size_t n = static_cast<size_t>(layers) * static_cast<size_t>(heads);
    m_captured = captured && captured->size() == n ? std::move(captured) : nullptr;
    if (m_tokens) {
        std::vector<int32_t> ids;
        ids.reserve(static_cast<size_t>(m_tokens->size()));
        for (const TokenRow& t : *m_tokens)
            ids.push_back(t.id);
        m_repeats = std::make_shared<const TokenRepeats>(ids);
    }
    m_captures.clear();
    m_longRun = false;
    m_tileSources.assign(n, nullptr);
    m_reports.assign(static_cast<size_t>(layers), nullptr);
    m_layerDone.assign(static_cast<size_t>(layers), false);
    m_pooled.assign(n, ValueGrid{});
    m_thumbnails = QVector<QImage>(static_cast<qsizetype>(n));
    m_table.layers = layers;
    m_table.heads = heads;
    m_table.cells.assign(n, HeadMetrics::missing());
    m_metricsModel->setTopK(5);
    m_metricsModel->reset(layers, heads, kvHeads);
    std::vector<bool> noMap(static_cast<size_t>(std::max(layers, 0)), false);
    for (int l = 0; l < layers; ++l)
        noMap[static_cast<size_t>(l)] = !hasSoftmaxMap(l);
    m_metricsModel->setNoMapLayers(std::move(noMap));
    const int tokenCount = this->tokenCount();
    if (m_query < 0 || m_query >= tokenCount)
        m_query = tokenCount - 1;
    if (m_key >= tokenCount)
        m_key = tokenCount - 1;
    if (m_key < 0)
        m_key = tokenCount > 0 ? 0 : -1;
    emit runStarted();
    if (wasStale)
        emit staleChanged(false);
    select(m_layer, m_head);
    emit queryChanged(m_query);
    emit keyChanged(m_key);
}

void SessionContext::addLayer(quint64 generation, LayerMapsPtr maps)
{
    if (generation != m_runGeneration || !maps || maps->layer < 0 || maps->layer >= m_layers)
        return;
    std::vector<AttentionMapPtr> heads = maps->heads;
    heads.resize(static_cast<size_t>(m_heads));
    for (const AttentionMapPtr& m : maps->captures.maps)
        m_captures.add(m);
    for (const CapturedSeriesPtr& s : maps->captures.series)
        m_captures.add(s);
    bool anyMap = false, anyStreamed = false;
    for (const AttentionMapPtr& m : heads) {   // streams that only fill `heads` (tests, older producers)
        if (m)
            m_captures.add(m);
        anyMap = anyMap || m;
    }
    for (const CapturedSeriesPtr& s : maps->captures.series)
        anyStreamed = anyStreamed || s->key.quantity == Quantity::RowLogSumExp || s->key.quantity == Quantity::CoarseMax;
    const bool streamed = !anyMap && anyStreamed;
    m_longRun = m_longRun || streamed;
    if (!m_layerDone[static_cast<size_t>(maps->layer)]) {
        m_layerDone[static_cast<size_t>(maps->layer)] = true;
        ++m_layersReady;
    }
    for (auto it = m_layerMeans.begin(); it != m_layerMeans.end();)
        it = it->first == maps->layer ? m_layerMeans.erase(it) : it + 1;
    emit layerReady(maps->layer);
    if (streamed)
        startStreamedDigest(maps->layer);
    else
        startDigest(maps->layer, std::move(heads));
    startReport(maps, streamed);
}

const LayerReport* SessionContext::layerReport(int layer) const
{
    if (layer < 0 || layer >= static_cast<int>(m_reports.size()))
        return nullptr;
    return m_reports[static_cast<size_t>(layer)].get();
}

ModelReport SessionContext::modelReport() const
{
    ModelReport r;
    for (const auto& l : m_reports)
        if (l)
            r.layers.push_back(*l);
    return r;
}

void SessionContext::startReport(LayerMapsPtr maps, bool streamed)
{
    ++m_pendingJobs;
    const quint64 gen = m_runGeneration;
    const int heads = m_heads;
    auto done = [this, gen, layer = maps->layer](std::shared_ptr<const LayerReport> r) {
        if (gen == m_runGeneration && layer < static_cast<int>(m_reports.size())) {
            m_reports[static_cast<size_t>(layer)] = std::move(r);
            emit reportChanged(layer);
        }
        jobDone();
    };
    if (streamed) {
        // A long run keeps no map: each head's A[i, 0] is recomputed exactly as column 0 of its tiles
        // (T · head_dim multiply-adds per head; docs/LONG-CONTEXT.md); everything else reads the same series.
        std::vector<std::shared_ptr<const HeadTileSource>> sources;
        for (int h = 0; h < heads; ++h)
            sources.push_back(tiles(maps->layer, h));
        runInBackground(this, [maps, heads, sources = std::move(sources)]() {
            std::vector<HeadSinkShares> shares(sources.size());
            for (size_t h = 0; h < sources.size(); ++h)
                if (sources[h])
                    shares[h] = headSinkSharesFromTiles(*sources[h]);
            LayerReportBuilder b(heads);
            b.addStreamedLayer(maps->layer, maps->captures.stats, shares, maps->captures.series);
            return std::make_shared<const LayerReport>(b.report().layers.front());
        }, std::move(done));
        return;
    }
    // The same function headless figures use (ui/render/figure_data.h), so exported sink figures match.
    runInBackground(this, [maps, heads]() { return layerReportOf(maps->captures, heads); }, std::move(done));
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
    return layer >= 0 && layer < static_cast<int>(m_layerDone.size()) && m_layerDone[static_cast<size_t>(layer)];
}

bool SessionContext::hasSoftmaxMap(int layer) const
{
    if (!m_model || !m_model->model)
        return true;
    const ModelConfig& c = m_model->model->config();
    return layer < 0 || layer >= static_cast<int>(c.layers.size()) || c.layers[static_cast<size_t>(layer)].hasSoftmaxMap();
}

QString SessionContext::noSoftmaxMapText(int layer) const
{
    return tr("Layer %1 is a Gated DeltaNet layer (linear attention): it has no softmax map. Its write strength β, "
              "decay and output gate are in the Gates view.").arg(layer);
}

bool SessionContext::isCaptured(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return false;
    return !m_captured || (*m_captured)[index(layer, head)] != 0;
}

int SessionContext::capturedHeadCount() const
{
    if (!m_captured)
        return m_layers * m_heads;
    return static_cast<int>(std::count(m_captured->begin(), m_captured->end(), uint8_t(1)));
}

AttentionMapPtr SessionContext::map(int layer, int head) const
{
    return map(Quantity::AttentionProbs, layer, head);
}

AttentionMapPtr SessionContext::map(Quantity q, int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads)
        return nullptr;
    return m_captures.map(q, layer, head);
}

CapturedSeriesPtr SessionContext::series(Quantity q, int layer, int head) const
{
    return m_captures.series(q, layer, head);
}

std::vector<AttentionMapPtr> SessionContext::layerMaps(int layer) const
{
    return m_captures.layerMaps(Quantity::AttentionProbs, layer, m_heads);
}

std::shared_ptr<const HeadTileSource> SessionContext::tiles(int layer, int head) const
{
    if (!m_model || layer < 0 || head < 0 || layer >= m_layers || head >= m_heads || index(layer, head) >= m_tileSources.size())
        return nullptr;
    std::shared_ptr<const HeadTileSource>& slot = m_tileSources[index(layer, head)];
    if (slot)
        return slot;
    CapturedSeriesPtr q = m_captures.series(Quantity::Queries, layer, -1);
    CapturedSeriesPtr k = m_captures.series(Quantity::Keys, layer, -1);
    CapturedSeriesPtr lse = m_captures.series(Quantity::RowLogSumExp, layer, head);
    if (!q || !k || !lse)
        return nullptr;
    const ModelConfig& cfg = m_model->model->config();
    try {
        slot = std::make_shared<const HeadTileSource>(std::move(q), std::move(k), std::move(lse), head, m_heads,
                                                      m_kvHeads, cfg.headDim, cfg.attnScale);
    } catch (const Error&) {
        return nullptr;   // shapes that do not match the model: nothing to recompute from
    }
    return slot;
}

std::optional<AttentionMask> SessionContext::headMask(int layer, int head) const
{
    if (AttentionMapPtr m = map(layer, head))
        return m->mask;
    if (CapturedSeriesPtr s = m_captures.series(Quantity::RowLogSumExp, layer, head); s && s->mask)
        return *s->mask;
    if (CapturedSeriesPtr s = m_captures.series(Quantity::CoarseMax, layer, head); s && s->mask)
        return *s->mask;
    return std::nullopt;
}

void SessionContext::setStale(bool stale)
{
    stale = stale && m_tokens != nullptr;   // nothing on screen cannot be stale
    if (stale == m_stale)
        return;
    m_stale = stale;
    emit staleChanged(stale);
}

std::shared_ptr<const std::vector<float>> SessionContext::cachedLayerMean(int layer) const
{
    for (const auto& [l, mean] : m_layerMeans)
        if (l == layer)
            return mean;
    return nullptr;
}

void SessionContext::cacheLayerMean(quint64 generation, int layer, std::shared_ptr<const std::vector<float>> mean)
{
    if (generation != m_runGeneration || !mean || !hasLayer(layer))
        return;
    for (auto it = m_layerMeans.begin(); it != m_layerMeans.end();)
        it = it->first == layer ? m_layerMeans.erase(it) : it + 1;
    m_layerMeans.emplace_front(layer, std::move(mean));
    while (m_layerMeans.size() > kLayerMeansKept)
        m_layerMeans.pop_back();
}

QImage SessionContext::thumbnail(int layer, int head) const
{
    const qsizetype k = static_cast<qsizetype>(layer) * m_heads + head;
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads || k >= m_thumbnails.size())
        return {};
    return m_thumbnails[k];
}

ValueGrid SessionContext::thumbnailValues(int layer, int head) const
{
    if (layer < 0 || head < 0 || layer >= m_layers || head >= m_heads || index(layer, head) >= m_pooled.size())
        return {};
    return m_pooled[index(layer, head)];
}

void SessionContext::startDigest(int layer, std::vector<AttentionMapPtr> maps)
{
    ++m_pendingJobs;
    const quint64 gen = m_runGeneration;
    const ViewSettings settings = m_settings;
    std::shared_ptr<const TokenRepeats> repeats = m_repeats;
    runInBackground(this, [maps = std::move(maps), settings, repeats]() {
        LayerDigest d;
        for (const AttentionMapPtr& m : maps) {
            if (!m) {
                d.pooled.emplace_back();
                d.images.push_back({});
                d.metrics.push_back(HeadMetrics::missing());
                continue;
            }
            HeatmapSource src{m, nullptr};
            d.pooled.push_back(poolSource(src, kThumbnailSide));
            d.images.push_back(colouriseGrid(d.pooled.back(), settings, false).image);
            d.metrics.push_back(computeHeadMetrics(*m, {}, repeats.get()));
        }
        return d;
    }, [this, layer, gen, settings](LayerDigest d) {
        if (gen == m_runGeneration && layer < m_layers) {
            for (int h = 0; h < m_heads && h < static_cast<int>(d.pooled.size()); ++h) {
                const size_t k = index(layer, h);
                m_pooled[k] = std::move(d.pooled[static_cast<size_t>(h)]);
                m_thumbnails[static_cast<qsizetype>(k)] = d.images[h];
                m_table.cells[k] = d.metrics[static_cast<size_t>(h)];
            }
            m_metricsModel->setLayer(layer, d.metrics);
            emit thumbnailsChanged(layer);
            emit metricsChanged(layer);
            if (!(settings == m_settings))
                recolourThumbnails();   // the settings moved while this layer was being built
        }
        jobDone();
    });
}

void SessionContext::startStreamedDigest(int layer)
{
    // A long run: thumbnails pooled further from the streamed ≤ 256² max-pooled grid, scores as streamed.
    ++m_pendingJobs;
    const quint64 gen = m_runGeneration;
    const ViewSettings settings = m_settings;
    const int64_t tokens = tokenCount();
    std::vector<CapturedSeriesPtr> coarse, scores;
    for (int h = 0; h < m_heads; ++h) {
        coarse.push_back(m_captures.series(Quantity::CoarseMax, layer, h));
        scores.push_back(m_captures.series(Quantity::HeadScores, layer, h));
    }
    runInBackground(this, [coarse = std::move(coarse), scores = std::move(scores), settings, tokens]() {
        LayerDigest d;
        for (size_t h = 0; h < coarse.size(); ++h) {
            d.pooled.push_back(coarse[h] ? poolGridTo(coarseGridOf(*coarse[h], tokens), kThumbnailSide) : ValueGrid{});
            d.images.push_back(d.pooled.back().rows > 0 ? colouriseGrid(d.pooled.back(), settings, false).image : QImage());
            d.metrics.push_back(metricsFromScores(scores[h]));
        }
        return d;
    }, [this, layer, gen, settings](LayerDigest d) {
        if (gen == m_runGeneration && layer < m_layers) {
            for (int h = 0; h < m_heads && h < static_cast<int>(d.pooled.size()); ++h) {
                const size_t k = index(layer, h);
                m_pooled[k] = std::move(d.pooled[static_cast<size_t>(h)]);
                m_thumbnails[static_cast<qsizetype>(k)] = d.images[h];
                m_table.cells[k] = d.metrics[static_cast<size_t>(h)];
            }
            m_metricsModel->setLayer(layer, d.metrics);
            emit thumbnailsChanged(layer);
            emit metricsChanged(layer);
            if (!(settings == m_settings))
                recolourThumbnails();
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
    const int n = tokenCount();
    const int q = n > 0 ? std::clamp(position, 0, n - 1) : -1;
    if (q == m_query)
        return;
    m_query = q;
    emit queryChanged(q);
}

void SessionContext::setKey(int position)
{
    const int n = tokenCount();
    const int k = n > 0 ? std::clamp(position, 0, n - 1) : -1;
    if (k == m_key)
        return;
    m_key = k;
    emit keyChanged(k);
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
    if (m == m_metricsModel->metric())
        return;
    m_metricsModel->setMetric(m);
    emit metricChanged(m);
}

void SessionContext::setView(ViewKind v)
{
    if (v == m_view)
        return;
    m_view = v;
    emit viewChanged(v);
}

} // namespace attnscope
