// Command-line parsing for the GUI executable (QCommandLineParser; strict about numbers and choices).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/gui_options.h"

#include "core/attention/attention_spec.h"
#include "core/util/error.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

namespace attnscope::gui {

namespace {

bool parseInt(const QString& s, int lo, int hi, int& out)
{
    bool ok = false;
    const int v = s.toInt(&ok);
    if (!ok || v < lo || v > hi)
        return false;
    out = v;
    return true;
}

} // namespace

std::optional<GuiOptions> parseGuiOptions(const QStringList& arguments, QString* error)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("attnscope: open a transformer checkpoint, type text, see every head's attention."));
    p.addHelpOption();
    p.addVersionOption();
    p.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("A .gguf or .safetensors file, a model folder, or a .attnscope session"), QStringLiteral("[MODEL]"));
    const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("Prompt text to run"), QStringLiteral("T"));
    const QCommandLineOption textFile(QStringLiteral("text-file"), QStringLiteral("Read the prompt from a UTF-8 file"), QStringLiteral("FILE"));
    const QCommandLineOption layer(QStringLiteral("layer"), QStringLiteral("Selected layer"), QStringLiteral("L"));
    const QCommandLineOption head(QStringLiteral("head"), QStringLiteral("Selected head"), QStringLiteral("H"));
    const QCommandLineOption view(QStringLiteral("view"), QStringLiteral("overview, head, token, key, finder, differential, sink, gates or compare"), QStringLiteral("VIEW"));
    const QCommandLineOption span(QStringLiteral("signal-span"), QStringLiteral("Differential view: mark keys B..E (inclusive) as the signal span"), QStringLiteral("B-E"));
    const QCommandLineOption sinkThreshold(QStringLiteral("sink-threshold"), QStringLiteral("Sink view: the sink-rate threshold ε (default 0.3)"), QStringLiteral("E"));
    const QCommandLineOption pin(QStringLiteral("pin"), QStringLiteral("Sink view: run MODEL (optionally under a variant: MODEL|SPEC) on the same text first and pin its curve; repeatable"), QStringLiteral("MODEL[|SPEC]"));
    const QCommandLineOption benchDiff(QStringLiteral("differential"), QStringLiteral("--benchmark-ui: time the differential view's head switches"));
    const QCommandLineOption query(QStringLiteral("query"), QStringLiteral("Selected query token"), QStringLiteral("Q"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("Selected key token (key view)"), QStringLiteral("K"));
    const QCommandLineOption score(QStringLiteral("score"), QStringLiteral("Score of the summary heatmap and the head finder (docs/METRICS.md)"), QStringLiteral("NAME"));
    const QCommandLineOption probe(QStringLiteral("induction-probe"), QStringLiteral("Run the repeated-random-tokens induction probe instead of a text"));
    const QCommandLineOption variant(QStringLiteral("variant"), QStringLiteral("A what-if attention variant, e.g. sliding:window=64,sinks=4 (docs/VARIANTS.md): with --compare one of up to 3 compared in the Compare tab, else the main run's attention"), QStringLiteral("SPEC"));
    const QCommandLineOption compare(QStringLiteral("compare"), QStringLiteral("Compare the baseline with the --variant specs on the text (Compare tab) instead of the plain run"));
    const QCommandLineOption shot(QStringLiteral("screenshot"), QStringLiteral("Run, render, save a PNG of the main window and exit"), QStringLiteral("OUT.png"));
    const QCommandLineOption zoom(QStringLiteral("zoom"), QStringLiteral("--screenshot: show keys K0..K1 and queries Q0..Q1 (cells, inclusive) in the head view or the Compare panes"), QStringLiteral("K0:K1,Q0:Q1"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size for --screenshot (default 1400x900)"), QStringLiteral("WxH"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Compute threads (default: all cores)"), QStringLiteral("N"));
    const QCommandLineOption backend(QStringLiteral("backend"), QStringLiteral("auto, cpu or cuda"), QStringLiteral("B"));
    const QCommandLineOption bench(QStringLiteral("benchmark-ui"), QStringLiteral("Measure Run→first maps on screen and head switching (with --run-mode long or --tokens over 4096: the long-prompt figures); print JSON"));
    const QCommandLineOption tokens(QStringLiteral("tokens"), QStringLiteral("Prompt length for --benchmark-ui (default 1024)"), QStringLiteral("N"));
    const QCommandLineOption repeats(QStringLiteral("repeat"), QStringLiteral("Runs for --benchmark-ui (default 5)"), QStringLiteral("N"));
    const QCommandLineOption captureLayers(QStringLiteral("capture-layers"), QStringLiteral("--benchmark-ui: capture only these layers, e.g. 0-3 (long prompts whose maps of every head would not fit)"), QStringLiteral("RANGE"));
    const QCommandLineOption timeout(QStringLiteral("timeout"), QStringLiteral("Seconds before --screenshot gives up (default 300)"), QStringLiteral("S"));
    const QCommandLineOption runMode(QStringLiteral("run-mode"), QStringLiteral("auto (default), maps (store every head's map) or long (keep queries and keys, recompute what is drawn)"), QStringLiteral("MODE"));
    const QCommandLineOption beyond(QStringLiteral("beyond-context"), QStringLiteral("Allow more tokens than the model's context (extrapolation)"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Head view: weights (default) or delta (Δ vs. the layer mean)"), QStringLiteral("D"));
    p.addOptions({text, textFile, layer, head, view, query, key, score, probe, variant, compare, shot, zoom, size, threads, backend, bench, tokens, repeats, captureLayers, timeout,
                  span, sinkThreshold, pin, benchDiff, runMode, beyond, data});
    if (!p.parse(arguments)) {
        *error = p.errorText();
        return std::nullopt;
    }
    if (p.isSet(QStringLiteral("help")))
        p.showHelp(0);
    if (p.isSet(QStringLiteral("version")))
        p.showVersion();

    GuiOptions o;
    auto fail = [&](const QString& why) -> std::optional<GuiOptions> {
        *error = why;
        return std::nullopt;
    };
    const QStringList pos = p.positionalArguments();
    if (pos.size() > 1)
        return fail(QStringLiteral("expected at most one MODEL, got %1").arg(pos.size()));
    if (!pos.isEmpty())
        o.path = pos.first();
    if (p.isSet(text) && p.isSet(textFile))
        return fail(QStringLiteral("--text and --text-file exclude each other"));
    if (p.isSet(text))
        o.text = p.value(text);
    if (p.isSet(textFile)) {
        QFile f(p.value(textFile));
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read --text-file %1: %2").arg(p.value(textFile), f.errorString()));
        o.text = QString::fromUtf8(f.read(8 << 20));
    }
    int v = 0;
    if (p.isSet(layer)) {
        if (!parseInt(p.value(layer), 0, 1 << 16, v))
            return fail(QStringLiteral("--layer must be a non-negative integer"));
        o.layer = v;
    }
    if (p.isSet(head)) {
        if (!parseInt(p.value(head), 0, 1 << 16, v))
            return fail(QStringLiteral("--head must be a non-negative integer"));
        o.head = v;
    }
    if (p.isSet(view)) {
        ViewKind k;
        if (!viewKindFromId(p.value(view), k))
            return fail(QStringLiteral("--view must be overview, head, token, key, finder, differential, sink, gates or compare"));
        o.view = k;
    }
    if (p.isSet(query)) {
        if (!parseInt(p.value(query), 0, 1 << 24, v))
            return fail(QStringLiteral("--query must be a non-negative integer"));
        o.query = v;
    }
    if (p.isSet(key)) {
        if (!parseInt(p.value(key), 0, 1 << 24, v))
            return fail(QStringLiteral("--key must be a non-negative integer"));
        o.key = v;
    }
    if (p.isSet(score)) {
        HeadMetric m;
        if (!headMetricFromId(p.value(score).toStdString(), m))
            return fail(QStringLiteral("--score must be one of sink, entropy, distance, topk, prev_token, duplicate, "
                                       "induction, self, distance_nosink, entropy_nosink"));
        o.score = m;
    }
    o.inductionProbe = p.isSet(probe);
    if (o.inductionProbe && o.text)
        return fail(QStringLiteral("--induction-probe replaces --text/--text-file: give one of them"));
    o.variants = p.values(variant);
    if (o.variants.size() > 3)
        return fail(QStringLiteral("--variant: at most 3 variants (the Compare tab shows the baseline and three)"));
    for (const QString& v : o.variants) {
        try {
            AttentionSpec::parse(v.toStdString());
        } catch (const Error& e) {
            return fail(QStringLiteral("--variant %1: %2").arg(v.left(80), QString::fromStdString(e.reason())));
        }
    }
    o.compare = p.isSet(compare);
    if (o.compare && o.variants.isEmpty())
        return fail(QStringLiteral("--compare needs at least one --variant SPEC"));
    if (o.compare && o.inductionProbe)
        return fail(QStringLiteral("--compare runs on --text/--text-file, not on the induction probe"));
    o.screenshot = p.value(shot);
    if (p.isSet(zoom)) {
        const QStringList parts = p.value(zoom).split(QLatin1Char(','));
        int r[4] = {0, 0, 0, 0};
        bool ok = parts.size() == 2;
        for (int a = 0; ok && a < 2; ++a) {
            const QStringList ends = parts[a].split(QLatin1Char(':'));
            ok = ends.size() == 2 && parseInt(ends[0], 0, 1 << 24, r[2 * a]) && parseInt(ends[1], 0, 1 << 24, r[2 * a + 1]) &&
                 r[2 * a + 1] > r[2 * a];
        }
        if (!ok)
            return fail(QStringLiteral("--zoom must be K0:K1,Q0:Q1 with K0 < K1 and Q0 < Q1, e.g. 0:255,1700:1942"));
        o.zoom = std::pair{QPointF(r[0], r[1]), QPointF(r[2], r[3])};
    }
    if (p.isSet(size)) {
        const QStringList wh = p.value(size).split(QLatin1Char('x'));
        int w = 0, h = 0;
        if (wh.size() != 2 || !parseInt(wh[0], 320, 8192, w) || !parseInt(wh[1], 240, 8192, h))
            return fail(QStringLiteral("--size must be WxH, e.g. 1400x900"));
        o.size = QSize(w, h);
    }
    if (p.isSet(threads) && !parseInt(p.value(threads), 1, 1024, o.threads))
        return fail(QStringLiteral("--threads must be between 1 and 1024"));
    if (p.isSet(backend))
        o.backend = p.value(backend);
    o.benchmark = p.isSet(bench);
    o.benchmarkLayers = p.value(captureLayers);
    if (p.isSet(tokens) && !parseInt(p.value(tokens), 2, 1 << 17, o.benchmarkTokens))
        return fail(QStringLiteral("--tokens must be between 2 and 131072"));
    if (p.isSet(repeats) && !parseInt(p.value(repeats), 1, 1000, o.benchmarkRepeats))
        return fail(QStringLiteral("--repeat must be between 1 and 1000"));
    if (p.isSet(timeout) && !parseInt(p.value(timeout), 1, 86400, o.timeoutSeconds))
        return fail(QStringLiteral("--timeout must be between 1 and 86400 seconds"));
    if (p.isSet(runMode)) {
        const QString m = p.value(runMode);
        if (m == QStringLiteral("auto"))
            o.runMode = RunMode::Auto;
        else if (m == QStringLiteral("maps"))
            o.runMode = RunMode::Maps;
        else if (m == QStringLiteral("long"))
            o.runMode = RunMode::Long;
        else
            return fail(QStringLiteral("--run-mode must be auto, maps or long"));
    }
    o.beyondContext = p.isSet(beyond);
    if (p.isSet(span)) {
        const QStringList be = p.value(span).split(QLatin1Char('-'));
        int b = 0, e = 0;
        if (be.size() != 2 || !parseInt(be[0], 0, 1 << 24, b) || !parseInt(be[1], 0, 1 << 24, e) || e < b)
            return fail(QStringLiteral("--signal-span must be B-E with B ≤ E, e.g. 12-15"));
        o.signalSpan = std::make_pair(b, e);
    }
    if (p.isSet(sinkThreshold)) {
        bool ok = false;
        const double eps = p.value(sinkThreshold).toDouble(&ok);
        if (!ok || !(eps >= 0.0 && eps <= 1.0))
            return fail(QStringLiteral("--sink-threshold must be between 0 and 1"));
        o.sinkThreshold = eps;
    }
    if (p.isSet(data)) {
        const QString d = p.value(data);
        if (d != QLatin1String("weights") && d != QLatin1String("delta"))
            return fail(QStringLiteral("--data must be weights or delta"));
        o.deltaView = d == QLatin1String("delta");
    }
    o.pinRuns = p.values(pin);
    if (o.pinRuns.size() > 3)
        return fail(QStringLiteral("--pin at most 3 times (the sink view overlays 4 runs)"));
    if (!o.compare && o.variants.size() > 1)
        return fail(QStringLiteral("--variant: several variants are compared with --compare; a plain run takes one"));
    if (!o.compare && !o.variants.isEmpty())
        o.variant = o.variants.first();   // the main run (and the sink view) under this variant
    o.benchmarkDifferential = p.isSet(benchDiff);
    if ((!o.screenshot.isEmpty() || o.benchmark) && o.path.isEmpty())
        return fail(QStringLiteral("--screenshot and --benchmark-ui need a MODEL"));
    return o;
}

} // namespace attnscope::gui
