// A T × T map as a figure panel, drawn like the views draw it: pooling and colours come from the same functions as
// the head view (heatmap_image.h), so the figure shows what the screen shows. Vector targets get one rectangle per
// run of equal colour up to the style's cell limit, else one lossless image (pooled to at most kMaxImageSide per
// side); raster targets pool to their pixels like the screen does. Used by the "head", "differential" and compare
// panel kinds.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"
#include "ui/render/long_map_pool.h"
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

namespace attnscope {

namespace {

constexpr int kMaxImageSide = 4096;
constexpr double kTickLen = 2.0, kGap = 1.5;

class HeatmapContent final : public PanelContent {
public:
    HeatmapPanel p;
    mutable std::mutex m_mutex;
    mutable std::map<int, std::shared_ptr<const ValueGrid>> m_longGrids;

    qint64 rows() const { return p.q1 - p.q0 + 1; }
    qint64 cols() const { return p.k1 - p.k0 + 1; }
    QString title() const override { return p.title; }
    std::optional<ColourScale> colourScale() const override { return p.colour; }
    double aspect() const override { return static_cast<double>(rows()) / static_cast<double>(cols()); }
    bool isLong() const { return !p.src.map && p.src.tiles && p.longPool > 0; }
    qint64 cells() const override
    {
        if (isLong())
            return ((rows() + p.longPool - 1) / p.longPool) * ((cols() + p.longPool - 1) / p.longPool);
        return rows() * cols();
    }

    /// A long map's grid at a pool (a power of two ≥ p.longPool), computed once per pool from recomputed tiles or
    /// the streamed grid.
    std::shared_ptr<const ValueGrid> longGrid(int pool) const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        std::shared_ptr<const ValueGrid>& slot = m_longGrids[pool];
        if (!slot) {
            PoolWindow w;
            w.row0 = p.q0;
            w.col0 = p.k0;
            w.poolX = w.poolY = pool;
            w.cols = static_cast<int>((cols() + pool - 1) / pool);
            w.rows = static_cast<int>((rows() + pool - 1) / pool);
            const bool perRow = p.settings.normalisation == Normalisation::PerRow;
            slot = std::make_shared<const ValueGrid>(
                poolLongWindow(*p.src.tiles, *p.src.rowNormaliser, w, p.settings.pooling, perRow, p.longCoarse.get()));
        }
        return slot;
    }

