// What a figure draws, as a plain value (docs/FIGURES.md): a grid of panels, each naming a panel kind from the
// registry (figure_panel.h) and what it shows — model/variant, quantity from the capture schema, layer, head,
// query/key tokens, score, token range — plus the figure's style: colormap, scale, normalisation and pooling
// (ViewSettings), width in points, fonts, labels, title, colour-scale sharing. The GUI's views build one from
// their state, the composer edits one, sessions store one, and attnscope-cli renders one headless: the same
// value always gives the same figure. Threading: a value type.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/view_settings.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace attnscope {

/// Width presets in points (72 pt = 1 in): ICML/ACL-style one column 3.25 in, NeurIPS text width 5.5 in,
/// two-column text width 6.75 in.
inline constexpr double kOneColumnPt = 234.0;
inline constexpr double kMidWidthPt = 396.0;
inline constexpr double kTwoColumnPt = 486.0;

/// One panel of a figure. Fields a kind does not use are ignored by it (and kept, so switching kinds in the
/// composer does not lose them).
struct PanelSpec {
    QString kind = QStringLiteral("head");          // registry id: head, overview, token, key, scores, ranking, …
                                                    // ("" = an empty grid cell)
    QString model;                                  // "" = the session's model (compare panes name others)
    QString variant;                                // "" = the model's own attention; else an AttentionSpec string
    QString quantity = QStringLiteral("attention.probs");   // capture-schema key (core/capture/quantity.h)
    int layer = 0;
    int head = 0;
    int query = -1;                                 // token view: the query row; key view: unused
    int key = -1;                                   // key view: the key column
    QString metric = QStringLiteral("induction");   // scores / ranking panels: head metric id
    int topN = 12;                                  // token / ranking panels: how many entries
    int layerFirst = -1, layerLast = -1;            // overview / score panels: layer range (-1: all)
    qint64 queryFirst = -1, queryLast = -1;         // head panel: the rows shown (the head view's zoom; -1: all)
    qint64 keyFirst = -1, keyLast = -1;             // head panel: the columns shown
    QString title;                                  // "" = the kind's automatic title; "-" = none
    QJsonObject extra;                              // kind-specific options for panel kinds added later

    bool operator==(const PanelSpec& o) const = default;
};

/// How panels share colour scales: one per kind of value over the whole figure, one per grid row, or one per panel.
enum class ScaleSharing { Figure, Row, Panel };

struct FigureStyle {
    ViewSettings settings;                          // colormap, scale, normalisation, Δ view, pooling
    double widthPt = kOneColumnPt;
    QString fontFamily;                             // "" = the bundled DejaVu Sans
    double fontPt = 8.0;                            // labels; tick labels are 1 pt smaller
    QString title;                                  // figure title ("" = none)
    bool panelTitles = true;
    bool tokenLabels = true;                        // token text as tick labels (thinned to fit, rotated on x)
    bool axisLabels = true;                         // "query token", "key token", "layer", "head"
    bool colorbar = true;
    bool panelLetters = true;                       // (a), (b), … when there is more than one panel
    ScaleSharing sharing = ScaleSharing::Figure;
    qint64 vectorCellLimit = 1 << 20;               // heatmaps with more cells become one lossless image
    int dpi = 300;                                  // PNG resolution (150, 300, 600 or any 36..2400)

    bool operator==(const FigureStyle& o) const = default;
};

struct FigureSpec {
    int rows = 1;
    int cols = 1;
    QVector<PanelSpec> panels;                      // row-major; fewer than rows × cols leaves cells empty
    FigureStyle style;

    bool operator==(const FigureSpec& o) const = default;
    const PanelSpec* panelAt(int row, int col) const;
    /// The figure of one panel (what a view's Export and Ctrl+C draw).
    static FigureSpec single(const PanelSpec& panel, const FigureStyle& style);
};

QString scaleSharingId(ScaleSharing s);
QJsonObject toJson(const PanelSpec& p);
PanelSpec panelSpecFromJson(const QJsonObject& o);
QJsonObject toJson(const FigureSpec& f);
/// Tolerant: unknown fields are ignored, numbers are clamped (a hostile session cannot ask for a 10⁹-pt page
/// or a 10⁶-panel grid). Returns false with a reason only when the object is not a figure at all.
bool figureSpecFromJson(const QJsonObject& o, FigureSpec& out, QString* error = nullptr);

/// Limits applied to specs from files and the command line.
inline constexpr int kMaxGridSide = 8;
inline constexpr double kMinWidthPt = 72.0;
inline constexpr double kMaxWidthPt = 2000.0;
inline constexpr int kMinDpi = 36;
inline constexpr int kMaxDpi = 2400;

} // namespace attnscope
