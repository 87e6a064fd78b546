// Lays out and paints a FigureSpec (docs/FIGURES.md "Layout"): panels prepared by their kinds, a grid of
// columns of equal width (the figure's width in points minus the colourbars), plot areas sized by each panel's
// aspect, colour scales resolved across the figure, per row or per panel (one colourbar per shared scale),
// panel letters (a), (b), … and an optional title. Everything is computed in points; the height follows from
// the grid. Construction does the data work (pooling for thumbnails, scores, ranges) and may run on a worker;
// paint() draws on any canvas. Threading: immutable after construction.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_panel.h"
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <vector>

namespace attnscope {

class FigureRenderer {
public:
    struct Panel {
        int index = 0, row = 0, col = 0;
        QRectF cell;             // the panel's share of the page
        QRectF plot;             // its plot area
        QString letter;          // "(a)" or empty
        QString title;
        PanelContentPtr content;
        int scaleGroup = -1;     // index into colourbars(), -1 = none
    };
    struct Colourbar {
        ColourScale scale;
        ResolvedScale range;
        QRectF area;
    };

    FigureRenderer(const FigureSpec& spec, FigureSourcePtr source);

    const FigureSpec& spec() const { return m_spec; }
    QSizeF pageSize() const { return m_page; }
    const std::vector<Panel>& panels() const { return m_panels; }
    const std::vector<Colourbar>& colourbars() const { return m_bars; }
    /// Heatmap cells in all panels (what decides vector or image per panel).
    qint64 cells() const;
    /// Panels that could not be drawn, one line each ("(b) Layer 40 · Head 0: the model has 30 layers × 9 heads").
    QStringList problems() const;

    void paint(FigureCanvas& canvas) const;

private:
    void layout();

    FigureSpec m_spec;
    FigureSourcePtr m_source;
    FigureFonts m_fonts;
    QSizeF m_page;
    std::vector<Panel> m_panels;
    std::vector<Colourbar> m_bars;
    double m_titleHeight = 0;
};

} // namespace attnscope
