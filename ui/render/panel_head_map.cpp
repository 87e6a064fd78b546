// "head" panel: one head's map of a map quantity (attention probabilities, a differential head's second map or
// combined map), optionally the Δ from its layer's mean, over a token range (the head view's zoom). Pooling and
// colours come from the same functions as the head view (heatmap_image.h), so the figure shows what the screen
// shows. Vector targets get one rectangle per run of equal colour up to the style's cell limit, else one lossless
// image (pooled to at most kMaxImageSide per side); raster targets pool to their pixels like the screen does.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr int kMaxImageSide = 4096;
constexpr double kTickLen = 2.0, kGap = 1.5;

class HeadMapContent final : public PanelContent {
public:
    HeatmapSource src;
    ViewSettings settings;
    qint64 q0 = 0, q1 = 0, k0 = 0, k1 = 0;   // inclusive ranges
    QStringList tokens;
    QString titleText;
    ColourScale colour;
    qint64 cellLimit = 1 << 20;

    qint64 rows() const { return q1 - q0 + 1; }
    qint64 cols() const { return k1 - k0 + 1; }
    QString title() const override { return titleText; }
    std::optional<ColourScale> colourScale() const override { return colour; }
    double aspect() const override { return static_cast<double>(rows()) / static_cast<double>(cols()); }
    qint64 cells() const override { return rows() * cols(); }

