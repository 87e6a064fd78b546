// attnscope: the Qt desktop inspector. Builds the backends (only app/ links the kernels), the main window,
// and drives scripted screenshots and the UI benchmark from the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/util/error.h"
#include "gui/benchmark_long.h"
#include "gui/benchmark_ui.h"
#include "gui/gui_options.h"
#include "gui/pin_runs.h"
#include "gui/screenshot_driver.h"
#include "kernels/backends/register_backends.h"
#include "ui/compare/compare_workspace.h"
#include "ui/compare/variant_editor.h"
#include "ui/main_window.h"
#include "ui/panels/differential_panel.h"
#include "ui/panels/head_finder_panel.h"
#include "ui/panels/sink_panel.h"
#include "ui/session_bridge.h"

#include <QApplication>
#include <QTimer>

#include <cstdio>
#include <memory>
#include <optional>

using namespace attnscope;

namespace {

void setApplicationNames()
{
    QCoreApplication::setOrganizationName(QStringLiteral("attnscope"));
    QCoreApplication::setApplicationName(QStringLiteral("attnscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
}

} // namespace

int main(int argc, char** argv)
{
    // The command line is parsed before any window system is touched: --help, --version and usage errors work
    // without a display (QApplication would abort on a machine with no X server or Wayland socket).
    std::optional<gui::GuiOptions> opts;
    {
        QCoreApplication pre(argc, argv);
        setApplicationNames();
        QString error;
        opts = gui::parseGuiOptions(QCoreApplication::arguments(), &error);   // exits for --help / --version
        if (!opts) {
            std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
            return 2;
        }
    }

    QApplication app(argc, argv);
    setApplicationNames();
    QApplication::setDesktopFileName(QStringLiteral("io.github.attnscope.attnscope"));

    std::unique_ptr<BackendSet> backends;
    try {
        backends = std::make_unique<BackendSet>(selectBackends(builtinBackends(), opts->backend.toStdString(), opts->threads));
    } catch (const Error& e) {
        std::fprintf(stderr, "attnscope: %s\n", e.what());
        return 1;
    }

    const bool batch = !opts->screenshot.isEmpty() || opts->benchmark;
    MainWindow window(std::move(backends), /*persistent=*/!batch);
    window.setRunMode(opts->runMode);
    window.setBeyondContext(opts->beyondContext);
    if (batch)
        window.setLongRunConfirmation(false);   // scripted: the estimate is printed in the status line instead
    if (opts->layer || opts->head)
        window.context()->select(opts->layer.value_or(0), opts->head.value_or(0));
    if (opts->text)
        window.setPromptText(*opts->text);
    if (!opts->variants.isEmpty())
        window.compareWorkspace()->editor()->setVariantTexts(opts->variants);
    if (batch)
        window.resize(opts->size);
    window.show();

    if (opts->benchmark && opts->benchmarkDifferential)
        return gui::runDifferentialBenchmark(window, opts->path, opts->benchmarkTokens, opts->benchmarkRepeats);
    if (opts->benchmark && (opts->runMode == RunMode::Long || opts->benchmarkTokens > kLongPromptTokens))
        return gui::runLongUiBenchmark(window, opts->path, opts->benchmarkTokens, opts->benchmarkRepeats);
    if (opts->benchmark)
        return gui::runUiBenchmark(window, opts->path, opts->benchmarkTokens, opts->benchmarkRepeats,
                                   opts->benchmarkLayers);

    std::optional<AttentionSpec> variant;
    if (!opts->variant.isEmpty()) {
        try {
            variant = AttentionSpec::parse(opts->variant.toStdString());
        } catch (const Error& e) {
            std::fprintf(stderr, "attnscope: --variant: %s\n", e.what());
            return 2;
        }
    }
    std::unique_ptr<gui::ScreenshotDriver> driver;
    if (!opts->screenshot.isEmpty()) {
        driver = std::make_unique<gui::ScreenshotDriver>(&window, opts->screenshot, opts->timeoutSeconds, opts->compare);
        driver->setRunsToWait(1 + static_cast<int>(opts->pinRuns.size()));
    }
    if (driver && opts->zoom)
        driver->setZoom(opts->zoom->first, opts->zoom->second);
    if (opts->sinkThreshold)
        window.sinkPanel()->setThreshold(*opts->sinkThreshold);
    if (opts->deltaView) {
        ViewSettings s = window.context()->viewSettings();
        s.data = DisplayData::DiffFromLayerMean;
        window.context()->setViewSettings(s);
    }
    if (opts->view)
        window.setView(*opts->view);
    if (opts->score) {
        window.context()->setMetric(*opts->score);
        window.headFinderPanel()->rankBy(*opts->score);
    }
    // Selections that need the run's tokens (and a view/score the probe would otherwise replace) are applied when
    // the run starts.
    QObject::connect(window.context(), &SessionContext::runStarted, &window, [&window, &opts] {
        if (opts->query)
            window.context()->setQuery(*opts->query);
        if (opts->key)
            window.context()->setKey(*opts->key);
        if (opts->view)
            window.setView(*opts->view);
        if (opts->score) {
            window.context()->setMetric(*opts->score);
            window.headFinderPanel()->rankBy(*opts->score);
        }
        if (opts->signalSpan)
            window.differentialPanel()->setSignalSpan({opts->signalSpan->first, opts->signalSpan->second + 1});
    });
    auto openMain = [&window, &opts, &driver, variant] {
        if (variant) {
            QObject::connect(window.bridge(), &SessionBridge::modelOpened, &window,
                             [&window, variant] { window.runPromptWithVariant(*variant); }, Qt::SingleShotConnection);
            window.openModel(opts->path, false);
        } else {
            window.openModel(opts->path, /*runAfterOpen=*/opts->text.has_value() || driver != nullptr);
        }
    };
    std::unique_ptr<gui::PinRuns> pins;
    if (!opts->pinRuns.isEmpty() && !opts->path.isEmpty() && !opts->inductionProbe &&
        !opts->path.endsWith(QStringLiteral(".attnscope"))) {
        pins = std::make_unique<gui::PinRuns>(&window, opts->pinRuns, openMain);
        pins->start();
    } else if (!opts->path.isEmpty()) {
        if (opts->path.endsWith(QStringLiteral(".attnscope"))) {
            window.openSession(opts->path);
        } else if (opts->compare) {
            // The comparison instead of the plain run: the Compare tab, started once the model is open.
            window.setView(ViewKind::Compare);
            QObject::connect(window.bridge(), &SessionBridge::modelOpened, &window,
                             [&window] { window.compareWorkspace()->startCompare(); }, Qt::SingleShotConnection);
            window.openModel(opts->path, false);
        } else if (opts->inductionProbe) {
            QObject::connect(window.bridge(), &SessionBridge::modelOpened, &window,
                             [&window] { window.startInductionProbe(); }, Qt::SingleShotConnection);
            window.openModel(opts->path, false);
        } else {
            openMain();
        }
    }
    return QApplication::exec();
}
