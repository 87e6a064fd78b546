// Undo/redo for view changes (Ctrl+Z / Ctrl+Shift+Z): the selected head and layer, the query and key tokens,
// the colour settings (colormap, scale, range, Δ view, pooling) and the head view's zoom. Every change the user
// makes is one step; a burst of zoom steps (wheel, keys) within a second is merged into one. Undoing restores
// the whole view state from before the step. A new run keeps the history (the state is clamped to the new
// prompt); a new model clears it. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/view_settings.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <qcustomplot.h>

class QUndoStack;

namespace attnscope {

class AttentionPlot;
class SessionContext;

struct ViewState {
    int layer = 0, head = 0, query = -1, key = -1;
    ViewSettings settings;
    QCPRange zoomX, zoomY;
    bool operator==(const ViewState& o) const = default;
};

class ViewHistory : public QObject {
    Q_OBJECT
public:
    ViewHistory(SessionContext* context, AttentionPlot* plot, QObject* parent = nullptr);
    QUndoStack* stack() const { return m_stack; }
    ViewState current() const { return m_current; }
    /// Applies a state (undo/redo) without recording it.
    void apply(const ViewState& s);

private:
    ViewState capture() const;
    void record(bool zoom = false);
    void resync();

    SessionContext* m_context;
    AttentionPlot* m_plot;
    QUndoStack* m_stack;
    ViewState m_current;
    bool m_applying = false;
    QTimer m_coalesce;   // selection/settings signals of one user action arrive together: record once
};

} // namespace attnscope
