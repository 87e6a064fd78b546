// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/figure_context.h"

#include "attnscope_config.h"
#include "ui/session_context.h"

namespace attnscope {

FigureSourcePtr figureSourceFromContext(const SessionContext& context, const CompareOutcomePtr& comparison)
{
    auto src = std::make_shared<FigureSource>();
    if (OpenedModelPtr m = context.model())
        src->modelName = QString::fromStdString(m->info.name);
    if (TokenRowsPtr t = context.tokens()) {
        for (const TokenRow& r : *t) {
            src->tokens << r.display;
            src->tokenIds.push_back(r.id);
        }
    }
    src->layers = context.layers();
    src->heads = context.heads();
    src->kvHeads = context.kvHeads();
    if (OpenedModelPtr m = context.model()) {
        src->headDim = m->model->config().headDim;
        src->attnScale = m->model->config().attnScale;
    }
    src->captures = context.captures();
    src->stale = context.isStale();
    // The scores the overview already computed (every head captured so far), so figures agree with the screen.
    if (context.metricsTable().layers == context.layers() && context.layers() > 0)
        src->setMetrics(std::make_shared<MetricsTable>(context.metricsTable()));
    for (int l = 0; l < context.layers(); ++l)
        if (auto mean = context.cachedLayerMean(l))
            src->setLayerMean(Quantity::AttentionProbs, l, std::move(mean));
    // The sink view's numbers: the layer reports as they arrived (null where a layer's is not there yet).
    for (int l = 0; l < context.layers(); ++l) {
        const LayerReport* r = context.layerReport(l);
        src->layerReports.push_back(r ? std::make_shared<const LayerReport>(*r) : nullptr);
    }
    if (comparison && comparison->result) {
        auto c = std::make_shared<FigureComparison>();
        c->result = comparison->result;
        if (comparison->tokens)
            for (const TokenRow& r : *comparison->tokens)
                c->tokens << r.display;
        src->comparison = std::move(c);
    }
    return src;
}

RunDataInfo runDataInfoFromContext(const SessionContext& context, const QString& prompt, const QString& modelHash)
{
    RunDataInfo i;
    if (OpenedModelPtr m = context.model()) {
        i.modelName = m->info.name;
        i.modelPath = m->path.toStdString();
        i.architecture = m->info.architecture;
        i.fileFormat = m->info.format;
        i.headDim = m->info.headDim;
        i.backend = m->backend.toStdString();
    }
    i.modelHash = modelHash.toStdString();
    i.prompt = prompt.toStdString();
    i.appVersion = ATTNSCOPE_VERSION;
    i.layers = context.layers();
    i.heads = context.heads();
    i.kvHeads = context.kvHeads();
    return i;
}

RunData runDataFromContext(const SessionContext& context, const RunDataInfo& info)
{
    RunData d;
    d.info = info;
    if (TokenRowsPtr t = context.tokens()) {
        for (const TokenRow& r : *t) {
            d.tokens.ids.push_back(r.id);
            d.tokens.display.push_back(r.display.toStdString());
            d.tokens.byteBegin.push_back(r.byteBegin);
            d.tokens.byteEnd.push_back(r.byteEnd);
        }
    }
    d.captures = context.captures();
    if (context.metricsTable().layers == context.layers() && context.layers() > 0)
        d.metrics = context.metricsTable();
    return d;
}

} // namespace attnscope
