// Rendering: LUT endpoints, scale mapping, masked cells transparent (never the colour of 0), pooling, the
// signed difference view, the colourbar gradient, and the heatmap plottable drawing visible cells.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"
#include "ui/render/colormap.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/heatmap_plottable.h"
#include "ui/render/view_settings.h"
#include "ui/widgets/attention_plot.h"

#include <QTest>

#include <cmath>

using namespace attnscope;

class TestUiRender : public QObject {
    Q_OBJECT
private slots:
    void lutEndpoints();
    void maskedCellsAreTransparent();
    void scales();
    void perRowNormalisation();
    void poolingKeepsPeaks();
    void signedDifference();
    void gradientMatchesPowerScale();
    void settingsJsonClampsHostileValues();
    void plottableDrawsCellsAndHatch();
    void slidingWindowHatchesExactlyTheMaskedCells();
    void longPreviousTokenHeadKeepsItsDiagonal();
    void meanPoolingAndWindows();
    void perRowUsesTheWholeRow();
    void tickLabelsFollowTheLaidOutSize();
};

namespace {

AttentionMapPtr causal4()
{
    auto m = std::make_shared<AttentionMap>();
    m->tokens = 4;
    m->probs = {1, 0, 0, 0,
                0.5f, 0.5f, 0, 0,
                0.25f, 0.25f, 0.5f, 0,
                0.1f, 0.2f, 0.3f, 0.4f};
    return m;
}

} // namespace

void TestUiRender::lutEndpoints()
{
    // matplotlib's first and last viridis entries: (0.267004, 0.004874, 0.329415) and (0.993248, 0.906157, 0.143936).
    QCOMPARE(colormapLut(Colormap::Viridis)[0], qRgb(0x44, 0x01, 0x54));
    QCOMPARE(colormapLut(Colormap::Viridis)[255], qRgb(0xfd, 0xe7, 0x25));
    QCOMPARE(colormapLut(Colormap::Grey)[0], qRgb(0, 0, 0));
    QCOMPARE(colormapLut(Colormap::Grey)[255], qRgb(255, 255, 255));
    // The diverging map is near white in the middle and runs blue → red.
    const QColor mid = QColor::fromRgb(colormapLut(Colormap::Diverging)[128]);
    QVERIFY(mid.lightness() > 230);
    QVERIFY(QColor::fromRgb(colormapLut(Colormap::Diverging)[0]).blue() > QColor::fromRgb(colormapLut(Colormap::Diverging)[0]).red());
    for (int i = 0; i < kColormapCount; ++i) {
        Colormap c;
        QVERIFY(colormapFromId(colormapId(static_cast<Colormap>(i)), c));
        QCOMPARE(static_cast<int>(c), i);
    }
    // The masked tone is not any sequential map's zero colour.
    for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::Cividis, Colormap::Grey})
        QVERIFY(QColor::fromRgb(colormapLut(c)[0]) != maskedBackground());
}

void TestUiRender::maskedCellsAreTransparent()
{
    ViewSettings s;
    s.scale = ScaleKind::Linear;
    const ValueGrid g = poolSource({causal4(), nullptr}, 64);
    QCOMPARE(g.rows, 4);
    QVERIFY(std::isnan(g.at(0, 1)));   // masked
    QCOMPARE(g.at(1, 1), 0.5f);
    const ColourisedGrid c = colouriseGrid(g, s, false);
    QCOMPARE(c.image.size(), QSize(4, 4));
    QCOMPARE(qAlpha(c.image.pixel(3, 0)), 0);       // masked: transparent, the hatch shows through
    QCOMPARE(qAlpha(c.image.pixel(0, 3)), 255);
    QCOMPARE(c.image.pixel(0, 0), colormapLut(Colormap::Viridis)[255]);   // the maximum
    QCOMPARE(c.vmax, 1.0);
}

