// "head" panel: one head's map of a map quantity (attention probabilities, a differential head's second map or
// combined map), optionally the Δ from its layer's mean, over a token range (the head view's zoom), drawn by the
// shared heatmap panel (panel_heatmap.cpp) exactly as the head view colours it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/long_map_pool.h"
#include "ui/render/panel_kinds.h"

#include <algorithm>

namespace attnscope {

namespace {

class HeadMapKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("head"); }
    QString label() const override { return QStringLiteral("Head heatmap"); }

    void addNeeds(const PanelSpec& spec, const FigureStyle& style, CaptureNeeds& needs) const override
    {
        Quantity q = Quantity::AttentionProbs;
        if (quantityFromKey(spec.quantity.toStdString(), q))
            needs.quantities.insert(q);
        if (style.settings.data == DisplayData::DiffFromLayerMean)
            needs.layers.insert(spec.layer);   // the layer's mean over heads
        else
            needs.heads.insert({spec.layer, spec.head});
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        Quantity q = Quantity::AttentionProbs;
        const QString where = QStringLiteral("Layer %1 · Head %2").arg(spec.layer).arg(spec.head);
        if (!quantityFromKey(spec.quantity.toStdString(), q) || quantityInfo(q).shape != QuantityShape::HeadMap)
            return placeholderPanel(where, QStringLiteral("'%1' is not a map quantity").arg(spec.quantity));
        if (spec.layer < 0 || spec.layer >= source.layers || spec.head < 0 || spec.head >= source.heads)
            return placeholderPanel(where, QStringLiteral("the model has %1 layers × %2 heads").arg(source.layers).arg(source.heads));
        AttentionMapPtr map = source.map(q, spec.layer, spec.head);
        if ((!map || map->tokens <= 0) && q == Quantity::AttentionProbs &&
            source.captures.series(Quantity::RowLogSumExp, spec.layer, spec.head))
            return prepareLong(spec, source, style, where);
        if (!map || map->tokens <= 0)
            return placeholderPanel(where, QStringLiteral("not captured in this run"));
        HeatmapPanel p;
        p.settings = style.settings;
        p.src.map = map;
        if (style.settings.data == DisplayData::DiffFromLayerMean)
            p.src.layerMean = source.layerMean(q, spec.layer);
        p.setRanges(spec.queryFirst, spec.queryLast, spec.keyFirst, spec.keyLast);
        p.tokens = source.tokens;
        p.cellLimit = style.vectorCellLimit;
        QString title = where;
        if (q != Quantity::AttentionProbs)
            title += QStringLiteral(" · ") + QString::fromUtf8(quantityInfo(q).label);
        if (p.src.layerMean)
            title += QStringLiteral(" · Δ vs layer mean");
        if (p.rows() != map->tokens || p.cols() != map->tokens)
            title += QStringLiteral(" · tokens %1–%2").arg(p.k0).arg(p.k1);
        p.title = title;
        p.colour = heatmapColourScale(p.src, style.settings, spec.quantity);
        return makeHeatmapPanel(std::move(p));
    }

private:
    /// A long run (docs/LONG-CONTEXT.md) kept queries, keys and row normalisers: the map is pooled to the
    /// figure's resolution from recomputed tiles (long_map_pool.h) when the panel is drawn.
    static PanelContentPtr prepareLong(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style,
                                       const QString& where)
    {
        if (style.settings.data == DisplayData::DiffFromLayerMean)
            return placeholderPanel(where, QStringLiteral("Δ vs layer mean needs every head's map: a long prompt keeps none"));
        HeatmapPanel p;
        p.settings = style.settings;
        p.src.tiles = source.tiles(spec.layer, spec.head);
        p.src.rowNormaliser = source.captures.series(Quantity::RowLogSumExp, spec.layer, spec.head);
        if (!p.src.tiles)
            return placeholderPanel(where, QStringLiteral("the long run's queries and keys of this layer were not kept"));
        p.setRanges(spec.queryFirst, spec.queryLast, spec.keyFirst, spec.keyLast);
        p.tokens = source.tokens;
        p.cellLimit = style.vectorCellLimit;
        // The figure's resolution: its width at its dpi (an upper bound on the panel's pixels), at most
        // kLongFigureMaxCells cells per side.
        const auto pixels = static_cast<int64_t>(style.widthPt * std::max(72, style.dpi) / 72.0);
        p.longPool = longFigurePool(std::max(p.rows(), p.cols()), pixels);
        p.longCoarse = source.captures.series(
            style.settings.pooling == Pooling::Mean ? Quantity::CoarseMean : Quantity::CoarseMax, spec.layer, spec.head);
        QString title = where;
        if (p.rows() != p.src.tokens() || p.cols() != p.src.tokens())
            title += QStringLiteral(" · tokens %1–%2").arg(p.k0).arg(p.k1);
        p.title = title;
        p.colour = heatmapColourScale(p.src, style.settings, spec.quantity, longMapMax(*p.src.rowNormaliser, p.src.tokens()));
        // Which pooling. Not how many cells: a raster target pools further where its plot has fewer pixels than
        // the pool chosen here gives cells, and the label is laid out before the plot's size is known.
        if (p.longPool > 1) {
            p.colour.label.replace(QStringLiteral("attention weight"), QStringLiteral("weight"));   // fits the bar
            p.colour.label += p.settings.pooling == Pooling::Mean ? QStringLiteral(" · mean-pooled") : QStringLiteral(" · max-pooled");
        }
        return makeHeatmapPanel(std::move(p));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeHeadMapPanelKind()
{
    return std::make_shared<HeadMapKind>();
}

} // namespace attnscope
