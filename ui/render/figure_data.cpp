// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_data.h"

#include "core/io/csv_writer.h"
#include "core/io/hdf5_writer.h"
#include "core/io/npy.h"
#include "core/io/run_npz.h"
#include "core/metrics/layer_report.h"
#include "core/session/compare_run.h"
#include "core/session/run_request.h"
#include "ui/render/atomic_file.h"

#include <QFileInfo>

#include <algorithm>

namespace attnscope {

CaptureNeeds figureNeeds(const FigureSpec& spec)
{
    CaptureNeeds needs;
    for (const PanelSpec& p : spec.panels) {
        if (auto kind = panelKind(p.kind))
            kind->addNeeds(p, spec.style, needs);
    }
    return needs;
}

CaptureSpec captureSpecFor(const CaptureNeeds& needs, int heads)
{
    CaptureSpec c;
    c.quantities = needs.quantities;
    c.logits = CaptureSpec::Logits::Last;
    if (needs.allHeads) {
        c.heads = CaptureSpec::Heads::All;
    } else if (!needs.layers.empty() && needs.heads.empty()) {
        c.heads = CaptureSpec::Heads::Layers;
        c.layers = needs.layers;
    } else {
        // Selected heads; whole layers are spelled out head by head when both kinds are needed.
        c.heads = CaptureSpec::Heads::Selected;
        c.selected = needs.heads;
        for (int l : needs.layers)
            for (int h = 0; h < heads; ++h)
                c.selected.insert({l, h});
    }
    return c;
}

std::shared_ptr<const LayerReport> layerReportOf(const LayerCaptures& layer, int heads)
{
    LayerReportBuilder b(heads);   // α per head is kept: the sink view reads any threshold from it
    b.addLayer(layer.layer, layer.stats, layer.maps, layer.series);
    return std::make_shared<const LayerReport>(b.report().layers.front());
}

std::vector<std::shared_ptr<const LayerReport>> layerReportsOf(const CaptureStore& captures, const std::vector<LayerStats>& stats,
                                                               int layers, int heads)
{
    std::vector<LayerCaptures> per(static_cast<size_t>(std::max(layers, 0)));
    for (int l = 0; l < layers; ++l)
        per[static_cast<size_t>(l)].layer = l;
    for (const LayerStats& s : stats)
        if (s.layer >= 0 && s.layer < layers)
            per[static_cast<size_t>(s.layer)].stats = s;
    for (const auto& [key, map] : captures.maps())
        if (key.layer >= 0 && key.layer < layers)
            per[static_cast<size_t>(key.layer)].maps.push_back(map);
    for (const auto& [key, series] : captures.allSeries())
        if (key.layer >= 0 && key.layer < layers)
            per[static_cast<size_t>(key.layer)].series.push_back(series);
    std::vector<std::shared_ptr<const LayerReport>> out;
    for (int l = 0; l < layers; ++l) {
        const bool ran = std::any_of(stats.begin(), stats.end(), [l](const LayerStats& s) { return s.layer == l; });
        out.push_back(ran ? layerReportOf(per[static_cast<size_t>(l)], heads) : nullptr);
    }
    return out;
}

namespace {

std::shared_ptr<FigureSource> sourceOf(const TokenizedText& tokens, const RunShape& shape, const CaptureStore& captures,
                                       const std::vector<LayerStats>& stats, const QString& modelName, bool layerReports)
{
    auto src = std::make_shared<FigureSource>();
    src->modelName = modelName;
    for (const std::string& d : tokens.display)
        src->tokens << QString::fromStdString(d);
    src->tokenIds = tokens.ids;
    src->layers = shape.layers;
    src->heads = shape.heads;
    src->kvHeads = shape.kvHeads;
    src->captures = captures;
    if (layerReports)
        src->layerReports = layerReportsOf(captures, stats, shape.layers, shape.heads);
    return src;
}

} // namespace

std::shared_ptr<FigureSource> figureSourceFromRun(const RunResult& run, const QString& modelName, bool layerReports)
{
    return sourceOf(run.tokens, run.shape, run.captures, run.layerStats, modelName, layerReports);
}

std::shared_ptr<FigureSource> figureSourceFromCompare(std::shared_ptr<const CompareResult> result, const QString& modelName,
                                                      bool layerReports)
{
    auto src = sourceOf(result->tokens, result->shape, result->baselineCaptures, result->baselineStats, modelName, layerReports);
    auto c = std::make_shared<FigureComparison>();
    c->result = std::move(result);
    c->tokens = src->tokens;
    src->comparison = std::move(c);
    return src;
}

RunData figureRunData(const FigureSpec& spec, const FigureSource& source, const RunDataInfo& info)
{
    const CaptureNeeds needs = figureNeeds(spec);
    RunData d;
    d.info = info;
    d.info.layers = source.layers;
    d.info.heads = source.heads;
    d.info.kvHeads = source.kvHeads;
    for (int i = 0; i < source.tokenCount(); ++i) {
        d.tokens.ids.push_back(i < static_cast<int>(source.tokenIds.size()) ? source.tokenIds[static_cast<size_t>(i)] : 0);
        d.tokens.display.push_back(source.tokens[i].toStdString());
    }
    for (const auto& [key, map] : source.captures.maps()) {
        if (!needs.quantities.count(key.quantity))
            continue;
        if (needs.allHeads || needs.heads.count({key.layer, key.head}) || needs.layers.count(key.layer))
            d.captures.add(map);
    }
    // Series the figure reads (a differential head's λ, learned-sink probabilities), by the same selection.
    for (const auto& [key, series] : source.captures.allSeries()) {
        if (!needs.quantities.count(key.quantity))
            continue;
        if (needs.allHeads || needs.heads.count({key.layer, key.head}) || needs.layers.count(key.layer))
            d.captures.add(series);
    }
    if (needs.metrics)
        d.metrics = *source.metrics();
    // A long run keeps no maps: its head panels' maps are streamed, row blocks recomputed (docs/LONG-CONTEXT.md).
    for (const PanelSpec& p : spec.panels) {
        Quantity q = Quantity::AttentionProbs;
        if (p.kind != QLatin1String("head") || !quantityFromKey(p.quantity.toStdString(), q) || q != Quantity::AttentionProbs ||
            source.map(q, p.layer, p.head))
            continue;
        if (auto tiles = source.tiles(p.layer, p.head)) {
            const bool seen = std::any_of(d.streamedMaps.begin(), d.streamedMaps.end(),
                                          [&](const StreamedMap& m) { return m.layer == p.layer && m.head == p.head; });
            if (!seen)
                d.streamedMaps.push_back({q, p.layer, p.head, std::move(tiles)});
        }
    }
    return d;
}

bool isDataExportPath(const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    return ext == QLatin1String("h5") || ext == QLatin1String("hdf5") || ext == QLatin1String("npz") ||
           ext == QLatin1String("npy") || ext == QLatin1String("csv");
}

namespace {

bool finish(AtomicFileSink& sink, bool ok, const std::string& why, QString* error)
{
    if (ok && sink.commit())
        return true;
    if (error)
        *error = ok || why.empty() || why.find("write failed") != std::string::npos ? sink.failureMessage()
                                                                                    : QString::fromStdString(why);
    return false;
}

} // namespace

namespace {

/// Long maps as .npz or CSV: those writers hold every value (CSV as text, ~10 bytes a cell), so only maps of at
/// most kSmallStreamedTokens tokens are recomputed whole into the data; longer ones are refused with the reason.
constexpr int64_t kSmallStreamedTokens = 2048;

bool materialiseSmallStreamed(RunData& run, const QString& path, const QString& ext, QString* error)
{
    for (const StreamedMap& m : run.streamedMaps) {
        const int64_t t = m.source->tokens();
        if (t > kSmallStreamedTokens) {
            if (error)
                *error = QStringLiteral("%1: a %2-token map has %3 cells (%4 MB as float32, several times that as %5); "
                                        "save .h5 (chunked and compressed) or .npy instead, which stream it row by row")
                             .arg(path).arg(t).arg(t * t).arg(t * t * 4 / (1 << 20)).arg(ext.toUpper());
            return false;
        }
        std::shared_ptr<AttentionMap> map = m.source->materialise(m.layer);
        map->quantity = m.quantity;
        run.captures.add(std::move(map));
    }
    run.streamedMaps.clear();
    return true;
}

} // namespace

bool exportRunData(const RunData& runIn, const QString& path, QString* error)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    std::string why;
    RunData materialised;
    bool useMaterialised = false;
    if (!runIn.streamedMaps.empty() && (ext == QLatin1String("npz") || ext == QLatin1String("csv") ||
                                        (ext == QLatin1String("npy") && !runIn.captures.maps().empty()))) {
        materialised = runIn;
        if (!materialiseSmallStreamed(materialised, path, ext, error))
            return false;
        useMaterialised = true;
    }
    const RunData& run = useMaterialised ? materialised : runIn;
    if (ext == QLatin1String("h5") || ext == QLatin1String("hdf5")) {
        AtomicFileSink sink(path);
        return finish(sink, writeRunHdf5(sink, run, why), why, error);
    }
    if (ext == QLatin1String("npz")) {
        AtomicFileSink sink(path);
        return finish(sink, writeRunNpz(sink, run, why), why, error);
    }
    if (ext == QLatin1String("npy")) {
        if (run.captures.maps().empty() && run.streamedMaps.size() == 1) {
            AtomicFileSink sink(path);
            return finish(sink, writeStreamedMapNpy(sink, *run.streamedMaps.front().source, why), why, error);
        }
        if (run.captures.maps().size() != 1) {
            if (error)
                *error = QStringLiteral("%1: a .npy file holds one map and this data has %2; save .npz or .h5 instead")
                             .arg(path).arg(run.captures.maps().size());
            return false;
        }
        const AttentionMapPtr m = run.captures.maps().begin()->second;
        AtomicFileSink sink(path);
        return finish(sink, writeNpyFloat32(sink, m->probs.data(), {m->tokens, m->tokens}), {}, error);
    }
    if (ext == QLatin1String("csv")) {
        AtomicFileSink sink(path);
        if (run.captures.maps().empty() && run.metrics)
            return finish(sink, writeMetricsCsv(sink, *run.metrics, why), why, error);
        std::vector<AttentionMapPtr> maps;
        for (const auto& [k, m] : run.captures.maps())
            maps.push_back(m);
        return finish(sink, writeMapsCsv(sink, maps, run.tokens.display, why), why, error);
    }
    if (error)
        *error = QStringLiteral("%1: data files are .h5, .npz, .npy or .csv").arg(path);
    return false;
}