void TestUiRender::scales()
{
    ValueGrid g;
    g.rows = 1;
    g.cols = 4;
    g.values = {1.0f, 0.25f, 1e-3f, 0.0f};
    ViewSettings s;
    s.scale = ScaleKind::Linear;
    ColourisedGrid c = colouriseGrid(g, s, false);
    const Lut& lut = colormapLut(Colormap::Viridis);
    QCOMPARE(c.image.pixel(1, 0), lut[64]);     // 0.25 · 256
    QCOMPARE(c.image.pixel(3, 0), lut[0]);      // a real zero is drawn with the colormap's low end
    s.scale = ScaleKind::Power;
    s.gamma = 0.5;
    c = colouriseGrid(g, s, false);
    QCOMPARE(c.image.pixel(1, 0), lut[128]);    // sqrt(0.25) = 0.5
    s.scale = ScaleKind::Log;
    s.logFloor = 1e-4;
    c = colouriseGrid(g, s, false);
    QCOMPARE(c.vmin, 1e-4);
    QCOMPARE(c.image.pixel(2, 0), lut[64]);     // log10(1e-3) is a quarter of the way from 1e-4 to 1
    QCOMPARE(c.image.pixel(3, 0), lut[0]);      // below the floor: drawn at the floor
}

void TestUiRender::perRowNormalisation()
{
    ValueGrid g;
    g.rows = 2;
    g.cols = 2;
    g.values = {1.0f, std::nanf(""), 0.2f, 0.1f};
    ViewSettings s;
    s.scale = ScaleKind::Linear;
    s.normalisation = Normalisation::PerRow;
    const ColourisedGrid c = colouriseGrid(g, s, false);
    QCOMPARE(c.image.pixel(0, 1), colormapLut(Colormap::Viridis)[255]);   // 0.2 is its row's max
    QCOMPARE(c.image.pixel(1, 1), colormapLut(Colormap::Viridis)[128]);
    QCOMPARE(c.vmax, 1.0);
}

void TestUiRender::poolingKeepsPeaks()
{
    auto m = std::make_shared<AttentionMap>();
    m->tokens = 8;
    m->probs.assign(64, 0.01f);
    m->probs[7 * 8 + 0] = 0.9f;   // a sink in the last row
    const ValueGrid g = poolSource({m, nullptr}, 4);
    QCOMPARE(g.pool, 2);
    QCOMPARE(g.rows, 4);
    QCOMPARE(g.at(3, 0), 0.9f);
    QVERIFY(std::isnan(g.at(0, 3)));   // a block fully above the diagonal stays masked
    QCOMPARE(g.at(0, 0), 0.01f);       // the diagonal block keeps its valid cells
}

void TestUiRender::signedDifference()
{
    auto a = causal4();
    auto b = std::make_shared<AttentionMap>(*a);
    b->probs[4] = 0.0f;   // row 1: [0, 1]
    b->probs[5] = 1.0f;
    auto mean = layerMeanOf({a, b});
    QVERIFY(mean);
    const HeatmapSource d{a, mean};
    QCOMPARE(d.value(1, 0), 0.25f);    // 0.5 − mean(0.5, 0)
    QCOMPARE(d.value(1, 1), -0.25f);
    QCOMPARE(d.value(0, 0), 0.0f);
    QCOMPARE(maxMagnitude(d), 0.25);
    ViewSettings s;
    s.data = DisplayData::DiffFromLayerMean;
    const ColourisedGrid c = colouriseGrid(poolSource(d, 64), s, true);
    QCOMPARE(c.vmin, -0.25);
    QCOMPARE(c.vmax, 0.25);
    QCOMPARE(c.image.pixel(0, 1), colormapLut(Colormap::Diverging)[255]);
    QCOMPARE(c.image.pixel(1, 1), colormapLut(Colormap::Diverging)[0]);
    QCOMPARE(c.image.pixel(0, 0), colormapLut(Colormap::Diverging)[128]);   // zero sits in the middle
    QVERIFY(!layerMeanOf({nullptr, nullptr}));
    // A missing head is left out of the mean, not counted as zeros.
    const auto partial = layerMeanOf({a, nullptr});
    QCOMPARE((*partial)[4], 0.5f);
}

