// Benchmark (not a test; docs/PERFORMANCE.md): exports one head's map as a figure and reports medians.
//   bench_figure_export MAP.npy [REPEATS]      MAP.npy: a T × T float32 map, e.g. from
//                                              `attnscope-cli run MODEL --text-file F --attn-out MAP.npy --layer L --head H`
// Prints JSON: the figure's build (pooling ranges, layout), PDF (vector cells up to 1024² cells), SVG and 300-dpi
// PNG times in ms (medians and all runs) and file sizes. The map is taken as causal (what decoder maps are).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_export.h"

#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>

using namespace attnscope;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

QJsonArray array(const std::vector<double>& v)
{
    QJsonArray a;
    for (double x : v)
        a.append(x);
    return a;
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_figure_export MAP.npy [REPEATS]\n");
        return 2;
    }
    const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    QFile f(QString::fromLocal8Bit(argv[1]));
    if (!f.open(QIODevice::ReadOnly))
        return 1;
    const QByteArray npy = f.readAll();
    // A version-1 header: magic (6) + version (2) + uint16 length.
    const int headerLen = static_cast<quint8>(npy[8]) | (static_cast<quint8>(npy[9]) << 8);
    const qsizetype data = 10 + headerLen;
    const qint64 floats = (npy.size() - data) / 4;
    const auto t = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(floats))));
    if (t * t != floats) {
        std::fprintf(stderr, "not a square float32 map\n");
        return 1;
    }
    auto map = std::make_shared<AttentionMap>();
    map->tokens = t;
    map->probs.resize(static_cast<size_t>(floats));
    std::memcpy(map->probs.data(), npy.constData() + data, static_cast<size_t>(floats) * 4);
    auto src = std::make_shared<FigureSource>();
    src->layers = src->heads = src->kvHeads = 1;
    for (int64_t i = 0; i < t; ++i)
        src->tokens << QStringLiteral("t%1").arg(i);
    src->captures.add(map);
    FigureStyle style;
    PanelSpec panel;
    const FigureSpec spec = FigureSpec::single(panel, style);
    std::vector<double> build, pdf, svg, png;
    qint64 pdfBytes = 0, svgBytes = 0, pngBytes = 0;
    QString error;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer timer;
        timer.start();
        const FigureRenderer figure(spec, src);
        build.push_back(timer.nsecsElapsed() / 1e6);
        timer.restart();
        pdfBytes = renderFigurePdf(figure, &error).size();
        pdf.push_back(timer.nsecsElapsed() / 1e6);
        timer.restart();
        svgBytes = renderFigureSvg(figure).size();
        svg.push_back(timer.nsecsElapsed() / 1e6);
        timer.restart();
        pngBytes = renderFigurePng(figure, 300).size();
        png.push_back(timer.nsecsElapsed() / 1e6);
    }
    QJsonObject o;
    o[QStringLiteral("tokens")] = static_cast<double>(t);
    o[QStringLiteral("cells")] = static_cast<double>(t * t);
    o[QStringLiteral("vector_pdf")] = t * t <= style.vectorCellLimit;
    o[QStringLiteral("repeats")] = repeats;
    o[QStringLiteral("build_ms_median")] = median(build);
    o[QStringLiteral("pdf_ms_median")] = median(pdf);
    o[QStringLiteral("pdf_ms")] = array(pdf);
    o[QStringLiteral("pdf_total_ms_median")] = median(build) + median(pdf);
    o[QStringLiteral("pdf_bytes")] = static_cast<double>(pdfBytes);
    o[QStringLiteral("svg_ms_median")] = median(svg);
    o[QStringLiteral("svg_bytes")] = static_cast<double>(svgBytes);
    o[QStringLiteral("png300_ms_median")] = median(png);
    o[QStringLiteral("png300_bytes")] = static_cast<double>(pngBytes);
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    return 0;
}
