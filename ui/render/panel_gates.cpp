// "gates" panel: the Gates view's heads × tokens heatmap (docs/GATED.md "Gate view") — one layer's output-gate values
// σ(xW) per head and token (elementwise gates: the mean over the head's dims, core's gateGrid, as the view shows),
// on the view's fixed [0, 1] scale. The spec's quantity picks the series: "gate" (the default; on a Gated DeltaNet
// layer the default is β, as the view's first choice), or for a Gated DeltaNet layer "deltanet.beta", "deltanet.decay" ([0, 1] too) or "deltanet.z_gate" (SiLU(z): signed, zero-centred
// at its largest magnitude), keyed by value head. Heads not captured are hatched.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/gate_summary.h"
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kTickLen = 2.0, kGap = 1.5;

class GateGridContent final : public PanelContent {
public:
    GateGrid grid;
    QStringList tokens;
    QString titleText, rowWord;
    ColourScale colour;
    qint64 cellLimit = 1 << 20;

    QString title() const override { return titleText; }
    std::optional<ColourScale> colourScale() const override { return colour; }
    // Square cells while the grid is not too flat or too tall to read.
    double aspect() const override
    {
        return std::clamp(static_cast<double>(grid.heads) / static_cast<double>(std::max<int64_t>(1, grid.tokens)), 0.25, 1.25);
    }
    qint64 cells() const override { return static_cast<qint64>(grid.heads) * grid.tokens; }

    AxisTicks rowTicks(double length, const FigureFonts& fonts) const
    {
        return thinTicks(0, grid.heads, length, fonts.tick, [](qint64 i) { return QString::number(i); });
    }
    AxisTicks tokenTicks(double length, const FigureFonts& fonts, const FigureStyle& style) const
    {
        const int chars = tokenLabelChars(style);
        return thinTicks(0, grid.tokens, length, fonts.tick, [&](qint64 i) {
            const QString tok = style.tokenLabels ? tokenTickLabel(tokens, i, chars) : QString();
            if (tok.isEmpty())
                return QString::number(i);
            return grid.tokens * (FigureTextMetrics::height(fonts.tick) + 0.5) > length ? QStringLiteral("%1 %2").arg(i).arg(tok) : tok;
        });
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        return tickedAxisMargins(maxTextWidth(rowTicks(plotWidth * aspect(), fonts).texts, fonts.tick),
                                 maxTextWidth(tokenTicks(plotWidth, fonts, style).texts, fonts.tick), kTickLen, kGap,
                                 fonts, style);
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale* scale, const QString& groupId) const override
    {
        const ResolvedScale range = scale ? *scale : ResolvedScale{colour.low, colour.high};
        QImage img(static_cast<int>(grid.tokens), grid.heads, QImage::Format_ARGB32);
        for (int h = 0; h < grid.heads; ++h) {
            auto* line = reinterpret_cast<QRgb*>(img.scanLine(h));
            for (int64_t t = 0; t < grid.tokens; ++t) {
                const float v = grid.at(h, t);
                line[t] = std::isnan(v) ? 0 : scaleColour(colour, range, v);   // transparent: the hatch shows
            }
        }
        canvas.beginGroup(groupId + QStringLiteral("-cells"), &plot);
        drawMaskedHatch(canvas, plot);
        drawCellGrid(canvas, plot, img, !canvas.isRaster() && cells() <= cellLimit);
        canvas.endGroup();
        const QColor ink(0x20, 0x20, 0x20);
        canvas.strokeRect(plot, ink, 0.5);

        const double cw = plot.width() / static_cast<double>(grid.tokens), ch = plot.height() / grid.heads;
        const AxisTicks rt = rowTicks(plot.height(), fonts);
        const AxisTicks tt = tokenTicks(plot.width(), fonts, style);
        QVector<QLineF> marks;
        double rowLabelWidth = 0, tokenLabelWidth = 0;
        for (int k = 0; k < rt.positions.size(); ++k) {
            const double y = plot.top() + (static_cast<double>(rt.positions[k]) + 0.5) * ch;
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(rt.texts[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            rowLabelWidth = std::max(rowLabelWidth, FigureTextMetrics::width(rt.texts[k], fonts.tick));
        }
        for (int k = 0; k < tt.positions.size(); ++k) {
            const double x = plot.left() + (static_cast<double>(tt.positions[k]) + 0.5) * cw;
            marks.push_back(QLineF(x, plot.bottom(), x, plot.bottom() + kTickLen));
            canvas.text(tt.texts[k], QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::CenterRight, 90, ink);
            tokenLabelWidth = std::max(tokenLabelWidth, FigureTextMetrics::width(tt.texts[k], fonts.tick));
        }
        canvas.lines(marks, ink, 0.5);
        if (style.axisLabels) {
            canvas.text(rowWord, QPointF(plot.left() - kTickLen - kGap - rowLabelWidth - kGap, plot.center().y()), fonts.label,
                        TextAnchor::BottomCenter, 90, ink);
            canvas.text(QStringLiteral("token"), QPointF(plot.center().x(), plot.bottom() + kTickLen + kGap + tokenLabelWidth + kGap),
                        fonts.label, TextAnchor::TopCenter, 0, ink);
        }
    }
};

/// No quantity named (the spec's default): the output gate, or on a Gated DeltaNet layer β — what the view shows
/// first.
bool defaultQuantity(const PanelSpec& spec)
{
    return spec.quantity.isEmpty() || spec.quantity == QLatin1String("attention.probs");
}

Quantity gateQuantity(const PanelSpec& spec, bool& ok)
{
    Quantity q = Quantity::Gate;
    ok = defaultQuantity(spec) ||
         (quantityFromKey(spec.quantity.toStdString(), q) &&
          (q == Quantity::Gate || q == Quantity::DeltaBeta || q == Quantity::DeltaDecay || q == Quantity::DeltaOutputGate));
    return defaultQuantity(spec) ? Quantity::Gate : q;
}

bool layerHas(const FigureSource& source, Quantity q, int layer)
{
    for (const auto& [key, s] : source.captures.allSeries())
        if (key.quantity == q && key.layer == layer && s)
            return true;
    return false;
}

class GatesKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("gates"); }
    QString label() const override { return QStringLiteral("Gates per head and token (one layer)"); }

