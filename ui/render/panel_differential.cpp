// "differential" and "lambda" panels: the differential view's figures (docs/DIFFERENTIAL.md). A "differential"
// panel shows one of a differential head's three maps, chosen by the spec's quantity — attention.probs: A1,
// attention.probs2: λ·A2 (what the subtraction removes, differential_maps.h, the view's own function),
// attention.combined: A1 − λ·A2 — with the view's colours: A1 and λ·A2 on one range, the larger of their maxima
// (each panel reports it, so they agree even when the figure does not share scales), the difference on the
// zero-centred diverging scale at its largest magnitude; no per-row normalisation and no Δ view, as on screen.
// "lambda" is the view's λ table: λ per layer and head (V2: its mean over tokens).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/differential_maps.h"
#include "ui/render/panel_kinds.h"

#include <cmath>
#include <limits>

namespace attnscope {

namespace {

enum class DiffMap { A1, LambdaA2, Difference };

bool diffMapOf(const QString& quantity, DiffMap& out)
{
    Quantity q = Quantity::AttentionProbs;
    if (!quantityFromKey(quantity.toStdString(), q))
        return false;
    switch (q) {
    case Quantity::AttentionProbs: out = DiffMap::A1; return true;
    case Quantity::AttentionProbs2: out = DiffMap::LambdaA2; return true;
    case Quantity::AttentionCombined: out = DiffMap::Difference; return true;
    default: return false;
    }
}

class DifferentialKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("differential"); }
    QString label() const override { return QStringLiteral("Differential head (A1, λ·A2 or A1 − λ·A2 by quantity)"); }

    void addNeeds(const PanelSpec& spec, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.quantities.insert({Quantity::AttentionProbs, Quantity::AttentionProbs2, Quantity::AttentionCombined,
                                 Quantity::Lambda});
        needs.heads.insert({spec.layer, spec.head});
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const QString where = QStringLiteral("L%1 H%2").arg(spec.layer).arg(spec.head);
        DiffMap which = DiffMap::A1;
        if (!diffMapOf(spec.quantity, which))
            return placeholderPanel(where, QStringLiteral("'%1' is none of A1, λ·A2, A1 − λ·A2").arg(spec.quantity));
        if (spec.layer < 0 || spec.layer >= source.layers || spec.head < 0 || spec.head >= source.heads)
            return placeholderPanel(where, QStringLiteral("the model has %1 layers × %2 heads").arg(source.layers).arg(source.heads));
        const AttentionMapPtr a1 = source.map(Quantity::AttentionProbs, spec.layer, spec.head);
        const AttentionMapPtr a2 = source.map(Quantity::AttentionProbs2, spec.layer, spec.head);
        const AttentionMapPtr d = source.map(Quantity::AttentionCombined, spec.layer, spec.head);
        const CapturedSeriesPtr lambda = source.captures.series(Quantity::Lambda, spec.layer, spec.head);
        if (!a1 || a1->tokens <= 0)
            return placeholderPanel(where, QStringLiteral("not captured in this run"));
        if (!a2 || !d || !lambda)
            return placeholderPanel(where, QStringLiteral("not a differential head (no A2, λ or A1 − λ·A2)"));
        const AttentionMapPtr la2 = lambdaScaledMap(a2, lambda);
        if (!la2)
            return placeholderPanel(where, QStringLiteral("λ does not match the map"));

        HeatmapPanel p;
        p.settings = style.settings;
        p.settings.normalisation = Normalisation::Global;   // the view's colours: one range per map, no Δ view
        p.settings.data = DisplayData::Weights;
        p.src.map = which == DiffMap::A1 ? a1 : which == DiffMap::LambdaA2 ? la2 : d;
        p.setRanges(spec.queryFirst, spec.queryLast, spec.keyFirst, spec.keyLast);
        p.tokens = source.tokens;
        p.cellLimit = style.vectorCellLimit;
        if (which == DiffMap::Difference) {
            p.colour = heatmapColourScale(p.src, p.settings, QStringLiteral("attention.combined"));
            p.colour.label = QStringLiteral("A1 − λ·A2");
            p.title = QStringLiteral("A1 − λ·A2 · %1").arg(where);
        } else {
            // One range for A1 and λ·A2, as the view shows them: λ·A2 reads against A1.
            const double shared = std::max(maxMagnitude(HeatmapSource{a1, nullptr}), maxMagnitude(HeatmapSource{la2, nullptr}));
            p.colour = heatmapColourScale(p.src, p.settings, QStringLiteral("differential"), shared);
            // "A1, λ·A2 (power 0.5)": what the colours are, short enough for a bar beside one row of panels.
            p.colour.label.replace(QStringLiteral("attention weight"), QStringLiteral("A1, λ·A2 weight"));
            p.title = which == DiffMap::A1 ? QStringLiteral("A1 · %1").arg(where)
                                           : QStringLiteral("λ·A2 · %1").arg(lambdaText(*lambda));
        }
        if (p.rows() != a1->tokens || p.cols() != a1->tokens)
            p.title += QStringLiteral(" · tokens %1–%2").arg(p.k0).arg(p.k1);
        return makeHeatmapPanel(std::move(p));
    }
};

class LambdaKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("lambda"); }
    QString label() const override { return QStringLiteral("Differential λ per layer and head"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.allHeads = true;
        needs.quantities.insert(Quantity::Lambda);
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        if (source.layers <= 0 || source.heads <= 0)
            return placeholderPanel(QStringLiteral("λ"), QStringLiteral("no run"));
        if (!source.captures.has(Quantity::Lambda))
            return placeholderPanel(QStringLiteral("λ"), QStringLiteral("no λ: not a differential model"));
        LayerHeadTable t;
        std::tie(t.layerFirst, t.layers) = layerRange(spec, source.layers);
        t.layers = t.layers - t.layerFirst + 1;
        t.heads = source.heads;
        bool perToken = false;
        for (int l = t.layerFirst; l < t.layerFirst + t.layers; ++l)
            for (int h = 0; h < t.heads; ++h) {
                const CapturedSeriesPtr s = source.captures.series(Quantity::Lambda, l, h);
                t.values.push_back(s ? lambdaMean(*s) : std::numeric_limits<double>::quiet_NaN());
                perToken = perToken || (s && s->values.size() > 1);
            }
        t.scale = layerHeadColourScale(t.values, style.settings.colormap, QStringLiteral("lambda"),
                                       perToken ? QStringLiteral("λ (mean over tokens)") : QStringLiteral("λ"));
        t.title = perToken ? QStringLiteral("λ per head (token mean)") : QStringLiteral("λ per layer and head");
        return makeLayerHeadTablePanel(std::move(t));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeDifferentialPanelKind()
{
    return std::make_shared<DifferentialKind>();
}

std::shared_ptr<const PanelKind> makeLambdaPanelKind()
{
    return std::make_shared<LambdaKind>();
}

} // namespace attnscope
