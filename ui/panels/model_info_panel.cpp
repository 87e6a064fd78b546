// ModelInfoPanel: a two-column table over ModelInfoModel plus the full path.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/panels/model_info_panel.h"

#include "ui/models/display_text.h"
#include "ui/models/model_info_model.h"
#include "ui/session_context.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace attnscope {

ModelInfoPanel::ModelInfoPanel(SessionContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
    , m_model(new ModelInfoModel(this))
    , m_view(new QTableView(this))
    , m_path(new QLabel(this))
{
    setObjectName(QStringLiteral("modelInfoPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_path->setWordWrap(true);
    m_path->setTextFormat(Qt::PlainText);   // a path is never markup
    m_path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_path->setText(tr("No model open. File ▸ Open, drop a .gguf/.safetensors file or folder here, or pick a recent file."));
    m_view->setModel(m_model);
    m_view->setObjectName(QStringLiteral("modelInfoTable"));
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_view->setWordWrap(true);
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(m_path);
    layout->addWidget(m_view, 1);
    connect(context, &SessionContext::modelChanged, this, &ModelInfoPanel::refresh);
}

void ModelInfoPanel::refresh()
{
    OpenedModelPtr m = m_context->model();
    if (!m) {
        m_model->clear();
        return;
    }
    m_model->setInfo(m->info, m->backend);
    m_path->setText(displayText(m->path));
    m_view->resizeRowsToContents();
}

} // namespace attnscope
