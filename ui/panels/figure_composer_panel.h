// Figure composer (docs/FIGURES.md): build an r × c figure from panels — heads, layers, views (later variants
// and models) — with one colour scale for the figure, per row or per panel, panel letters, a title and a width
// preset, and see it live. Pick a cell in the list and set what it shows, put the current view into it, or fill
// the grid with the selected head at evenly spread layers. The layout is part of the session. Export and copy go
// through the main window (the same code as every view's export). Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <QTimer>
#include <QWidget>

#include <functional>

class QComboBox;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace attnscope {

class FigurePreview;
class FigureStyleEditor;
class SessionContext;

class FigureComposerPanel : public QWidget {
    Q_OBJECT
public:
    explicit FigureComposerPanel(SessionContext* context, QWidget* parent = nullptr);

    /// The composed figure (colours follow the view settings).
    FigureSpec spec() const;
    void setSpec(const FigureSpec& spec);
    bool hasPanels() const;
    /// Where the current view's panels come from ("Use current view"; the differential view has three, …).
    std::function<QVector<PanelSpec>()> currentViewPanels;
    /// Where the data comes from (a snapshot of the session).
    std::function<FigureSourcePtr()> sourceProvider;

    /// Puts a panel into a cell.
    void setCell(int index, const PanelSpec& panel);
    /// "Use current view": the view's first panel into the selected cell, the others (the differential view's
    /// three maps, the compare panes, …) into the empty cells after it, adding rows when there are not enough.
    void useCurrentView();
    void selectCell(int index);
    int selectedCell() const;
    /// The selected head at `rows × cols` layers spread evenly from the first to the last.
    void fillSameHeadAcrossLayers();
    void setGrid(int rows, int cols);
    /// Takes a fresh snapshot of the session's data for the preview.
    void refreshSource();

    FigurePreview* preview() const { return m_preview; }
    FigureStyleEditor* styleEditor() const { return m_style; }
    QListWidget* cellList() const { return m_cells; }

signals:
    void specChanged();
    void exportRequested();
    void copyRequested();

private:
    void rebuildList();
    void loadEditor();
    void editorChanged();
    void changed();

    SessionContext* m_context;
    FigureSpec m_spec;
    QSpinBox* m_rows;
    QSpinBox* m_cols;
    QListWidget* m_cells;
    QComboBox* m_kind;
    QComboBox* m_quantity;
    QSpinBox* m_layer;
    QSpinBox* m_head;
    QSpinBox* m_query;
    QSpinBox* m_key;
    QComboBox* m_metric;
    QLineEdit* m_title;
    FigureStyleEditor* m_style;
    FigurePreview* m_preview;
    QTimer m_sourceTimer;
    bool m_loading = false;
};

} // namespace attnscope
