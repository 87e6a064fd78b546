// LongRunDialog: the estimate in words, and the choice.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/long_run_dialog.h"

#include "core/util/memory_budget.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace attnscope {

QString describeDuration(double seconds)
{
    if (!(seconds >= 0) || !std::isfinite(seconds))
        return QObject::tr("unknown");
    if (seconds < 60)
        return QObject::tr("about %1 s").arg(std::max(1.0, std::round(seconds)));
    const auto total = static_cast<long long>(std::round(seconds));
    if (total < 3600)
        return QObject::tr("about %1 min %2 s").arg(total / 60).arg(total % 60);
    return QObject::tr("about %1 h %2 min").arg(total / 3600).arg((total % 3600) / 60);
}

LongRunDialog::LongRunDialog(const RunPlan& plan, QWidget* parent)
    : QDialog(parent)
    , m_plan(plan)
    , m_text(new QLabel)
    , m_dontAsk(new QCheckBox(tr("Don't ask again in this session")))
{
    setObjectName(QStringLiteral("longRunDialog"));
    setWindowTitle(tr("Run a long prompt?"));
    setWindowModality(Qt::WindowModal);
    m_text->setObjectName(QStringLiteral("longRunEstimate"));
    m_text->setTextFormat(Qt::PlainText);
    m_text->setWordWrap(true);
    m_text->setText(text());
    m_dontAsk->setObjectName(QStringLiteral("dontAskAgain"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    QPushButton* run = buttons->addButton(tr("Run"), QDialogButtonBox::AcceptRole);
    run->setObjectName(QStringLiteral("runLongButton"));
    run->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_text);
    layout->addWidget(m_dontAsk);
    layout->addWidget(buttons);
    setMinimumWidth(480);
}

bool LongRunDialog::dontAskAgain() const
{
    return m_dontAsk->isChecked();
}

QString LongRunDialog::text() const
{
    const RunPlan& p = m_plan;
    QString t = tr("%1 tokens, %2 layers × %3 heads.\n\n").arg(p.tokens).arg(p.layers).arg(p.heads);
    t += tr("Kept: %1.\n").arg(p.kept);
    t += tr("Memory: %1 for what the run keeps, %2 in all (the budget is %3).\n")
             .arg(QString::fromStdString(formatBytes(p.captureBytes)), QString::fromStdString(formatBytes(p.totalBytes)),
                  QString::fromStdString(formatBytes(p.budgetBytes)));
    t += tr("Expected time: %1, %2.\n\n").arg(describeDuration(p.expectedSeconds), p.basis);
    t += tr("Progress shows in the status bar; Esc cancels the run at any time.");
    return t;
}

} // namespace attnscope
