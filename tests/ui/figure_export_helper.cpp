// A child process for the export-safety tests: renders or writes through the real export paths so the parent
// can kill it mid-write, or run it on a tiny full file system.
//   figure_export_helper figure PATH TOKENS     export a synthetic head figure (format from PATH's extension)
//   figure_export_helper data PATH MB           write a ~MB-megabyte .npz of synthetic maps (stored, not
//                                               compressed, so the write itself takes time); prints "writing"
// Exit 0 on success; 1 with the error on stderr.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/run_npz.h"
#include "figure_test_data.h"
#include "ui/render/atomic_file.h"
#include "ui/render/figure_export.h"

#include <QGuiApplication>

#include <cstdio>
#include <cstring>

using namespace attnscope;

int main(int argc, char** argv)
{
    if (argc < 4)
        return 2;
    const QString path = QString::fromLocal8Bit(argv[2]);
    if (!std::strcmp(argv[1], "figure")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        QGuiApplication app(argc, argv);
        const int tokens = std::atoi(argv[3]);
        auto src = test::syntheticSource(1, 1, 1, tokens);
        PanelSpec p;
        FigureRenderer r(FigureSpec::single(p, {}), src);
        QString error;
        if (!exportFigure(r, path, 150, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        return 0;
    }
    if (!std::strcmp(argv[1], "data")) {
        const int mb = std::atoi(argv[3]);
        RunData run;
        const int t = 1024;
        const int maps = std::max(1, mb / 4);
        run.info.layers = maps;
        run.info.heads = 1;
        run.tokens.ids.assign(t, 1);
        run.tokens.display.assign(t, "x");
        for (int l = 0; l < maps; ++l) {
            auto m = std::make_shared<AttentionMap>();
            m->layer = l;
            m->tokens = t;
            m->probs.assign(static_cast<size_t>(t) * t, static_cast<float>(l));
            run.captures.add(m);
        }
        AtomicFileSink sink(path);
        std::puts("writing");
        std::fflush(stdout);
        std::string error;
        if (!writeRunNpz(sink, run, error, false) || !sink.commit()) {
            std::fprintf(stderr, "%s\n", qPrintable(sink.failureMessage()));
            return 1;
        }
        return 0;
    }
    return 2;
}
