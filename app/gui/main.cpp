// attnscope: the Qt desktop inspector. Builds the backends (only app/ links the kernels), the main window,
// and drives scripted screenshots and the UI benchmark from the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"
#include "core/util/error.h"
#include "gui/gui_options.h"
#include "gui/screenshot_driver.h"
#include "gui/benchmark_ui.h"
#include "kernels/backends/register_backends.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace attnscope;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("attnscope"));
    QApplication::setApplicationName(QStringLiteral("attnscope"));
    QApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.github.attnscope.attnscope"));

    QString error;
    const auto opts = gui::parseGuiOptions(QApplication::arguments(), &error);
    if (!opts) {
        std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
        return 2;
    }

    std::unique_ptr<BackendSet> backends;
    try {
        backends = std::make_unique<BackendSet>(selectBackends(builtinBackends(), opts->backend.toStdString(), opts->threads));
    } catch (const Error& e) {
        std::fprintf(stderr, "attnscope: %s\n", e.what());
        return 1;
    }

    const bool batch = !opts->screenshot.isEmpty() || opts->benchmark;
    MainWindow window(std::move(backends), /*persistent=*/!batch);
    if (opts->layer || opts->head)
        window.context()->select(opts->layer.value_or(0), opts->head.value_or(0));
    if (opts->text)
        window.setPromptText(*opts->text);
    if (batch)
        window.resize(opts->size);
    window.show();

    if (opts->benchmark)
        return gui::runUiBenchmark(window, opts->path, opts->benchmarkTokens, opts->benchmarkRepeats);

    std::unique_ptr<gui::ScreenshotDriver> driver;
    if (!opts->screenshot.isEmpty())
        driver = std::make_unique<gui::ScreenshotDriver>(&window, opts->screenshot, opts->timeoutSeconds);
    if (opts->view)
        window.setView(*opts->view);
    if (!opts->path.isEmpty()) {
        if (opts->path.endsWith(QStringLiteral(".attnscope")))
            window.openSession(opts->path);
        else
            window.openModel(opts->path, /*runAfterOpen=*/opts->text.has_value() || driver != nullptr);
    }
    return QApplication::exec();
}
