// Rendering: LUT endpoints, scale mapping, masked cells transparent (never the colour of 0), pooling, the
// signed difference view, the colourbar gradient, and the heatmap plottable drawing visible cells.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"
#include "ui/render/colormap.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/heatmap_plottable.h"

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

QTEST_MAIN(TestUiRender)
#include "test_ui_render.moc"
