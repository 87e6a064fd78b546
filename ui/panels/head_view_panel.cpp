// HeadViewPanel: render jobs for the selected head and keyboard navigation between heads and layers.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/head_view_panel.h"

#include "ui/render/heatmap_image.h"
#include "ui/session_context.h"
#include "ui/widgets/attention_plot.h"

#include <QVBoxLayout>
#include "ui/background_job.h"

namespace attnscope {

namespace {

// Heads up to this many tokens are shown one pixel per cell; longer prompts are max-pooled to it (the hover
// still reads exact values). 2048² ARGB is 16 MiB.
constexpr int kMaxImageSide = 2048;

struct RenderResult {
    HeatmapSource source;
    ColourisedGrid image;
};

} // namespace

HeadViewPanel::HeadViewPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_plot(new AttentionPlot(this))
{
    setObjectName(QStringLiteral("headViewPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_plot);
    setFocusProxy(m_plot);

    connect(m_plot, &AttentionPlot::navigate, context, &SessionContext::step);
    connect(context, &SessionContext::selectionChanged, this, &HeadViewPanel::requestRender);
    connect(context, &SessionContext::viewSettingsChanged, this, &HeadViewPanel::requestRender);
    connect(context, &SessionContext::runStarted, this, [this] {
        m_plot->setTokens(m_context->tokens());
        m_shownLayer = m_shownHead = -1;
        requestRender();
    });
    connect(context, &SessionContext::modelChanged, this, [this] {
        m_shownLayer = m_shownHead = -1;
        requestRender();
    });
    connect(context, &SessionContext::layerReady, this, [this](int layer) {
        if (layer == m_context->layer())
            requestRender();
    });
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
    if (!map) {
        m_shownLayer = m_shownHead = -1;
        if (!m_context->model())
            m_plot->clearHeatmap(tr("Open a model and run it to see attention"));
        else if (!m_context->tokens())
            m_plot->clearHeatmap(tr("Run the model (Ctrl+Enter) to see layer %1, head %2").arg(l).arg(h));
        else
            m_plot->clearHeatmap(tr("Layer %1 is not computed yet…").arg(l));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const ViewSettings settings = m_context->viewSettings();
    std::vector<AttentionMapPtr> layerHeads;
    if (settings.isSigned())
        layerHeads = m_context->layerMaps(l);
    m_jobRunning = true;
    runInBackground(this, [map, settings, layerHeads, h]() {
        RenderResult r;
        r.source.map = map;
        if (settings.isSigned())
            r.source.signedValues = diffFromLayerMean(layerHeads, h);
        r.image = colouriseGrid(poolSource(r.source, kMaxImageSide), settings, r.source.isSigned());
        return r;
    }, [this, l, h, settings](RenderResult r) {
        m_jobRunning = false;
        const bool current = l == m_context->layer() && h == m_context->head() && settings == m_context->viewSettings()
                             && r.source.map == m_context->map(l, h);
        if (current) {
            const int kv = h / std::max(1, m_context->groupSize());
            m_plot->setHeatmap(r.source, r.image, settings,
                               tr("Layer %1 · Head %2 (KV head %3) · %4 tokens").arg(l).arg(h).arg(kv).arg(r.source.map->tokens));
            m_plot->replot();
            m_shownLayer = l;
            m_shownHead = h;
            emit rendered(l, h);
        }
        if (m_dirty || !current)
            requestRender();
    });
}

} // namespace attnscope