void TestUiRender::gradientMatchesPowerScale()
{
    ViewSettings s;
    s.scale = ScaleKind::Power;
    s.gamma = 0.5;
    QCPColorGradient g = makeColorGradient(s, false);
    // At bar position 0.25 (value 0.25·vmax) the colour is the LUT at sqrt(0.25) = 0.5.
    const QRgb expect = colormapLut(Colormap::Viridis)[128];
    const QRgb got = g.color(0.25, QCPRange(0, 1));
    QVERIFY2(std::abs(qRed(got) - qRed(expect)) <= 3 && std::abs(qGreen(got) - qGreen(expect)) <= 3,
             qPrintable(QStringLiteral("%1 vs %2").arg(got, 0, 16).arg(expect, 0, 16)));
    QVERIFY(colorbarLabel(s, false).contains(QStringLiteral("power")));
    s.scale = ScaleKind::Log;
    QVERIFY(colorbarLabel(s, false).contains(QStringLiteral("floor")));
}

void TestUiRender::settingsJsonClampsHostileValues()
{
    QJsonObject o;
    o[QStringLiteral("colormap")] = QStringLiteral("magma");
    o[QStringLiteral("scale")] = QStringLiteral("log");
    o[QStringLiteral("gamma")] = 1e9;
    o[QStringLiteral("log_floor")] = -5;
    o[QStringLiteral("normalisation")] = QStringLiteral("row");
    const ViewSettings v = viewSettingsFromJson(o);
    QCOMPARE(v.colormap, Colormap::Magma);
    QCOMPARE(v.scale, ScaleKind::Log);
    QCOMPARE(v.gamma, 5.0);
    QVERIFY(v.logFloor > 0);
    QCOMPARE(v.normalisation, Normalisation::PerRow);
    QCOMPARE(viewSettingsFromJson(toJson(v)), v);
    QCOMPARE(viewSettingsFromJson(QJsonObject()), ViewSettings());
}

void TestUiRender::plottableDrawsCellsAndHatch()
{
    QCustomPlot plot;
    plot.resize(400, 400);
    plot.yAxis->setRangeReversed(true);
    auto* hm = new HeatmapPlottable(plot.xAxis, plot.yAxis);
    ViewSettings s;
    s.scale = ScaleKind::Linear;
    const ColourisedGrid c = colouriseGrid(poolSource({causal4(), nullptr}, 64), s, false);
    hm->setImage(c.image, 4);
    plot.xAxis->setRange(-0.5, 3.5);
    plot.yAxis->setRange(-0.5, 3.5);
    plot.replot();
    const QImage img = plot.toPixmap(400, 400).toImage();
    // Cell (0, 0) — query 0, key 0 — is the maximum; cell (0, 3) is masked: hatch tones, not a LUT colour.
    const QPoint c00 = plot.xAxis->coordToPixel(0) >= 0 ? QPoint(int(plot.xAxis->coordToPixel(0)), int(plot.yAxis->coordToPixel(0))) : QPoint();
    QCOMPARE(img.pixel(c00), colormapLut(Colormap::Viridis)[255]);
    const QPoint c03(int(plot.xAxis->coordToPixel(3)), int(plot.yAxis->coordToPixel(0)));
    const QRgb masked = img.pixel(c03);
    QVERIFY2(masked == maskedBackground().rgb() || masked == maskedHatch().rgb(), qPrintable(QString::number(masked, 16)));
    // Zoomed into the lower-left cell only: it fills the axis rect.
    plot.xAxis->setRange(-0.5, 0.5);
    plot.yAxis->setRange(2.5, 3.5);
    plot.replot();
    const QImage zoomed = plot.toPixmap(400, 400).toImage();
    const QRect ar = plot.axisRect()->rect();
    QCOMPARE(zoomed.pixel(ar.center()), c.image.pixel(0, 3));
}

