// A live preview of a figure: the FigureSpec rendered by the figure library at the widget's device resolution
// on a worker (one job at a time; the latest spec wins), shown centred. The same code draws the exported file,
// so the preview is what the PDF, SVG and PNG will show. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <QElapsedTimer>
#include <QImage>
#include <QWidget>

namespace attnscope {

class FigurePreview : public QWidget {
    Q_OBJECT
public:
    explicit FigurePreview(QWidget* parent = nullptr);
    void setSource(FigureSourcePtr source);
    void setSpec(const FigureSpec& spec);
    const FigureSpec& spec() const { return m_spec; }
    bool isBusy() const { return m_running || m_dirty; }
    const QImage& image() const { return m_image; }
    /// Page size in points of the figure on screen.
    QSizeF pageSize() const { return m_page; }
    /// Milliseconds from the last change (setSpec/setSource/resize) to its image on screen.
    double lastLatencyMs() const { return m_lastMs; }
    QStringList problems() const { return m_problems; }
    QSize sizeHint() const override { return {420, 320}; }

signals:
    void rendered(double latencyMs);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void schedule();
    void start();

    FigureSpec m_spec;
    FigureSourcePtr m_source;
    QImage m_image;
    QSizeF m_page;
    QStringList m_problems;
    bool m_running = false;
    bool m_dirty = false;
    bool m_timing = false;
    QElapsedTimer m_since;
    double m_lastMs = 0;
};

} // namespace attnscope
