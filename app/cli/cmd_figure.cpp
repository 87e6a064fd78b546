// `attnscope-cli figure SESSION.attnscope --out FILE.(pdf|svg|png)` and
// `attnscope-cli export MODEL --text T --layer L --head H --out FILE [--data-out FILE.h5|.npz|.npy|.csv]`:
// headless figures (docs/FIGURES.md). Both build their run through core's RunRequest, capturing only what the
// figure reads (a figure with compare panes runs core's comparison with the session's variants instead; sink
// panels get the layer reports computed as the GUI computes them), and draw it with the same figure library as the GUI, on Qt's offscreen platform (a
// QGuiApplication exists only for these two subcommands). The bundled font makes the output match the GUI's.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "attnscope_config.h"
#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "core/session/model_info.h"
#include "core/session/compare_run.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"
#include "ui/render/figure_data.h"
#include "ui/render/figure_export.h"
#include "ui/render/figure_fonts.h"
#include "ui/session_file.h"
#include "ui/view_figure.h"

#include <QFileInfo>
#include <QGuiApplication>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace attnscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const std::string& m)
{
    throw Error(ErrorKind::Usage, "", "", -1, m);
}

/// Qt's warnings that say nothing to a command-line user (no XDG runtime folder on a headless machine) are
/// dropped; the rest go to stderr.
void cliMessages(QtMsgType type, const QMessageLogContext&, const QString& msg)
{
    if (type == QtDebugMsg || type == QtInfoMsg || msg.startsWith(QLatin1String("QStandardPaths:")))
        return;
    std::fprintf(stderr, "attnscope-cli: qt: %s\n", qPrintable(msg));
}

/// The GUI library's font database and painters need a QGuiApplication; the offscreen platform needs no display.
std::unique_ptr<QGuiApplication> offscreenApplication()
{
    qInstallMessageHandler(cliMessages);
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QT_QPA_OFFSCREEN_NO_GLX", "1");
    static int argc = 1;
    static char name[] = "attnscope-cli";
    static char* argv[] = {name, nullptr};
    auto app = std::make_unique<QGuiApplication>(argc, argv);
    figureFontFamily();   // the bundled font, registered before anything is measured
    return app;
}

QString checkedOut(const Args& a, const char* option, bool figure)
{
    const auto out = a.get(option);
    if (!out)
        usage(std::string("--") + option + " FILE is required");
    const QString path = QString::fromStdString(*out);
    if (figure && !figureFormatForPath(path))
        usage(std::string("--") + option + " must end in .pdf, .svg or .png, got '" + *out + "'");
    if (!figure && !isDataExportPath(path))
        usage(std::string("--") + option + " must end in .h5, .npz, .npy or .csv, got '" + *out + "'");
    return path;
}

/// Width, dpi and look from the command line on top of a spec's style.
void applyStyleOptions(const Args& a, FigureStyle& st)
{
    if (a.get("width-in"))
        st.widthPt = a.getDouble("width-in", 3.25, kMinWidthPt / 72.0, kMaxWidthPt / 72.0) * 72.0;
    if (a.get("dpi"))
        st.dpi = static_cast<int>(a.getInt("dpi", 300, kMinDpi, kMaxDpi));
    if (auto c = a.get("colormap")) {
        Colormap cm;
        if (!colormapFromId(QString::fromStdString(*c), cm))
            usage("--colormap must be viridis, magma, cividis, grey or diverging, got '" + *c + "'");
        st.settings.colormap = cm;
    }
    if (auto s = a.get("scale")) {
        bool found = false;
        for (ScaleKind k : {ScaleKind::Linear, ScaleKind::Log, ScaleKind::Power})
            if (scaleId(k).toStdString() == *s) {
                st.settings.scale = k;
                found = true;
            }
        if (!found)
            usage("--scale must be linear, log or power, got '" + *s + "'");
    }
    if (auto t = a.get("title"))
        st.title = QString::fromStdString(*t);
}

struct FigureRun {
    std::shared_ptr<FigureSource> source;
    RunDataInfo info;
    size_t tokens = 0;
    double forwardMs = 0;
};

/// The variants a figure's comparison runs: the session's (as the compare workspace ran them, in its order, at
/// most three like its panes), then any other variant a panel names.
std::vector<AttentionSpec> comparisonVariants(const QStringList& sessionVariants, const QStringList& named)
{
    QStringList all = canonicalVariants(sessionVariants).mid(0, 3);
    for (const QString& v : named)
        if (!all.contains(v))
            all << v;
    std::vector<AttentionSpec> out;
    for (const QString& v : all)
        out.push_back(AttentionSpec::parse(v.toStdString()));   // a panel's bad spec: Error(Usage) says which
    return out;
}