void TestUiRender::longPreviousTokenHeadKeepsItsDiagonal()
{
    // A 3,500-token previous-token head (A[i, i−1] = 1) drawn on 700 × 700 pixels: 5 × 5 cells per pixel.
    const int T = 3500;
    auto m = std::make_shared<AttentionMap>();
    m->tokens = T;
    m->probs.assign(static_cast<size_t>(T) * T, 0.f);
    m->probs[0] = 1.f;
    for (int i = 1; i < T; ++i)
        m->probs[static_cast<size_t>(i) * T + i - 1] = 1.f;
    const HeatmapSource src{m, nullptr};
    const PoolWindow w = windowFor(T, -0.5, T - 0.5, -0.5, T - 0.5, 700, 700);
    QCOMPARE(w.poolX, 5);
    QCOMPARE(w.poolY, 5);
    QCOMPARE(w.cols, 700);
    QVERIFY(w.covers(0, T - 1, 0, T - 1));
    for (Pooling mode : {Pooling::Max, Pooling::Mean}) {
        const ValueGrid g = poolWindow(src, w, mode, false);
        QCOMPARE(g.rows, 700);
        // Every pixel row keeps a bright cell on the diagonal block (the previous-token line is never sampled away).
        for (int r = 0; r < g.rows; ++r) {
            float best = 0;
            for (int c = std::max(0, r - 1); c <= r; ++c)
                best = std::max(best, g.at(r, c));
            QVERIFY2(best >= (mode == Pooling::Max ? 1.0f : 1.0f / 25.0f - 1e-6f),
                     qPrintable(QStringLiteral("row %1: %2").arg(r).arg(best)));
        }
        if (mode == Pooling::Max)
            QCOMPARE(g.at(350, 349), 1.0f);
    }
}

void TestUiRender::meanPoolingAndWindows()
{
    // causal4 pooled 2 × 2 by mean: block (0,0) = mean(1, 0.5, 0.5) over its 3 unmasked cells; (0,1) fully masked.
    const HeatmapSource src{causal4(), nullptr};
    PoolWindow w;
    w.rows = w.cols = 2;
    w.poolX = w.poolY = 2;
    const ValueGrid g = poolWindow(src, w, Pooling::Mean, false);
    QCOMPARE(g.at(0, 0), 2.0f / 3.0f);
    QVERIFY(std::isnan(g.at(0, 1)));
    QCOMPARE(g.at(1, 0), (0.25f + 0.25f + 0.1f + 0.2f) / 4.0f);
    QCOMPARE(g.at(1, 1), (0.5f + 0.3f + 0.4f) / 3.0f);
    const ValueGrid gm = poolWindow(src, w, Pooling::Max, false);
    QCOMPARE(gm.at(0, 0), 1.0f);
    QCOMPARE(gm.at(1, 1), 0.5f);
    QCOMPARE(gm.sourceMax, maxMagnitude(src));   // a window over the whole map measures its range on the way
    // A zoomed window: cells 1..2 of each axis on plenty of pixels: one grid cell per map cell, with margin.
    const PoolWindow z = windowFor(4, 0.5, 2.5, 0.5, 2.5, 400, 400, 0.0);
    QCOMPARE(z.poolX, 1);
    QCOMPARE(z.col0, 1);
    QCOMPARE(z.cols, 2);
    const ValueGrid gz = poolWindow(src, z, Pooling::Max, false);
    QCOMPARE(gz.at(0, 0), 0.5f);    // map cell (1, 1)
    QCOMPARE(gz.at(1, 0), 0.25f);   // map cell (2, 1)
    // The colourbar names the pooling when a pixel stands for several cells.
    ViewSettings s;
    s.pooling = Pooling::Mean;
    QVERIFY(colorbarLabel(s, false, 5, 5).contains(QStringLiteral("mean of 5×5")));
    QVERIFY(!colorbarLabel(s, false, 1, 1).contains(QStringLiteral("of")));
    s.pooling = Pooling::Max;
    QVERIFY(colorbarLabel(s, false, 2, 3).contains(QStringLiteral("max of 3×2")));
    QCOMPARE(viewSettingsFromJson(toJson(s)).pooling, Pooling::Max);
    s.pooling = Pooling::Mean;
    QCOMPARE(viewSettingsFromJson(toJson(s)).pooling, Pooling::Mean);
}

