// ViewHistory: snapshots of the view state pushed as QUndoCommands.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/view_history.h"

#include "ui/session_context.h"
#include "ui/widgets/attention_plot.h"

#include <QUndoStack>

namespace attnscope {

namespace {

constexpr int kZoomCommandId = 1;
constexpr qint64 kZoomMergeMs = 1000;

QString describe(const ViewState& a, const ViewState& b)
{
    if (a.layer != b.layer || a.head != b.head)
        return QObject::tr("select layer %1 head %2").arg(b.layer).arg(b.head);
    if (a.query != b.query)
        return QObject::tr("query #%1").arg(b.query);
    if (a.key != b.key)
        return QObject::tr("key #%1").arg(b.key);
    if (!(a.settings == b.settings)) {
        if (a.settings.colormap != b.settings.colormap)
            return QObject::tr("colormap");
        if (a.settings.scale != b.settings.scale)
            return QObject::tr("scale");
        if (a.settings.normalisation != b.settings.normalisation)
            return QObject::tr("range");
        if (a.settings.data != b.settings.data)
            return QObject::tr("weights / Δ view");
        if (a.settings.pooling != b.settings.pooling)
            return QObject::tr("pooling");
        return QObject::tr("colour settings");
    }
    return QObject::tr("zoom");
}

class ViewChange : public QUndoCommand {
public:
    ViewChange(ViewHistory* history, ViewState before, ViewState after, bool zoom)
        : QUndoCommand(describe(before, after))
        , m_history(history)
        , m_before(std::move(before))
        , m_after(std::move(after))
        , m_zoom(zoom)
    {
        m_age.start();
    }
    int id() const override { return m_zoom ? kZoomCommandId : -1; }
    bool mergeWith(const QUndoCommand* other) override
    {
        auto* o = static_cast<const ViewChange*>(other);
        if (!m_zoom || !o->m_zoom || m_age.elapsed() > kZoomMergeMs)
            return false;
        m_after = o->m_after;
        m_age.start();
        return true;
    }
    void undo() override { m_history->apply(m_before); }
    void redo() override
    {
        if (m_first) {   // the change already happened when it was recorded
            m_first = false;
            return;
        }
        m_history->apply(m_after);
    }

private:
    ViewHistory* m_history;
    ViewState m_before, m_after;
    bool m_zoom;
    bool m_first = true;
    QElapsedTimer m_age;
};

} // namespace

ViewHistory::ViewHistory(SessionContext* context, AttentionPlot* plot, QObject* parent)
    : QObject(parent)
    , m_context(context)
    , m_plot(plot)
    , m_stack(new QUndoStack(this))
{
    m_stack->setUndoLimit(500);
    m_current = capture();
    m_coalesce.setSingleShot(true);
    m_coalesce.setInterval(0);
    connect(&m_coalesce, &QTimer::timeout, this, [this] { record(false); });
    auto changed = [this] {
        if (!m_applying)
            m_coalesce.start();
    };
    connect(context, &SessionContext::selectionChanged, this, changed);
    connect(context, &SessionContext::queryChanged, this, changed);
    connect(context, &SessionContext::keyChanged, this, changed);
    connect(context, &SessionContext::viewSettingsChanged, this, changed);
    connect(plot, &AttentionPlot::userZoomed, this, [this] {
        if (!m_applying)
            record(true);
    });
    // A run moves the query/key into the new prompt and may reset the zoom: take that as the new baseline.
    connect(context, &SessionContext::runStarted, this, [this] { QTimer::singleShot(0, this, &ViewHistory::resync); });
    connect(context, &SessionContext::modelChanged, this, [this] {
        m_stack->clear();
        resync();
    });
}

ViewState ViewHistory::capture() const
{
    ViewState s;
    s.layer = m_context->layer();
    s.head = m_context->head();
    s.query = m_context->query();
    s.key = m_context->key();
    s.settings = m_context->viewSettings();
    s.zoomX = m_plot->xAxis->range();
    s.zoomY = m_plot->yAxis->range();
    return s;
}

void ViewHistory::resync()
{
    m_coalesce.stop();
    m_current = capture();
}

void ViewHistory::record(bool zoom)
{
    ViewState now = capture();
    if (!zoom) {
        // Zoom changes that were not user gestures (a reset for a new token count) are not steps of their own.
        now.zoomX = m_current.zoomX;
        now.zoomY = m_current.zoomY;
        if (now == m_current)
            return;
        now.zoomX = m_plot->xAxis->range();
        now.zoomY = m_plot->yAxis->range();
    } else if (now == m_current) {
        return;
    }
    const ViewState before = m_current;
    m_current = now;
    m_stack->push(new ViewChange(this, before, now, zoom));
}

void ViewHistory::apply(const ViewState& s)
{
    m_applying = true;
    m_coalesce.stop();
    m_context->select(s.layer, s.head);
    m_context->setQuery(s.query);
    m_context->setKey(s.key);
    m_context->setViewSettings(s.settings);
    m_plot->setViewRanges(s.zoomX, s.zoomY);
    m_applying = false;
    m_current = capture();
}

} // namespace attnscope
