// The head view's plot: one head's map as a heatmap (query rows top to bottom, key columns), token text as
// tick labels where they fit, a colourbar, hover tooltips (query, key, weight, rank in its row), zoom and pan
// with mouse and keyboard, and arrow / PgUp / PgDn navigation requests. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/models/token_list_model.h"
#include "ui/render/heatmap_image.h"
#include "ui/render/view_settings.h"

#include <qcustomplot.h>

namespace attnscope {

class HeatmapPlottable;

class AttentionPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit AttentionPlot(QWidget* parent = nullptr);

    void setTokens(TokenRowsPtr tokens);
    /// Shows a colourised map. `source` keeps the exact values for hover; the zoom is kept when the token count
    /// is unchanged (flipping heads over a zoomed region) and reset otherwise.
    void setHeatmap(const HeatmapSource& source, const ColourisedGrid& image, const ViewSettings& settings,
                    const QString& title);
    /// Clears the plot and shows a message in the title ("layer 7 not computed yet").
    void clearHeatmap(const QString& message);
    bool hasHeatmap() const;
    QString title() const;

    /// Cell under a widget position: (query row, key column), or (-1, -1) outside the map.
    QPoint cellAt(const QPointF& pos) const;
    /// The hover text for a cell ("query #3 'fox' → key #1 'quick' …"); empty outside the map.
    QString hoverText(int query, int key) const;

    void resetView();
    void zoomBy(double factor);
    void panBy(double dxCells, double dyCells);

signals:
    void navigate(int dLayer, int dHead);
    void cellHovered(int query, int key);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void clampRanges();
    void updateTickLabels();
    QString tokenLabel(int position, int maxChars) const;

    HeatmapPlottable* m_heatmap = nullptr;
    QCPColorScale* m_colorScale = nullptr;
    QCPTextElement* m_title = nullptr;
    QSharedPointer<QCPAxisTickerText> m_xTicker, m_yTicker;
    HeatmapSource m_source;
    TokenRowsPtr m_tokens;
    qint64 m_cells = 0;
    bool m_clamping = false;
};

} // namespace attnscope