FigureRun runForFigure(const Args& a, const std::string& modelPath, const std::string& text, const FigureSpec& spec,
                       const QString& modelHash, const QStringList& sessionVariants = {})
{
    auto model = LoadedModel::open(modelPath);
    const ModelConfig& cfg = model->config();
    const CaptureNeeds needs = figureNeeds(spec);
    RunRequest req;
    req.text = text;
    req.addSpecial = !a.has("no-special");
    req.beyondContext = a.has("beyond-context");
    req.capture = captureSpecFor(needs, cfg.nHeads);
    req.topK = 5;
    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"),
                                         static_cast<int>(a.getInt("threads", 0, 0, 256)));
    // Past 4,096 tokens (or when the maps do not fit) the run keeps what recomputes them, as the app decides
    // (docs/LONG-CONTEXT.md); head panels are then pooled from recomputed tiles. Compare panes run with maps.
    const std::string mode = a.get("run-mode").value_or("auto");
    if (mode != "auto" && mode != "maps" && mode != "long")
        usage("--run-mode must be auto, maps or long, got '" + mode + "'");
    if (!needs.comparison && mode != "maps") {
        if (mode == "long")
            req.capture = longRunCapture(req.capture);
        else
            chooseLongRun(*model, req, backends.primary->threads());
    }
    FigureRun fr;
    std::string backend;
    if (needs.comparison) {
        // Compare panes: the baseline and the variants on the same text, as the compare workspace runs them;
        // the baseline is the figure's run for every other panel.
        CompareRequest creq;
        creq.base = req;
        creq.base.capture.logits = CaptureSpec::Logits::None;
        creq.variants = comparisonVariants(sessionVariants, needs.variants);
        auto result = std::make_shared<const CompareResult>(executeCompare(model, backends, creq));
        fr.forwardMs = result->totalMs;
        fr.tokens = result->tokens.size();
        backend = backends.primary->description();
        fr.source = figureSourceFromCompare(result, QString::fromStdString(cfg.name), needs.layerReports);
    } else {
        const RunResult run = executeRun(model, backends, req);
        fr.forwardMs = run.timings.totalMs;
        fr.tokens = run.tokens.size();
        backend = run.backend;
        fr.source = figureSourceFromRun(run, QString::fromStdString(cfg.name), needs.layerReports);
    }
    fr.source->headDim = cfg.headDim;
    fr.source->attnScale = cfg.attnScale;
    const ModelInfo mi = describeModel(*model);
    fr.info.modelName = cfg.name;
    fr.info.modelPath = modelPath;
    fr.info.modelHash = modelHash.toStdString();
    fr.info.architecture = cfg.architecture;
    fr.info.fileFormat = mi.format;
    fr.info.prompt = text;
    fr.info.appVersion = ATTNSCOPE_VERSION;
    fr.info.backend = backend;
    fr.info.headDim = cfg.headDim;
    return fr;
}

int writeOutputs(const Args& a, const FigureSpec& spec, const FigureRun& fr, const QString& out, const std::string& what)
{
    const auto t0 = Clock::now();
    const FigureRenderer figure(spec, fr.source);
    QString error;
    if (!exportFigure(figure, out, spec.style.dpi, &error))
        throw Error(ErrorKind::Io, "", "", -1, error.toStdString());
    const double renderMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    QString dataOut;
    double dataMs = 0;
    if (a.get("data-out")) {
        dataOut = checkedOut(a, "data-out", false);
        const auto d0 = Clock::now();
        if (!exportFigureData(spec, *fr.source, fr.info, dataOut, &error))
            throw Error(ErrorKind::Io, "", "", -1, error.toStdString());
        dataMs = std::chrono::duration<double, std::milli>(Clock::now() - d0).count();
    }
    const QStringList problems = figure.problems();
    for (const QString& p : problems)
        std::fprintf(stderr, "attnscope-cli: warning: %s\n", qPrintable(p));
    if (a.has("json")) {
        nlohmann::json j;
        j["out"] = out.toStdString();
        j["format"] = figureFormatId(*figureFormatForPath(out)).toStdString();
        j["figure"] = what;
        j["width_pt"] = figure.pageSize().width();
        j["height_pt"] = figure.pageSize().height();
        j["dpi"] = spec.style.dpi;
        j["rows"] = spec.rows;
        j["cols"] = spec.cols;
        j["panels"] = spec.panels.size();
        j["cells"] = figure.cells();
        j["tokens"] = fr.tokens;
        j["bytes"] = QFileInfo(out).size();
        j["forward_ms"] = fr.forwardMs;
        j["render_ms"] = renderMs;
        j["problems"] = nlohmann::json::array();
        for (const QString& p : problems)
            j["problems"].push_back(p.toStdString());
        if (!dataOut.isEmpty()) {
            j["data_out"] = dataOut.toStdString();
            j["data_ms"] = dataMs;
            j["data_bytes"] = QFileInfo(dataOut).size();
        }
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::printf("%s: %s, %.0f × %.0f pt (%.2f × %.2f in), %lld panel(s), %zu tokens; forward %.0f ms, render %.0f ms\n",
                qPrintable(out), what.c_str(), figure.pageSize().width(), figure.pageSize().height(),
                figure.pageSize().width() / 72.0, figure.pageSize().height() / 72.0, static_cast<long long>(spec.panels.size()),
                fr.tokens, fr.forwardMs, renderMs);
    if (!dataOut.isEmpty())
        std::printf("data: %s\n", qPrintable(dataOut));
    return 0;
}

} // namespace

