// ScreenshotDriver: poll for "run finished and settled", grab, save, exit.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/screenshot_driver.h"

#include "ui/compare/compare_workspace.h"
#include "ui/compare/compare_pane.h"
#include "ui/compare/compare_plot.h"
#include "ui/main_window.h"
#include "ui/panels/head_view_panel.h"
#include "ui/widgets/attention_plot.h"

#include <QApplication>
#include <QImageWriter>
#include <QPixmap>
#include <QSaveFile>

#include <cstdio>

namespace attnscope::gui {

ScreenshotDriver::ScreenshotDriver(MainWindow* window, QString outPath, int timeoutSeconds, bool compare, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_out(std::move(outPath))
    , m_timeoutMs(timeoutSeconds * 1000)
{
    m_compare = compare;
    window->setErrorDialogsEnabled(false);
    connect(window, &MainWindow::errorReported, this, [this](const QString& m) { finish(1, m); });
    if (compare) {
        connect(window->compareWorkspace(), &CompareWorkspace::compareEnded, this, [this](bool finished) {
            if (finished)
                m_runFinished = true;
            else
                finish(1, QStringLiteral("the comparison did not finish"));
        });
    } else {
        connect(window, &MainWindow::runEnded, this, [this](bool finished) {
            if (finished)
                m_runFinished = ++m_runsDone >= m_runsToWait;
            else
                finish(1, QStringLiteral("the run did not finish"));
        });
    }
    m_poll.setInterval(50);
    connect(&m_poll, &QTimer::timeout, this, &ScreenshotDriver::poll);
    m_poll.start();
    m_clock.start();
}

void ScreenshotDriver::setZoom(QPointF keys, QPointF queries)
{
    m_zoomPending = true;
    m_zoomKeys = keys;
    m_zoomQueries = queries;
}

void ScreenshotDriver::poll()
{
    if (m_clock.elapsed() > m_timeoutMs) {
        finish(1, QStringLiteral("timed out after %1 s waiting for the run and the views").arg(m_timeoutMs / 1000));
        return;
    }
    // Three settled polls in a row: coalesced repaints (30 ms timers) have fired and painted.
    m_settledPolls = (m_runFinished && m_window->isSettled()) ? m_settledPolls + 1 : 0;
    if (m_settledPolls < 3)
        return;
    if (m_zoomPending) {
        m_zoomPending = false;
        m_settledPolls = -3;   // wait a little longer: the re-pool starts from a 60 ms timer
        AttentionPlot* plot = m_compare ? static_cast<AttentionPlot*>(m_window->compareWorkspace()->pane(0)->plot())
                                        : m_window->headViewPanel()->plot();
        plot->setViewRanges(QCPRange(m_zoomKeys.x() - 0.5, m_zoomKeys.y() + 0.5),
                            QCPRange(m_zoomQueries.x() - 0.5, m_zoomQueries.y() + 0.5));
        return;
    }
    const QPixmap pix = m_window->grab();
    if (pix.isNull()) {
        finish(1, QStringLiteral("could not grab the window"));
        return;
    }
    // Through QSaveFile: the target is either the old or the new complete PNG (docs/SECURITY.md).
    QSaveFile file(m_out);
    QImageWriter writer(&file, "png");
    if (!file.open(QIODevice::WriteOnly) || !writer.write(pix.toImage()) || !file.commit()) {
        const QString why = writer.error() != QImageWriter::UnknownError ? writer.errorString() : file.errorString();
        finish(1, QStringLiteral("cannot write %1: %2").arg(m_out, why));
        return;
    }
    finish(0, QStringLiteral("wrote %1 (%2×%3)").arg(m_out).arg(pix.width()).arg(pix.height()));
}

void ScreenshotDriver::finish(int code, const QString& message)
{
    if (m_done)
        return;
    m_done = true;
    m_poll.stop();
    std::fprintf(stderr, "attnscope: %s\n", message.toLocal8Bit().constData());
    // Queued: an error can be reported before QApplication::exec() runs, when exit() would be ignored.
    QMetaObject::invokeMethod(qApp, [code] { QApplication::exit(code); }, Qt::QueuedConnection);
}

} // namespace attnscope::gui
