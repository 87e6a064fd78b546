// Asked before a run of more than 4,096 tokens starts (docs/LONG-CONTEXT.md "In the GUI"): the one up-front
// estimate — what the run keeps, the memory it needs against the budget, and how long it should take at the
// measured throughput — with Run / Cancel and "don't ask again in this session". Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_bridge.h"

#include <QDialog>

class QCheckBox;
class QLabel;

namespace attnscope {

class LongRunDialog : public QDialog {
    Q_OBJECT
public:
    explicit LongRunDialog(const RunPlan& plan, QWidget* parent = nullptr);
    const RunPlan& plan() const { return m_plan; }
    bool dontAskAgain() const;
    /// The estimate as shown ("8192 tokens … about 70 s …").
    QString text() const;

private:
    RunPlan m_plan;
    QLabel* m_text;
    QCheckBox* m_dontAsk;
};

/// "about 1 min 10 s", "about 40 s".
QString describeDuration(double seconds);

} // namespace attnscope