void TestUiRender::perRowUsesTheWholeRow()
{
    // Row 3 of causal4 is [0.1, 0.2, 0.3, 0.4]: zoomed to keys 0..1 it still divides by 0.4, not by 0.2.
    const HeatmapSource src{causal4(), nullptr};
    PoolWindow w;
    w.row0 = 3;
    w.rows = 1;
    w.cols = 2;
    const ValueGrid g = poolWindow(src, w, Pooling::Max, true);
    QCOMPARE(g.at(0, 0), 0.25f);
    QCOMPARE(g.at(0, 1), 0.5f);
}

void TestUiRender::tickLabelsFollowTheLaidOutSize()
{
    // The labels depend on the data area's size, which is only known after a layout pass. A plot first drawn
    // small (hidden, or before the window settled) must relabel when it grows — without waiting for a new map.
    const int T = 60;
    auto rows = std::make_shared<TokenRows>();
    for (int i = 0; i < T; ++i)
        rows->push_back({i, QStringLiteral("t%1").arg(i), QByteArray("t") + QByteArray::number(i), 0, 0});
    auto m = std::make_shared<AttentionMap>();
    m->tokens = T;
    m->probs.assign(static_cast<size_t>(T) * T, 1.0f / T);
    const HeatmapSource src{m, nullptr};
    PoolWindow w;
    w.rows = w.cols = T;
    ViewSettings s;
    AttentionPlot plot;
    plot.setTokens(rows);
    plot.resize(320, 260);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.setHeatmap(src, colouriseGrid(poolWindow(src, w, Pooling::Max, false), s, false), w, s, QStringLiteral("t"));
    plot.replot();
    // What was drawn: the labels the axes set up at the last replot.
    const auto small = plot.yAxis->tickVectorLabels().size();
    QVERIFY2(small < T, qPrintable(QString::number(small)));   // 60 labels do not fit in ~200 px
    plot.resize(1000, 1100);
    QTRY_COMPARE_WITH_TIMEOUT(plot.yAxis->tickVectorLabels().size(), T, 2000);   // they do in ~900 px
    QCOMPARE(plot.xAxis->tickVectorLabels().size(), T);
}

QTEST_MAIN(TestUiRender)
#include "test_ui_render.moc"

void TestUiRender::slidingWindowHatchesExactlyTheMaskedCells()
{
    // A Gemma-style sliding-window layer: 9 tokens, window 3. Every cell outside the window (and above the
    // diagonal) must be transparent (hatched); every valid cell opaque — the renderer reads the map's mask.
    auto m = std::make_shared<AttentionMap>();
    m->tokens = 9;
    m->mask = AttentionMask::sliding(3);
    m->probs.assign(81, 0.f);
    for (int64_t i = 0; i < 9; ++i) {
        const RowKeys k = m->mask.rowKeys(i, 9);
        for (int64_t j = k.range[0].begin; j < k.range[0].end; ++j)
            m->probs[size_t(i * 9 + j)] = 1.f / float(k.size());
    }
    ViewSettings s;
    s.scale = ScaleKind::Linear;
    const ValueGrid g = poolSource({m, nullptr}, 64);
    const ColourisedGrid c = colouriseGrid(g, s, false);
    int masked = 0;
    for (int i = 0; i < 9; ++i)
        for (int j = 0; j < 9; ++j) {
            const bool valid = m->mask.valid(i, j);
            QCOMPARE(qAlpha(c.image.pixel(j, i)) == 0, !valid);
            masked += valid ? 0 : 1;
        }
    QCOMPARE(masked, 81 - (1 + 2 + 3 * 7));
}
