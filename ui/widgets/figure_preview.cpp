// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/figure_preview.h"

#include "ui/background_job.h"
#include "ui/render/figure_export.h"

#include <QPainter>

#include <algorithm>

namespace attnscope {

namespace {

struct PreviewResult {
    QImage image;
    QSizeF page;
    QStringList problems;
};

} // namespace

FigurePreview::FigurePreview(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("figurePreview"));
    setMinimumSize(160, 120);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void FigurePreview::setSource(FigureSourcePtr source)
{
    m_source = std::move(source);
    schedule();
}

void FigurePreview::setSpec(const FigureSpec& spec)
{
    m_spec = spec;
    schedule();
}

void FigurePreview::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    schedule();
}

void FigurePreview::schedule()
{
    if (!m_timing) {
        m_since.start();
        m_timing = true;
    }
    if (m_running) {
        m_dirty = true;
        return;
    }
    start();
}

void FigurePreview::start()
{
    m_dirty = false;
    if (!m_source || m_spec.panels.isEmpty()) {
        m_image = QImage();
        m_problems.clear();
        m_timing = false;
        update();
        return;
    }
    m_running = true;
    const QSize target = size() * devicePixelRatioF();
    runInBackground(this, [spec = m_spec, source = m_source, target]() {
        PreviewResult r;
        const FigureRenderer figure(spec, source);
        r.page = figure.pageSize();
        // The dpi that makes the page fill the widget (device pixels), at least legible.
        const double dpi = 72.0 * std::min(target.width() / r.page.width(), target.height() / r.page.height());
        r.image = renderFigureImage(figure, std::clamp(static_cast<int>(dpi), kMinDpi, 600));
        r.problems = figure.problems();
        return r;
    }, [this](PreviewResult r) {
        m_running = false;
        if (m_dirty) {
            start();   // a newer spec is waiting: this image is already out of date
            return;
        }
        m_image = std::move(r.image);
        m_image.setDevicePixelRatio(devicePixelRatioF());
        m_page = r.page;
        m_problems = r.problems;
        update();
        m_lastMs = m_timing ? static_cast<double>(m_since.nsecsElapsed()) / 1e6 : 0.0;
        m_timing = false;
        emit rendered(m_lastMs);
    });
}

void FigurePreview::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   m_spec.panels.isEmpty() ? tr("Add panels to see the figure") : tr("Run the model to see the figure"));
        return;
    }
    const QSizeF logical = m_image.deviceIndependentSize();
    const double s = std::min({1.0, width() / logical.width(), height() / logical.height()});
    const QSizeF shown = logical * s;
    const QRectF target(QPointF((width() - shown.width()) / 2, (height() - shown.height()) / 2), shown);
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    p.drawImage(target, m_image);
    p.setPen(QColor(0xb0, 0xb0, 0xb0));
    p.drawRect(target.adjusted(0, 0, -1, -1));
}

} // namespace attnscope