bool exportFigureData(const FigureSpec& spec, const FigureSource& source, const RunDataInfo& info, const QString& path,
                      QString* error)
{
    RunData d = figureRunData(spec, source, info);
    const QString ext = QFileInfo(path).suffix().toLower();
    bool onlyScores = !spec.panels.isEmpty();
    for (const PanelSpec& p : spec.panels)
        onlyScores &= p.kind == QLatin1String("scores") || p.kind == QLatin1String("ranking");
    if (ext == QLatin1String("csv") && onlyScores)
        d.captures.clear();   // a score table as CSV, not every map behind it
    if (ext == QLatin1String("npy")) {
        // The first head panel's map.
        for (const PanelSpec& p : spec.panels) {
            Quantity q = Quantity::AttentionProbs;
            if (p.kind != QLatin1String("head") || !quantityFromKey(p.quantity.toStdString(), q))
                continue;
            if (AttentionMapPtr m = source.map(q, p.layer, p.head)) {
                d.captures.clear();
                d.captures.add(m);
                d.streamedMaps.clear();
                break;
            }
            if (!d.streamedMaps.empty()) {
                // A long run's head: its map streamed alone.
                d.captures.clear();
                d.streamedMaps.resize(1);
                break;
            }
        }
    }
    return exportRunData(d, path, error);
}

} // namespace attnscope