    AxisTicks ticks(qint64 first, qint64 count, double length, const FigureFonts& fonts, const FigureStyle& style) const
    {
        const int chars = tokenLabelChars(style);
        return thinTicks(first, count, length, fonts.tick, [&](qint64 i) {
            const QString tok = style.tokenLabels ? tokenTickLabel(p.tokens, i, chars) : QString();
            // Thinned axes say where they are: "12 fox"; every token labelled: just the token.
            if (tok.isEmpty())
                return QString::number(i);
            return count * (FigureTextMetrics::height(fonts.tick) + 0.5) > length ? QStringLiteral("%1 %2").arg(i).arg(tok) : tok;
        });
    }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const override
    {
        const double plotHeight = plotWidth * aspect();
        return tickedAxisMargins(maxTextWidth(ticks(p.q0, rows(), plotHeight, fonts, style).texts, fonts.tick),
                                 maxTextWidth(ticks(p.k0, cols(), plotWidth, fonts, style).texts, fonts.tick), kTickLen,
                                 kGap, fonts, style);
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale* scale, const QString& groupId) const override
    {
        // Which cells, pooled how: one cell per rectangle (vector, within the limit), one image pixel per cell
        // (up to kMaxImageSide), or pooled to the device pixels (raster targets).
        // A long map (no stored map): its grid at the pool chosen for the figure's resolution — coarser where a
        // raster plot has fewer pixels, so no cell is dropped — drawn as one lossless image on every target, so a
        // vector file holds at most kLongFigureMaxCells² cells.
        std::shared_ptr<const ValueGrid> longCells;
        if (isLong()) {
            int pool = p.longPool;
            if (canvas.isRaster()) {
                const auto px = static_cast<qint64>(std::max(1.0, std::floor(plot.width() * canvas.pixelsPerPoint())));
                const auto py = static_cast<qint64>(std::max(1.0, std::floor(plot.height() * canvas.pixelsPerPoint())));
                while ((cols() + pool - 1) / pool > px || (rows() + pool - 1) / pool > py)
                    pool *= 2;
            }
            longCells = longGrid(pool);
        }
        const bool vectorOk = !longCells && !canvas.isRaster() && cells() <= p.cellLimit;
        int maxX = static_cast<int>(std::min<qint64>(cols(), kMaxImageSide));
        int maxY = static_cast<int>(std::min<qint64>(rows(), kMaxImageSide));
        if (canvas.isRaster()) {
            maxX = std::max(1, static_cast<int>(std::floor(plot.width() * canvas.pixelsPerPoint())));
            maxY = std::max(1, static_cast<int>(std::floor(plot.height() * canvas.pixelsPerPoint())));
        }
        PoolWindow w;
        w.row0 = p.q0;
        w.col0 = p.k0;
        w.poolX = vectorOk ? 1 : static_cast<int>(std::max<qint64>(1, (cols() + maxX - 1) / maxX));
        w.poolY = vectorOk ? 1 : static_cast<int>(std::max<qint64>(1, (rows() + maxY - 1) / maxY));
        w.cols = static_cast<int>((cols() + w.poolX - 1) / w.poolX);
        w.rows = static_cast<int>((rows() + w.poolY - 1) / w.poolY);
        const bool perRow = p.settings.normalisation == Normalisation::PerRow;
        if (longCells)
            w = longCells->window;
        const ValueGrid grid = longCells ? *longCells : poolWindow(p.src, w, p.settings.pooling, perRow);
        ViewSettings colourSettings = p.settings;
        colourSettings.normalisation = Normalisation::Global;   // rows were divided while pooling
        const double rangeMax = perRow ? 1.0 : scale ? std::max(std::fabs(scale->low), std::fabs(scale->high)) : p.colour.high;
        const ColourisedGrid img = colouriseGrid(grid, colourSettings, p.src.isSigned(), rangeMax > 0 ? rangeMax : 1.0);
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
        const AxisTicks yt = ticks(p.q0, rows(), plot.height(), fonts, style);
        const AxisTicks xt = ticks(p.k0, cols(), plot.width(), fonts, style);
        QVector<QLineF> marks;
        double yLabelWidth = 0, xLabelWidth = 0;
        for (int k = 0; k < yt.positions.size(); ++k) {
            const double y = plot.top() + (static_cast<double>(yt.positions[k] - p.q0) + 0.5) * ch;
            marks.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(yt.texts[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
            yLabelWidth = std::max(yLabelWidth, FigureTextMetrics::width(yt.texts[k], fonts.tick));
        }
        for (int k = 0; k < xt.positions.size(); ++k) {
            const double x = plot.left() + (static_cast<double>(xt.positions[k] - p.k0) + 0.5) * cw;
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

} // namespace

void HeatmapPanel::setRanges(qint64 queryFirst, qint64 queryLast, qint64 keyFirst, qint64 keyLast)
{
    const qint64 t = src.tokens();
    auto clampRange = [t](qint64 first, qint64 last, qint64& a, qint64& b) {
        a = first < 0 ? 0 : std::min(first, t - 1);
        b = last < 0 ? t - 1 : std::clamp(last, a, t - 1);
    };
    clampRange(queryFirst, queryLast, q0, q1);
    clampRange(keyFirst, keyLast, k0, k1);
}

ColourScale heatmapColourScale(const HeatmapSource& src, const ViewSettings& settings, const QString& key, double high)
{
    const bool isSigned = src.isSigned();
    const bool perRow = settings.normalisation == Normalisation::PerRow;
    ColourScale s;
    s.colormap = settings.colormap;
    s.scale = isSigned ? ScaleKind::Linear : settings.scale;
    s.gamma = settings.gamma;
    s.logFloor = settings.logFloor;
    s.isSigned = isSigned;
    s.label = colorbarLabel(settings, isSigned);
    const QString family = isSigned ? QStringLiteral("delta") : QStringLiteral("weight");
    s.key = family + (perRow ? QStringLiteral("-row") : QString()) + QLatin1Char(':') + key;
    const double m = perRow ? 1.0 : high >= 0 ? high : maxMagnitude(src);
    s.high = m > 0 ? m : 1.0;
    s.low = isSigned ? -s.high : (s.scale == ScaleKind::Log ? s.logFloor : 0.0);
    return s;
}

PanelContentPtr makeHeatmapPanel(HeatmapPanel panel)
{
    auto c = std::make_shared<HeatmapContent>();
    c->p = std::move(panel);
    return c;
}

} // namespace attnscope
