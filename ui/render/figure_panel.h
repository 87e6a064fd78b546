// Panel kinds: the extension point of the figure library (docs/FIGURES.md "Adding a panel kind"). A kind turns
// a PanelSpec and the FigureSource into PanelContent — an immutable, prepared panel that says how much room its
// tick and axis labels need, its plot area's aspect, the colour scale it uses (so the renderer can share one
// scale between panels and draw the colourbar) and draws itself on any FigureCanvas. Kinds register by id;
// the built-in ones are listed in figure_panel.cpp (head, overview, token, key, scores, ranking).
// Threading: kinds are immutable; prepare() and PanelContent may be used from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/colormap.h"
#include "ui/render/figure_canvas.h"
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <QMarginsF>
#include <QStringList>

#include <memory>
#include <optional>
#include <set>

namespace attnscope {

/// The fonts of one figure, from its style (all sizes in points).
struct FigureFonts {
    QFont label;     // axis labels, panel titles, colourbar label
    QFont tick;      // tick labels (1 pt smaller)
    QFont title;     // the figure title (1 pt larger)
    QFont letter;    // panel letters (a), (b), …
    QFont cell;      // numbers printed inside table cells
    static FigureFonts fromStyle(const FigureStyle& style);
};

/// What a panel's colours mean. Panels whose scales have the same `key` can share one range and colourbar.
struct ColourScale {
    QString key;             // "weight", "delta", "score:induction", …
    QString label;           // colourbar label ("attention weight (power 0.5)")
    Colormap colormap = Colormap::Viridis;
    ScaleKind scale = ScaleKind::Linear;
    double gamma = 0.5, logFloor = 1e-4;
    bool isSigned = false;   // symmetric range [−M, M], diverging map
    double low = 0, high = 1;   // the panel's own value range (signed: [−M, M]; log: [floor, max])
};

/// The range a panel draws with after sharing (equals its own when not shared).
struct ResolvedScale {
    double low = 0, high = 1;
};

class PanelContent {
public:
    virtual ~PanelContent() = default;
    /// The automatic title ("Layer 3 · Head 5").
    virtual QString title() const = 0;
    virtual std::optional<ColourScale> colourScale() const { return std::nullopt; }
    /// Room for tick labels and axis labels around a plot area of about `plotWidth` points.
    virtual QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double plotWidth) const = 0;
    /// Plot height ÷ plot width (square cells: rows ÷ columns).
    virtual double aspect() const = 0;
    /// A plot height in points that does not follow the width (text tables), or 0 to use aspect().
    virtual double fixedHeight(const FigureFonts& fonts) const { (void)fonts; return 0; }
    virtual void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
                      const ResolvedScale* scale, const QString& groupId) const = 0;
    /// Heatmap cells drawn (0 for charts and tables): what the vector/image decision counts.
    virtual qint64 cells() const { return 0; }
    /// A note drawn under the title when something about the data must be said ("not captured", "stale").
    QString problem;
};
using PanelContentPtr = std::shared_ptr<const PanelContent>;

/// What a figure's panels read from a run, so a headless run captures only that (core's CaptureSpec).
struct CaptureNeeds {
    bool allHeads = false;
    std::set<std::pair<int, int>> heads;     // (layer, head)
    std::set<int> layers;                    // every head of these layers
    std::set<Quantity> quantities = {Quantity::AttentionProbs};
    bool metrics = false;                    // the head score table (from all heads' probabilities)
    bool layerReports = false;               // per-layer statistics (LayerReport: sink shares, max |hidden|)
    bool comparison = false;                 // a comparison of the baseline with variants (compare panes) …
    QStringList variants;                    // … including these variants (AttentionSpec strings, in order)
};

class PanelKind {
public:
    virtual ~PanelKind() = default;
    virtual QString id() const = 0;
    virtual QString label() const = 0;    // for the composer's menu
    /// Never throws: a panel that cannot be drawn (head not captured, layer out of range) comes back as
    /// content that draws a placeholder with the reason.
    virtual PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const = 0;
    /// Adds what the panel reads. The default is every head's attention probabilities.
    virtual void addNeeds(const PanelSpec& spec, const FigureStyle& style, CaptureNeeds& needs) const
    {
        (void)spec;
        (void)style;
        needs.allHeads = true;
    }
};

/// Registers a kind (replaces one with the same id). Built-in kinds are registered on first use.
void registerPanelKind(std::shared_ptr<const PanelKind> kind);
std::shared_ptr<const PanelKind> panelKind(const QString& id);
QStringList panelKindIds();

/// A panel that only shows why it is empty.
PanelContentPtr placeholderPanel(const QString& title, const QString& reason);

// ---- drawing helpers shared by panel kinds ----

/// Light warm grey with diagonal lines: masked cells (never the colour of 0).
void drawMaskedHatch(FigureCanvas& canvas, const QRectF& r);
/// A colourised grid (one pixel per cell, alpha 0 = masked) inside `plot`: one rectangle per horizontal run of
/// equal colour, grouped by colour (vector), or the image itself (lossless on every target).
void drawCellGrid(FigureCanvas& canvas, const QRectF& plot, const QImage& cells, bool vector);
/// The colour of a value under a colour scale and range (what the cells and the colourbar both use).
QRgb scaleColour(const ColourScale& s, const ResolvedScale& r, double v);
/// Tick labels thinned to fit `length` points with one text line each: positions and texts along an axis of
/// `count` entries starting at `first`; `label(i)` gives the text of entry i.
struct AxisTicks {
    QVector<int> positions;
    QStringList texts;
};
AxisTicks thinTicks(qint64 first, qint64 count, double length, const QFont& font, const std::function<QString(qint64)>& label);
/// The widest of `texts` in `font` (0 for none).
double maxTextWidth(const QStringList& texts, const QFont& font);
/// The margins of a plot with tick labels on its left and bottom axes: the left labels' width (`leftLabels`) and
/// the bottom labels' depth, each plus a tick mark and a gap, plus the axis titles' line when the style draws them.
QMarginsF tickedAxisMargins(double leftLabels, double bottomLabels, double tickLen, double gap, const FigureFonts& fonts,
                            const FigureStyle& style);
/// A token's label for an axis: its display text cut to `maxChars` (with …).
QString tokenTickLabel(const QStringList& tokens, qint64 i, int maxChars);
/// Label length limit for token ticks at this figure width (shorter at one-column width).
int tokenLabelChars(const FigureStyle& style);
/// 3–6 round tick values spanning [lo, hi] (log: the decades).
QVector<double> niceTicks(double lo, double hi, bool log);
QString tickText(double v);

} // namespace attnscope