    AxisTicks ticks(qint64 first, qint64 count, double length, const FigureFonts& fonts, const FigureStyle& style) const
    {
        const int chars = tokenLabelChars(style);
        return thinTicks(first, count, length, fonts.tick, [&](qint64 i) {
            const QString tok = style.tokenLabels ? tokenTickLabel(tokens, i, chars) : QString();
            // Thinned axes say where they are: "12 fox"; every token labelled: just the token.
            if (tok.isEmpty())
                return QString::number(i);
            return count * (FigureTextMetrics::height(fonts.tick) + 0.5) > length ? QStringLiteral("%1 %2").arg(i).arg(tok) : tok;
        });
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        const double plotHeight = plotWidth * aspect();
        double left = 0, bottom = 0;
        for (const QString& t : ticks(q0, rows(), plotHeight, fonts, style).texts)
            left = std::max(left, FigureTextMetrics::width(t, fonts.tick));
        for (const QString& t : ticks(k0, cols(), plotWidth, fonts, style).texts)
            bottom = std::max(bottom, FigureTextMetrics::width(t, fonts.tick));
        left += kTickLen + kGap;
        bottom += kTickLen + kGap;
        if (style.axisLabels) {
            left += FigureTextMetrics::height(fonts.label) + kGap;
            bottom += FigureTextMetrics::height(fonts.label) + kGap;
        }
        return {left, 0, 0, bottom};
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale* scale, const QString& groupId) const override
    {
        // Which cells, pooled how: one cell per rectangle (vector, within the limit), one image pixel per cell
        // (up to kMaxImageSide), or pooled to the device pixels (raster targets).
        const bool vectorOk = !canvas.isRaster() && cells() <= cellLimit;
        int maxX = static_cast<int>(std::min<qint64>(cols(), kMaxImageSide));
        int maxY = static_cast<int>(std::min<qint64>(rows(), kMaxImageSide));
        if (canvas.isRaster()) {
            maxX = std::max(1, static_cast<int>(std::floor(plot.width() * canvas.pixelsPerPoint())));
            maxY = std::max(1, static_cast<int>(std::floor(plot.height() * canvas.pixelsPerPoint())));
        }
        PoolWindow w;
        w.row0 = q0;
        w.col0 = k0;
        w.poolX = vectorOk ? 1 : static_cast<int>(std::max<qint64>(1, (cols() + maxX - 1) / maxX));
        w.poolY = vectorOk ? 1 : static_cast<int>(std::max<qint64>(1, (rows() + maxY - 1) / maxY));
        w.cols = static_cast<int>((cols() + w.poolX - 1) / w.poolX);
        w.rows = static_cast<int>((rows() + w.poolY - 1) / w.poolY);
        const bool perRow = settings.normalisation == Normalisation::PerRow;
        const ValueGrid grid = poolWindow(src, w, settings.pooling, perRow);
        ViewSettings colourSettings = settings;
        colourSettings.normalisation = Normalisation::Global;   // rows were divided while pooling
        const double rangeMax = perRow ? 1.0 : scale ? std::max(std::fabs(scale->low), std::fabs(scale->high)) : colour.high;
        const ColourisedGrid img = colouriseGrid(grid, colourSettings, src.isSigned(), rangeMax > 0 ? rangeMax : 1.0);
        // The last block may reach past the range: the image covers whole blocks, clipped to the plot.
        const double cw = plot.width() / static_cast<double>(cols()), ch = plot.height() / static_cast<double>(rows());
        const QRectF target(plot.topLeft(), QSizeF(cw * w.cols * w.poolX, ch * w.rows * w.poolY));
        canvas.beginGroup(groupId + QStringLiteral("-cells"), &plot);
        drawMaskedHatch(canvas, plot);
        drawCellGrid(canvas, target, img.image, vectorOk);
        canvas.endGroup();
        const QColor ink(0x20, 0x20, 0x20);
        canvas.strokeRect(plot, ink, 0.5);

        // Ticks and token labels.
        const AxisTicks yt = ticks(q0, rows(), plot.height(), fonts, style);
        const AxisTicks xt = ticks(k0, cols(), plot.width(), fonts, style);
        QVector<QLineF> marks;
        double yLabelWidth = 0, xLabelWidth = 0;
        for (int k = 0; k < yt.positions.size(); ++k) {
            const double y = plot.top() + (static_cast<double>(yt.positions[k] - q0) + 0.5) * ch;
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(yt.texts[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            yLabelWidth = std::max(yLabelWidth, FigureTextMetrics::width(yt.texts[k], fonts.tick));
        }
        for (int k = 0; k < xt.positions.size(); ++k) {
            const double x = plot.left() + (static_cast<double>(xt.positions[k] - k0) + 0.5) * cw;
            marks.push_back(QLineF(x, plot.bottom(), x, plot.bottom() + kTickLen));
            canvas.text(xt.texts[k], QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::CenterRight, 90, ink);
            xLabelWidth = std::max(xLabelWidth, FigureTextMetrics::width(xt.texts[k], fonts.tick));
        }
        canvas.lines(marks, ink, 0.5);
        if (style.axisLabels) {
            canvas.text(QStringLiteral("query token"),
                        QPointF(plot.left() - kTickLen - kGap - yLabelWidth - kGap, plot.center().y()), fonts.label,
                        TextAnchor::BottomCenter, 90, ink);
            canvas.text(QStringLiteral("key token"), QPointF(plot.center().x(), plot.bottom() + kTickLen + kGap + xLabelWidth + kGap),
                        fonts.label, TextAnchor::TopCenter, 0, ink);
        }
    }
};

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
        if (!map || map->tokens <= 0)
            return placeholderPanel(where, QStringLiteral("not captured in this run"));
        auto c = std::make_shared<HeadMapContent>();
        c->settings = style.settings;
        c->src.map = map;
        if (style.settings.data == DisplayData::DiffFromLayerMean)
            c->src.layerMean = source.layerMean(q, spec.layer);
        const qint64 t = map->tokens;
        auto clampRange = [t](qint64 first, qint64 last, qint64& a, qint64& b) {
            a = first < 0 ? 0 : std::min(first, t - 1);
            b = last < 0 ? t - 1 : std::clamp(last, a, t - 1);
        };
        clampRange(spec.queryFirst, spec.queryLast, c->q0, c->q1);
        clampRange(spec.keyFirst, spec.keyLast, c->k0, c->k1);
        c->tokens = source.tokens;
        c->cellLimit = style.vectorCellLimit;
        const bool isSigned = c->src.isSigned();
        QString title = where;
        if (q != Quantity::AttentionProbs)
            title += QStringLiteral(" · ") + QString::fromUtf8(quantityInfo(q).label);
        if (c->src.layerMean)
            title += QStringLiteral(" · Δ vs layer mean");
        if (c->rows() != t || c->cols() != t)
            title += QStringLiteral(" · tokens %1–%2").arg(c->k0).arg(c->k1);
        c->titleText = title;

        ColourScale& s = c->colour;
        s.colormap = style.settings.colormap;
        s.scale = isSigned ? ScaleKind::Linear : style.settings.scale;
        s.gamma = style.settings.gamma;
        s.logFloor = style.settings.logFloor;
        s.isSigned = isSigned;
        s.label = colorbarLabel(style.settings, isSigned);
        const bool perRow = style.settings.normalisation == Normalisation::PerRow;
        const QString family = isSigned ? QStringLiteral("delta") : QStringLiteral("weight");
        s.key = family + (perRow ? QStringLiteral("-row") : QString()) + QLatin1Char(':') + spec.quantity;
        const double m = perRow ? 1.0 : maxMagnitude(c->src);
        s.high = m > 0 ? m : 1.0;
        s.low = isSigned ? -s.high : (s.scale == ScaleKind::Log ? s.logFloor : 0.0);
        return c;
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeHeadMapPanelKind()
{
    return std::make_shared<HeadMapKind>();
}

} // namespace attnscope
