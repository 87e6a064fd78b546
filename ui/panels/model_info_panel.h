// Model-info panel: architecture, layers, heads, KV groups, head dim, dtypes, size on disk and the backend.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QWidget>

class QLabel;
class QTableView;

namespace attnscope {

class ModelInfoModel;
class SessionContext;

class ModelInfoPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelInfoPanel(SessionContext* context, QWidget* parent = nullptr);
    ModelInfoModel* model() const { return m_model; }

private:
    void refresh();

    SessionContext* m_context;
    ModelInfoModel* m_model;
    QTableView* m_view;
    QLabel* m_path;
};

} // namespace attnscope