int cmdFigure(const Args& a)
{
    const QString sessionPath = QString::fromStdString(a.model());
    const QString out = checkedOut(a, "out", true);
    if (a.has("composer") && a.has("view"))
        usage("--composer and --view exclude each other");
    auto app = offscreenApplication();
    QString error;
    const auto session = readSessionFile(sessionPath, &error);
    if (!session)
        throw Error(ErrorKind::Format, "", "", -1, error.toStdString());
    std::optional<FigureSpec> spec;
    std::string what;
    // A view figure made here is laid out for the width asked for (views of several panels use fewer columns
    // when narrow).
    FigureStyle viewStyle;
    applyStyleOptions(a, viewStyle);
    if (a.has("composer")) {
        if (!session->composer || session->composer->panels.isEmpty())
            usage(sessionPath.toStdString() + " has no composer layout");
        spec = session->composer;
        what = "composer layout";
    } else if (a.has("view")) {
        spec = session->viewFigure ? session->viewFigure : viewFigureSpec(*session, viewStyle);
        what = "view figure";
    } else {
        spec = session->figure();
        what = session->figureFromComposer && spec == session->composer ? "composer layout" : "view figure";
        if (!spec)
            spec = viewFigureSpec(*session, viewStyle);
    }
    applyStyleOptions(a, spec->style);
    const std::string modelPath = a.get("model").value_or(session->modelPath.toStdString());
    if (!QFileInfo::exists(QString::fromStdString(modelPath)))
        throw Error(ErrorKind::Io, modelPath, "", -1, "the session's model does not exist (give --model PATH)");
    if (!session->modelHash.isEmpty() && !a.has("no-hash-check")) {
        const QString actual = hashModelPath(QString::fromStdString(modelPath));
        if (actual != session->modelHash)
            std::fprintf(stderr, "attnscope-cli: warning: %s has changed since the session was saved (hash %s, the session "
                                 "recorded %s): the figure is drawn from the current file\n",
                         modelPath.c_str(), qPrintable(actual.left(19)), qPrintable(session->modelHash.left(19)));
    }
    const FigureRun fr = runForFigure(a, modelPath, session->prompt.toStdString(), *spec, session->modelHash, session->variants);
    return writeOutputs(a, *spec, fr, out, what);
}

int cmdExport(const Args& a)
{
    const QString out = checkedOut(a, "out", true);
    if (!a.get("layer") || !a.get("head"))
        usage("export needs --layer L and --head H");
    auto app = offscreenApplication();
    PanelSpec p;
    p.kind = QStringLiteral("head");
    p.layer = static_cast<int>(a.getInt("layer", 0, 0, 1 << 16));
    p.head = static_cast<int>(a.getInt("head", 0, 0, 1 << 16));
    if (auto q = a.get("quantity")) {
        Quantity qq;
        if (!quantityFromKey(*q, qq) || quantityInfo(qq).shape != QuantityShape::HeadMap)
            usage("--quantity must name a map quantity (attention.probs, …), got '" + *q + "'");
        p.quantity = QString::fromStdString(*q);
    }
    FigureStyle st;
    st.settings.scale = ScaleKind::Power;
    applyStyleOptions(a, st);
    FigureSpec spec = FigureSpec::single(p, st);
    const std::string text = inputText(a);
    {
        // Check the head against the model before running it.
        auto model = LoadedModel::open(a.model());
        const ModelConfig& cfg = model->config();
        if (p.layer >= cfg.nLayers || p.head >= cfg.nHeads)
            usage("--layer/--head: the model has " + std::to_string(cfg.nLayers) + " layers × " + std::to_string(cfg.nHeads) + " heads");
    }
    const QString hash = a.has("hash") ? hashModelPath(QString::fromStdString(a.model())) : QString();
    const FigureRun fr = runForFigure(a, a.model(), text, spec, hash);
    return writeOutputs(a, spec, fr, out, "head figure");
}

} // namespace attnscope::cli
