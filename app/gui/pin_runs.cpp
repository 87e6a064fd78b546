// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/pin_runs.h"

#include "core/attention/attention_spec.h"
#include "core/util/error.h"
#include "ui/main_window.h"
#include "ui/panels/sink_panel.h"
#include "ui/session_bridge.h"

namespace attnscope::gui {

PinRuns::PinRuns(MainWindow* window, QStringList specs, std::function<void()> then, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_specs(std::move(specs))
    , m_then(std::move(then))
{
    m_settle.setInterval(50);
    connect(&m_settle, &QTimer::timeout, this, [this] {
        if (!m_window->isSettled())
            return;
        m_settle.stop();
        m_window->sinkPanel()->pinCurrent();
        step();
    });
}

void PinRuns::start()
{
    step();
}

void PinRuns::step()
{
    if (m_next >= m_specs.size()) {
        if (m_then)
            m_then();
        return;
    }
    const QString spec = m_specs[m_next++];
    const int bar = spec.indexOf(QLatin1Char('|'));
    const QString path = bar < 0 ? spec : spec.left(bar);
    const QString variant = bar < 0 ? QString() : spec.mid(bar + 1);
    std::optional<AttentionSpec> parsed;
    if (!variant.isEmpty()) {
        try {
            parsed = AttentionSpec::parse(variant.toStdString());
        } catch (const Error& e) {
            emit m_window->errorReported(QStringLiteral("--pin %1: %2").arg(spec, QString::fromStdString(e.what())));
            return;
        }
    }
    connect(m_window->bridge(), &SessionBridge::modelOpened, this, [this, parsed] {
        if (parsed)
            m_window->runPromptWithVariant(*parsed);
        else
            m_window->runPrompt();
    }, Qt::SingleShotConnection);
    connect(m_window, &MainWindow::runEnded, this, [this](bool finished) {
        if (finished)
            m_settle.start();
    }, Qt::SingleShotConnection);
    m_window->openModel(path, false);
}

} // namespace attnscope::gui
