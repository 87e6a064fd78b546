// The compare view's figures (docs/VARIANTS.md "Comparing"), read from the figure source's comparison — the
// compare workspace's result in the GUI, a comparison attnscope-cli runs with the same variants headless:
//   "compare"       one head under the baseline (`variant` "") or a variant (`variant`: its spec string), on one
//                   colour range for every pane of the comparison (each pane reports the largest over all of them,
//                   as the workspace does, so they agree even when the figure does not share scales);
//   "compare_diff"  pane `variant` minus pane extra "minus" ("" = the baseline), zero-centred and symmetric
//                   (ui/render/difference_map.h, the workspace's own function);
//   "kl_curve"      the per-position KL(baseline ‖ variant) of every variant (cosine of the outputs for encoders).
// Variants are named "v1", "v2", … in the comparison's order, as the workspace numbers them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"
#include "ui/render/difference_map.h"
#include "ui/render/panel_kinds.h"

#include <cmath>

namespace attnscope {

namespace {

constexpr int kMaxVariants = 3;   // the workspace's panes: the baseline and up to three variants

// Okabe–Ito colours (the workspace's pane colours), the baseline dark grey.
const QColor kPaneColours[kMaxVariants + 1] = {QColor(0x44, 0x44, 0x44), QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00),
                                               QColor(0x00, 0x9E, 0x73)};

/// "baseline" or "v2"; empty when the comparison has no such variant.
QString paneName(const FigureComparison& c, const QString& variant)
{
    if (variant.isEmpty())
        return QStringLiteral("baseline");
    const std::string s = variant.toStdString();
    for (size_t i = 0; i < c.result->variants.size(); ++i)
        if (c.result->variants[i].spec.toString() == s)
            return QStringLiteral("v%1").arg(i + 1);
    return {};
}

void addCompareNeeds(const PanelSpec& spec, CaptureNeeds& needs, const QStringList& variants)
{
    needs.comparison = true;
    needs.heads.insert({spec.layer, spec.head});
    for (const QString& v : variants)
        if (!v.isEmpty() && !needs.variants.contains(v))
            needs.variants << v;
}

/// Why a pane cannot be drawn from `source` ("" when it can).
QString paneProblem(const PanelSpec& spec, const FigureSource& source, const QStringList& variants)
{
    if (!source.comparison || !source.comparison->result)
        return QStringLiteral("no comparison: compare the baseline with variants first");
    const CompareResult& r = *source.comparison->result;
    if (spec.layer < 0 || spec.layer >= r.shape.layers || spec.head < 0 || spec.head >= r.shape.heads)
        return QStringLiteral("the model has %1 layers × %2 heads").arg(r.shape.layers).arg(r.shape.heads);
    for (const QString& v : variants)
        if (paneName(*source.comparison, v).isEmpty())
            return QStringLiteral("'%1' is not one of the comparison's variants").arg(v);
    return {};
}

class CompareKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("compare"); }
    QString label() const override { return QStringLiteral("Compare pane (baseline or a variant)"); }

    void addNeeds(const PanelSpec& spec, const FigureStyle&, CaptureNeeds& needs) const override
    {
        addCompareNeeds(spec, needs, {spec.variant});
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const QString where = QStringLiteral("L%1 H%2").arg(spec.layer).arg(spec.head);
        if (const QString why = paneProblem(spec, source, {spec.variant}); !why.isEmpty())
            return placeholderPanel(where, why);
        const FigureComparison& c = *source.comparison;
        const AttentionMapPtr map = c.map(spec.variant, spec.layer, spec.head);
        if (!map || map->tokens <= 0)
            return placeholderPanel(where, QStringLiteral("not kept by this comparison: compare again on layer %1").arg(spec.layer));
        // One range for every pane of the head, as the workspace colours them.
        double shared = maxMagnitude(HeatmapSource{c.map(QString(), spec.layer, spec.head), nullptr});
        for (size_t i = 0; i < c.result->variants.size() && i < kMaxVariants; ++i)
            if (AttentionMapPtr m = c.result->variants[i].captures.map(spec.layer, spec.head))
                shared = std::max(shared, maxMagnitude(HeatmapSource{m, nullptr}));
        HeatmapPanel p;
        p.settings = style.settings;
        p.settings.data = DisplayData::Weights;
        p.src.map = map;
        p.setRanges(spec.queryFirst, spec.queryLast, spec.keyFirst, spec.keyLast);
        p.tokens = c.tokens;
        p.cellLimit = style.vectorCellLimit;
        p.colour = heatmapColourScale(p.src, p.settings, QStringLiteral("compare"), shared);
        const QString name = paneName(c, spec.variant);
        p.title = spec.variant.isEmpty() ? QStringLiteral("Baseline · %1").arg(where) : QStringLiteral("%1: %2").arg(name, spec.variant);
        return makeHeatmapPanel(std::move(p));
    }
};

class CompareDiffKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("compare_diff"); }
    QString label() const override { return QStringLiteral("Compare difference (one pane minus another)"); }

    static QString minus(const PanelSpec& spec) { return spec.extra.value(QStringLiteral("minus")).toString().left(1024); }

    void addNeeds(const PanelSpec& spec, const FigureStyle&, CaptureNeeds& needs) const override
    {
        addCompareNeeds(spec, needs, {spec.variant, minus(spec)});
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const QString where = QStringLiteral("L%1 H%2").arg(spec.layer).arg(spec.head);
        const QString b = minus(spec);
        if (const QString why = paneProblem(spec, source, {spec.variant, b}); !why.isEmpty())
            return placeholderPanel(where, why);
        const FigureComparison& c = *source.comparison;
        if (spec.variant == b)
            return placeholderPanel(where, QStringLiteral("a pane minus itself: choose two different panes"));
        const AttentionMapPtr ma = c.map(spec.variant, spec.layer, spec.head), mb = c.map(b, spec.layer, spec.head);
        if (!ma || !mb)
            return placeholderPanel(where, QStringLiteral("not kept by this comparison: compare again on layer %1").arg(spec.layer));
        HeatmapPanel p;
        p.settings = style.settings;
        p.settings.data = DisplayData::Weights;
        p.settings.normalisation = Normalisation::Global;   // symmetric limits over the whole map, as the pane
        p.src.map = differenceMap(ma, mb);
        if (!p.src.map)
            return placeholderPanel(where, QStringLiteral("the panes' maps differ in size"));
        p.setRanges(spec.queryFirst, spec.queryLast, spec.keyFirst, spec.keyLast);
        p.tokens = c.tokens;
        p.cellLimit = style.vectorCellLimit;
        const QString na = paneName(c, spec.variant), nb = paneName(c, b);
        p.colour = heatmapColourScale(p.src, p.settings, QStringLiteral("compare-diff"));
        p.colour.label = QStringLiteral("Δ weight (%1 − %2)").arg(na == QLatin1String("baseline") ? QStringLiteral("base") : na,
                                                                   nb == QLatin1String("baseline") ? QStringLiteral("base") : nb);
        p.title = QStringLiteral("%1 − %2 · %3").arg(na, nb, where);
        return makeHeatmapPanel(std::move(p));
    }
};

class KlCurveKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("kl_curve"); }
    QString label() const override { return QStringLiteral("Compare: per-position KL of each variant"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.comparison = true;
    }

    PanelContentPtr prepare(const PanelSpec&, const FigureSource& source, const FigureStyle& style) const override
    {
        if (!source.comparison || !source.comparison->result)
            return placeholderPanel(QStringLiteral("Per-position KL"), QStringLiteral("no comparison: compare the baseline with variants first"));
        const CompareResult& r = *source.comparison->result;
        LineChart chart;
        chart.title = r.hasLmHead ? QStringLiteral("Per-position KL") : QStringLiteral("Per-position cosine");
        chart.xLabel = QStringLiteral("token position");
        chart.yLabel = r.hasLmHead ? QStringLiteral("KL(base ‖ v), nats") : QStringLiteral("cosine(base, v)");
        if (r.hasLmHead)
            chart.yMin = 0;
        if (style.tokenLabels) {
            const int chars = tokenLabelChars(style);
            for (qsizetype i = 0; i < source.comparison->tokens.size(); ++i)
                chart.xTickLabels << tokenTickLabel(source.comparison->tokens, i, chars);
        }
        for (size_t i = 0; i < r.variants.size() && i < kMaxVariants; ++i) {
            const VariantComparison& v = r.variants[i];
            LineChart::Series s;
            s.label = QStringLiteral("v%1: %2").arg(i + 1).arg(QString::fromStdString(v.spec.toString()));
            s.colour = kPaneColours[i + 1];
            s.width = 1.0;
            const std::vector<double>& values = r.hasLmHead ? v.klPerPosition : v.cosinePerPosition;
            s.values = QVector<double>(values.begin(), values.end());
            chart.series.push_back(std::move(s));
        }
        if (chart.series.isEmpty())
            return placeholderPanel(chart.title, QStringLiteral("the comparison has no variants"));
        return makeLineChartPanel(std::move(chart));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeComparePanelKind()
{
    return std::make_shared<CompareKind>();
}

std::shared_ptr<const PanelKind> makeCompareDiffPanelKind()
{
    return std::make_shared<CompareDiffKind>();
}

std::shared_ptr<const PanelKind> makeKlCurvePanelKind()
{
    return std::make_shared<KlCurveKind>();
}

} // namespace attnscope
