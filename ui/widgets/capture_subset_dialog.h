// Offered when a prompt is refused because the maps of every head would not fit in memory: says how many tokens
// would fit and lets the user capture a subset instead — chosen layers ("0-5, 17") and heads ("all", "3") — with
// the memory that subset needs updated as they type. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/session_bridge.h"

#include <QDialog>

#include <optional>
#include <vector>

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace attnscope {

/// Parses "all" (or empty) or a list of indices and ranges ("0-5, 17 20-22") in [0, count); returns the sorted,
/// distinct indices, or nullopt with the reason.
std::optional<std::vector<int>> parseIndexRanges(const QString& text, int count, QString* error = nullptr);

/// The capture mask (layer * heads + head) for the chosen layers × heads.
CaptureMaskPtr makeCaptureMask(int layers, int heads, const std::vector<int>& chosenLayers, const std::vector<int>& chosenHeads);

class CaptureSubsetDialog : public QDialog {
    Q_OBJECT
public:
    CaptureSubsetDialog(const CaptureRefusal& refusal, QWidget* parent = nullptr);
    QLineEdit* layersEdit() const { return m_layers; }
    QLineEdit* headsEdit() const { return m_heads; }
    /// The chosen subset, or null when the input does not parse or does not fit.
    CaptureMaskPtr mask() const;

private:
    void update();

    CaptureRefusal m_refusal;
    QLineEdit* m_layers;
    QLineEdit* m_heads;
    QLabel* m_estimate;
    QDialogButtonBox* m_buttons;
};

} // namespace attnscope
