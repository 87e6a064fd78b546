// The controls every figure export offers (docs/FIGURES.md): width preset (one column 3.25 in, 5.5 in, two
// columns 6.75 in, custom), PNG resolution (150/300/600 dpi or any), font size, title, which labels to draw,
// colourbar, panel letters and how panels share colour scales. Used by the export dialog and the composer.
// Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_spec.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace attnscope {

class FigureStyleEditor : public QWidget {
    Q_OBJECT
public:
    /// `compact` hides what single-panel figures do not use (scale sharing, letters).
    explicit FigureStyleEditor(bool multiPanel, QWidget* parent = nullptr);
    void setStyle(const FigureStyle& style);
    /// The edited style; `settings` (colormap, scale, …) are carried over from setStyle() unchanged.
    FigureStyle style() const;
    QComboBox* widthCombo() const { return m_width; }

signals:
    void changed();

private:
    void syncCustom();

    FigureStyle m_base;
    QComboBox* m_width;
    QDoubleSpinBox* m_customIn;
    QComboBox* m_dpi;
    QDoubleSpinBox* m_font;
    QLineEdit* m_title;
    QCheckBox* m_panelTitles;
    QCheckBox* m_tokenLabels;
    QCheckBox* m_axisLabels;
    QCheckBox* m_colorbar;
    QCheckBox* m_letters = nullptr;
    QComboBox* m_sharing = nullptr;
};

} // namespace attnscope