    void addNeeds(const PanelSpec& spec, const FigureStyle&, CaptureNeeds& needs) const override
    {
        bool ok = false;
        needs.quantities.insert(gateQuantity(spec, ok));
        if (defaultQuantity(spec))
            needs.quantities.insert(Quantity::DeltaBeta);
        needs.layers.insert(spec.layer);
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const QString where = QStringLiteral("Layer %1").arg(spec.layer);
        bool ok = false;
        Quantity q = gateQuantity(spec, ok);
        if (defaultQuantity(spec) && !layerHas(source, Quantity::Gate, spec.layer) && layerHas(source, Quantity::DeltaBeta, spec.layer))
            q = Quantity::DeltaBeta;
        if (!ok)
            return placeholderPanel(where, QStringLiteral("'%1' is not a gate quantity (gate, deltanet.beta, deltanet.decay, "
                                                          "deltanet.z_gate)").arg(spec.quantity.left(64)));
        if (spec.layer < 0 || spec.layer >= source.layers)
            return placeholderPanel(where, QStringLiteral("the model has %1 layers").arg(source.layers));
        std::vector<CapturedSeriesPtr> series;
        int rows = 0;
        for (const auto& [key, s] : source.captures.allSeries())
            if (key.quantity == q && key.layer == spec.layer && s) {
                series.push_back(s);
                rows = std::max(rows, key.head + 1);
            }
        if (series.empty())
            return placeholderPanel(where, QStringLiteral("no %1 values in this layer (a model without gates, or not captured)")
                                               .arg(QString::fromUtf8(quantityInfo(q).label)));
        auto c = std::make_shared<GateGridContent>();
        c->grid = gateGrid(series, rows, q);
        if (c->grid.tokens <= 0 || c->grid.heads <= 0)
            return placeholderPanel(where, QStringLiteral("no gate values in this layer"));
        c->tokens = source.tokens;
        c->cellLimit = style.vectorCellLimit;
        const bool delta = q != Quantity::Gate;
        c->rowWord = delta ? QStringLiteral("value head") : QStringLiteral("head");
        ColourScale& s = c->colour;
        s.isSigned = quantityInfo(q).domain == ValueDomain::Signed;
        s.colormap = style.settings.colormap == Colormap::Diverging ? Colormap::Viridis : style.settings.colormap;
        s.key = QStringLiteral("gate:") + QString::fromUtf8(quantityInfo(q).key);
        if (s.isSigned) {
            double m = 0;
            for (float v : c->grid.values)
                if (!std::isnan(v))
                    m = std::max(m, static_cast<double>(std::fabs(v)));
            s.high = m > 0 ? m : 1.0;
            s.low = -s.high;
        } else {
            s.low = 0;   // the view's fixed scale: a gate of 0.5 has one colour in every figure
            s.high = 1;
        }
        const QString name = q == Quantity::Gate ? QStringLiteral("gate σ(xW)") : q == Quantity::DeltaBeta ? QStringLiteral("β")
                                                 : q == Quantity::DeltaDecay ? QStringLiteral("decay exp(g)") : QStringLiteral("SiLU(z)");
        s.label = c->grid.elementwise ? QStringLiteral("mean ") + name : name;
        c->titleText = QStringLiteral("%1 · %2").arg(where, c->grid.elementwise ? QStringLiteral("mean ") + name : name);
        return c;
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeGatesPanelKind()
{
    return std::make_shared<GatesKind>();
}

} // namespace attnscope
