// HeadViewPanel: render jobs for the selected head, the pooled window behind the current zoom, the layer-mean
// cache for the Δ view, and query/key picking from the plot.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/head_view_panel.h"

#include "ui/background_job.h"
#include "ui/panels/long_head_renderer.h"
#include "ui/session_context.h"
#include "ui/view_figure.h"
#include "ui/widgets/attention_plot.h"

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

// A hidden plot has no real size yet: pool as for a typical screen and re-pool once it is shown.
constexpr int kHiddenPixels = 1024;

struct RenderResult {
    HeatmapSource source;
    ColourisedGrid image;
    PoolWindow window;
    double rangeMax = -1;
    bool meanComputed = false;
};

} // namespace

HeadViewPanel::HeadViewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_plot(new AttentionPlot(this))
    , m_long(new LongHeadRenderer(context, m_plot, this))
{
    setObjectName(QStringLiteral("headViewPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_plot);
    setFocusProxy(m_plot);
    m_windowTimer.setSingleShot(true);
    m_windowTimer.setInterval(60);
    connect(&m_windowTimer, &QTimer::timeout, this, &HeadViewPanel::checkWindow);
    connect(m_long, &LongHeadRenderer::rendered, this, [this](int l, int h, bool) {
        m_shownLayer = l;
        m_shownHead = h;
        emit rendered(l, h);
    });

    connect(m_plot, &AttentionPlot::navigate, context, &SessionContext::step);
    connect(m_plot, &AttentionPlot::viewChanged, this, [this] { m_windowTimer.start(); });
    connect(m_plot, &AttentionPlot::cellClicked, this, [this](int q, int k) {
        m_context->setQuery(q);
        m_context->setKey(k);
    });
    connect(m_plot, &AttentionPlot::rowLabelClicked, context, &SessionContext::setQuery);
    connect(m_plot, &AttentionPlot::columnLabelClicked, context, &SessionContext::setKey);
    connect(context, &SessionContext::queryChanged, m_plot, &AttentionPlot::setQueryRow);
    connect(context, &SessionContext::staleChanged, this, [this](bool stale) {
        m_plot->setDimmed(stale);
        requestRender();   // the title says so too
    });
    connect(context, &SessionContext::selectionChanged, this, &HeadViewPanel::requestRender);
    connect(context, &SessionContext::viewSettingsChanged, this, &HeadViewPanel::requestRender);
    connect(context, &SessionContext::runStarted, this, [this] {
        m_long->reset();
        m_plot->setTokens(m_context->tokens());
        m_plot->setDimmed(false);
        m_shownLayer = m_shownHead = -1;
        requestRender();
    });
    auto cleared = [this] {
        m_long->reset();
        m_plot->setTokens(nullptr);
        m_plot->setDimmed(false);
        m_shownLayer = m_shownHead = -1;
        requestRender();
    };
    connect(context, &SessionContext::modelChanged, this, cleared);
    connect(context, &SessionContext::resultsCleared, this, cleared);
    connect(context, &SessionContext::layerReady, this, [this](int layer) {
        if (layer == m_context->layer())
            requestRender();
    });
}

PoolWindow HeadViewPanel::wantedWindow(int64_t tokens) const
{
    QSize px = m_plot->dataAreaPixels();
    if (!m_plot->isVisible() || px.width() < 32 || px.height() < 32)
        px = QSize(kHiddenPixels, kHiddenPixels);
    if (tokens != m_plot->cells()) {   // a new token count resets the zoom: pool the whole map
        const double n = static_cast<double>(tokens);
        return windowFor(tokens, -0.5, n - 0.5, -0.5, n - 0.5, px.width(), px.height());
    }
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    return windowFor(tokens, x.lower, x.upper, y.lower, y.upper, px.width(), px.height());
}

bool HeadViewPanel::isBusy() const
{
    // A long run's view change is looked at after the debounce: until then the tiles it needs are not known.
    return m_jobRunning || m_dirty || m_long->isBusy() || (m_context->isLongRun() && m_windowTimer.isActive());
}

void HeadViewPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_windowTimer.start();   // a long prompt computes the visible tiles only while the view is shown
}

void HeadViewPanel::checkWindow()
{
    if (m_context->isLongRun() && !m_context->map(m_context->layer(), m_context->head())) {
        m_long->viewChanged();
        return;
    }
    if (m_jobRunning || m_shownLayer < 0 || m_plot->cells() <= 0)
        return;
    const int64_t t = m_plot->cells();
    const PoolWindow want = wantedWindow(t);
    const PoolWindow& have = m_plot->window();
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    const auto clampCell = [t](double v) { return std::clamp<int64_t>(static_cast<int64_t>(std::lround(v)), 0, t - 1); };
    const bool covered = have.covers(clampCell(x.lower), clampCell(x.upper), clampCell(y.lower), clampCell(y.upper));
    if (!covered || want.poolX != have.poolX || want.poolY != have.poolY)
        requestRender();
}

void HeadViewPanel::requestRender()
{
    if (m_jobRunning) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    const int l = m_context->layer(), h = m_context->head();
    AttentionMapPtr map = m_context->map(l, h);
    if (!map && m_context->isLongRun() && renderLong(l, h))
        return;
    m_long->stop();
    if (!map) {
        m_shownLayer = m_shownHead = -1;
        if (!m_context->model())
            m_plot->clearHeatmap(tr("Open a model and run it to see attention"));
        else if (!m_context->tokens())
            m_plot->clearHeatmap(tr("Run the model (Ctrl+Enter) to see layer %1, head %2").arg(l).arg(h));
        else if (!m_context->hasSoftmaxMap(l))
            m_plot->clearHeatmap(m_context->noSoftmaxMapText(l));
        else if (!m_context->isCaptured(l, h))
            m_plot->clearHeatmap(tr("Layer %1, head %2 was not captured in this run").arg(l).arg(h));
        else
            m_plot->clearHeatmap(tr("Layer %1 is not computed yet…").arg(l));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const ViewSettings settings = m_context->viewSettings();
    const bool isSigned = settings.isSigned();
    std::shared_ptr<const std::vector<float>> mean;
    std::vector<AttentionMapPtr> layerHeads;
    if (isSigned) {
        mean = m_context->cachedLayerMean(l);
        if (!mean)
            layerHeads = m_context->layerMaps(l);
    }
    const PoolWindow window = wantedWindow(map->tokens);
    const bool perRow = settings.normalisation == Normalisation::PerRow;
    const void* meanKey = isSigned ? static_cast<const void*>(mean.get()) : nullptr;
    const bool rangeKnown = !perRow && m_rangeKey == map.get() && m_rangeMeanKey == meanKey && (!isSigned || mean);
    const double knownMax = rangeKnown ? m_rangeMax : -1;
    const quint64 gen = m_context->runGeneration();
    m_jobRunning = true;
    runInBackground(this, [map, settings, mean, layerHeads, window, perRow, knownMax, isSigned]() {
        RenderResult r;
        r.source.map = map;
        if (isSigned) {
            r.source.layerMean = mean ? mean : layerMeanOf(layerHeads);
            r.meanComputed = !mean;
        }
        r.window = window;
        const ValueGrid grid = poolWindow(r.source, window, settings.pooling, perRow);
        // The colours span the whole map's range; a window over the whole map has just measured it.
        const int64_t t = map->tokens;
        const bool whole = window.covers(0, t - 1, 0, t - 1);
        r.rangeMax = perRow ? 1.0 : knownMax > 0 ? knownMax : whole ? grid.sourceMax : maxMagnitude(r.source);
        ViewSettings colour = settings;
        colour.normalisation = Normalisation::Global;   // rows were divided by their maxima while pooling
        r.image = colouriseGrid(grid, colour, isSigned, r.rangeMax);
        return r;
    }, [this, l, h, settings, gen, perRow](RenderResult r) {
        m_jobRunning = false;
        if (r.meanComputed && r.source.layerMean)
            m_context->cacheLayerMean(gen, l, r.source.layerMean);
        const bool current = l == m_context->layer() && h == m_context->head() && settings == m_context->viewSettings()
                             && r.source.map == m_context->map(l, h);
        if (current) {
            if (!perRow) {
                m_rangeKey = r.source.map.get();
                m_rangeMeanKey = r.source.layerMean.get();
                m_rangeMax = r.rangeMax;
            }
            const int kv = h / std::max(1, m_context->groupSize());
            QString title = tr("Layer %1 · Head %2 (KV head %3) · %4 tokens").arg(l).arg(h).arg(kv).arg(r.source.map->tokens);
            if (m_context->isStale())
                title += tr(" · stale: computed for the previous prompt");
            m_plot->setHeatmap(r.source, r.image, r.window, settings, title);
            m_plot->setQueryRow(m_context->query());
            m_plot->replot();
            m_shownLayer = l;
            m_shownHead = h;
            emit rendered(l, h);
        }
        if (m_dirty || !current)
            requestRender();
        else
            m_windowTimer.start();   // the zoom may have moved while this job ran
        if (current && settings.isSigned())
            prefetchLayerMean(l + 1);
    });
}

bool HeadViewPanel::renderLong(int layer, int head)
{
    if (m_context->viewSettings().isSigned()) {
        // Δ vs. the layer mean needs every head of the layer at each cell: not offered without stored maps.
        m_shownLayer = m_shownHead = -1;
        m_long->stop();
        m_plot->clearHeatmap(tr("Δ vs. layer mean needs stored maps: a long prompt keeps none (show weights)"));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return true;
    }
    return m_long->show(layer, head);
}

PanelSpec HeadViewPanel::panelSpec() const
{
    PanelSpec p;
    p.kind = QStringLiteral("head");
    p.layer = m_context->layer();
    p.head = m_context->head();
    p.query = m_context->query();
    p.key = m_context->key();
    const QCPRange y = m_plot->yAxis->range(), x = m_plot->xAxis->range();
    setVisibleRanges(p, m_plot->cells(), y.lower, y.upper, x.lower, x.upper);
    return p;
}

void HeadViewPanel::prefetchLayerMean(int layer)
{
    if (m_prefetching || layer >= m_context->layers() || !m_context->hasLayer(layer) || m_context->cachedLayerMean(layer))
        return;
    m_prefetching = true;
    const quint64 gen = m_context->runGeneration();
    runInBackground(this, [maps = m_context->layerMaps(layer)]() { return layerMeanOf(maps); },
                    [this, gen, layer](std::shared_ptr<const std::vector<float>> mean) {
                        m_prefetching = false;
                        m_context->cacheLayerMean(gen, layer, std::move(mean));
                    });
}

} // namespace attnscope
