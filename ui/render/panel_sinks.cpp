// The sink view's figures (docs/SINKS.md), all read from the run's layer reports (core/metrics/layer_report.h, the
// numbers the view shows):
//   "sinks"        layers × heads: each head's first-token share or learned-sink mass;
//   "sink_curves"  the same number per layer as lines: the run, and the runs pinned in the view;
//   "hidden_max"   max |hidden state| after each layer (massive activations), log scale, for the same runs.
// Options in the spec's `extra`: "metric" ("first_token_share" or "sink_mass"; absent: the sink mass when the run
// has learned sinks, as the view chooses), "label" (the run's name in legends; absent: the model's name) and
// "pinned" — the view's pinned runs as numbers, [{"label", "first_token_share": [per layer], "sink_mass": […],
// "max_abs_hidden": […]}] (null for a missing layer), at most three. Pinned runs may be other models or variants
// a session cannot recompute, so their numbers travel in the figure itself.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxPinned = 3;
constexpr int kMaxLayers = 1 << 16;

/// The sink view's curve colours: the run on screen dark, pinned runs after it.
const QColor kCurveColours[] = {QColor(0x22, 0x22, 0x22), QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                                QColor(0x2c, 0xa0, 0x2c), QColor(0xff, 0x7f, 0x0e)};

struct Curve {
    QString label;
    QVector<double> share, mass, hidden;   // per layer; mass empty without learned sinks
};

bool wantsMass(const PanelSpec& spec, const FigureSource& source)
{
    const QString m = spec.extra.value(QStringLiteral("metric")).toString();
    if (m == QLatin1String("sink_mass"))
        return true;
    if (m == QLatin1String("first_token_share"))
        return false;
    return source.captures.has(Quantity::SinkProb);
}

QVector<double> numbers(const QJsonValue& v)
{
    QVector<double> out;
    const QJsonArray a = v.toArray();
    for (qsizetype i = 0; i < a.size() && i < kMaxLayers; ++i)
        out.push_back(a[i].isDouble() ? a[i].toDouble() : kNaN);
    return out;
}

/// The run on screen, from the layer reports (layers whose report is missing are NaN).
Curve currentCurve(const PanelSpec& spec, const FigureSource& source)
{
    Curve c;
    c.label = spec.extra.value(QStringLiteral("label")).toString().left(200);
    if (c.label.isEmpty())
        c.label = source.modelName;
    bool anySink = false;
    for (int l = 0; l < source.layers; ++l) {
        const LayerReport* r = source.layerReport(l);
        c.share.push_back(r && r->firstTokenShare ? *r->firstTokenShare : kNaN);
        c.mass.push_back(r && r->sinkMass ? *r->sinkMass : kNaN);
        c.hidden.push_back(r ? r->maxAbsHidden : kNaN);
        anySink = anySink || (r && r->sinkMass);
    }
    if (!anySink)
        c.mass.clear();
    return c;
}

/// The pinned runs first (oldest first), then the run itself: the view's order and colours.
QVector<Curve> curves(const PanelSpec& spec, const FigureSource& source)
{
    QVector<Curve> out;
    const QJsonArray pinned = spec.extra.value(QStringLiteral("pinned")).toArray();
    for (qsizetype i = std::max<qsizetype>(0, pinned.size() - kMaxPinned); i < pinned.size(); ++i) {
        const QJsonObject o = pinned[i].toObject();
        Curve c;
        c.label = o.value(QStringLiteral("label")).toString().left(200);
        c.share = numbers(o.value(QStringLiteral("first_token_share")));
        c.mass = numbers(o.value(QStringLiteral("sink_mass")));
        c.hidden = numbers(o.value(QStringLiteral("max_abs_hidden")));
        out.push_back(std::move(c));
    }
    if (!source.layerReports.empty())
        out.push_back(currentCurve(spec, source));
    return out;
}

bool hasReports(const FigureSource& source)
{
    for (const auto& r : source.layerReports)
        if (r)
            return true;
    return false;
}

class SinkHeatmapKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("sinks"); }
    QString label() const override { return QStringLiteral("Sinks per layer and head"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.allHeads = true;
        needs.layerReports = true;
        needs.quantities.insert(Quantity::SinkProb);
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const bool mass = wantsMass(spec, source);
        const QString title = mass ? QStringLiteral("Sink mass per head") : QStringLiteral("First-token share per head");
        if (source.layers <= 0 || source.heads <= 0 || !hasReports(source))
            return placeholderPanel(title, QStringLiteral("no layer statistics in this run"));
        LayerHeadTable t;
        std::tie(t.layerFirst, t.layers) = layerRange(spec, source.layers);
        t.layers = t.layers - t.layerFirst + 1;
        t.heads = source.heads;
        for (int l = t.layerFirst; l < t.layerFirst + t.layers; ++l) {
            const LayerReport* r = source.layerReport(l);
            const std::vector<double>* per = r ? (mass ? &r->sinkMassPerHead : &r->firstTokenSharePerHead) : nullptr;
            for (int h = 0; h < t.heads; ++h)
                t.values.push_back(per && h < static_cast<int>(per->size()) ? (*per)[static_cast<size_t>(h)] : kNaN);
        }
        t.scale = layerHeadColourScale(t.values, style.settings.colormap, mass ? QStringLiteral("sink:mass") : QStringLiteral("sink:share"),
                                       mass ? QStringLiteral("sink mass") : QStringLiteral("first-token share"));
        t.title = title;
        return makeLayerHeadTablePanel(std::move(t));
    }
};

class SinkCurvesKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("sink_curves"); }
    QString label() const override { return QStringLiteral("Sink curves per layer (with pinned runs)"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.allHeads = true;
        needs.layerReports = true;
        needs.quantities.insert(Quantity::SinkProb);
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle&) const override
    {
        const bool mass = wantsMass(spec, source);
        LineChart chart;
        chart.title = mass ? QStringLiteral("Sink mass per layer") : QStringLiteral("First-token share per layer");
        chart.xLabel = QStringLiteral("layer");
        chart.yLabel = mass ? QStringLiteral("sink mass (mean p_sink)") : QStringLiteral("first-token share");
        chart.yMin = 0;
        chart.yMax = 1;
        const QVector<Curve> all = curves(spec, source);
        if (all.isEmpty())
            return placeholderPanel(chart.title, QStringLiteral("no layer statistics in this run"));
        const bool haveCurrent = !source.layerReports.empty();
        for (int k = 0; k < all.size(); ++k) {
            const Curve& c = all[k];
            const bool current = haveCurrent && k == all.size() - 1;
            LineChart::Series s;
            const bool fallback = mass && c.mass.isEmpty();
            s.label = c.label + (fallback ? QStringLiteral(" — first-token share, no sinks") : QString());
            s.colour = current ? kCurveColours[0] : kCurveColours[1 + k % 4];
            s.width = current ? 1.2 : 0.9;
            s.values = mass && !c.mass.isEmpty() ? c.mass : c.share;
            chart.series.push_back(std::move(s));
        }
        return makeLineChartPanel(std::move(chart));
    }
};

class HiddenMaxKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("hidden_max"); }
    QString label() const override { return QStringLiteral("Massive activations (max |hidden| per layer)"); }

    void addNeeds(const PanelSpec&, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.layerReports = true;
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle&) const override
    {
        LineChart chart;
        chart.title = QStringLiteral("Max |hidden| after each layer");
        chart.xLabel = QStringLiteral("layer");
        chart.yLabel = QStringLiteral("max |hidden|");
        chart.logY = true;
        const QVector<Curve> all = curves(spec, source);
        if (all.isEmpty())
            return placeholderPanel(chart.title, QStringLiteral("no layer statistics in this run"));
        const bool haveCurrent = !source.layerReports.empty();
        for (int k = 0; k < all.size(); ++k) {
            const bool current = haveCurrent && k == all.size() - 1;
            LineChart::Series s;
            s.label = all[k].label;
            s.colour = current ? kCurveColours[0] : kCurveColours[1 + k % 4];
            s.width = current ? 1.2 : 0.9;
            s.values = all[k].hidden;
            chart.series.push_back(std::move(s));
        }
        return makeLineChartPanel(std::move(chart));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeSinkHeatmapPanelKind()
{
    return std::make_shared<SinkHeatmapKind>();
}

std::shared_ptr<const PanelKind> makeSinkCurvesPanelKind()
{
    return std::make_shared<SinkCurvesKind>();
}

std::shared_ptr<const PanelKind> makeHiddenMaxPanelKind()
{
    return std::make_shared<HiddenMaxKind>();
}

} // namespace attnscope
