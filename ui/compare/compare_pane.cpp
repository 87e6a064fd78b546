// ComparePane: render jobs for one map, re-pooling on zoom, value text for the footer.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/compare_pane.h"

#include "ui/background_job.h"
#include "ui/compare/compare_plot.h"

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr int kHiddenPixels = 512;   // pool as for a typical pane until the real size is known

struct PaneImage {
    ColourisedGrid image;
    PoolWindow window;
};

} // namespace

ComparePane::ComparePane(QWidget* parent)
    : QWidget(parent)
    , m_plot(new ComparePlot(this))
    , m_header(new QLabel(this))
    , m_value(new QLabel(this))
{
    setObjectName(QStringLiteral("comparePane"));
    m_header->setTextFormat(Qt::PlainText);
    m_header->setWordWrap(false);
    // Long specs must not widen the window: the header clips (the tooltip has the whole text).
    m_header->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont bold = m_header->font();
    bold.setBold(true);
    m_header->setFont(bold);
    m_value->setTextFormat(Qt::PlainText);
    m_value->setMinimumHeight(m_value->fontMetrics().height() + 4);
    m_value->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addWidget(m_header);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_value);
    setFocusProxy(m_plot);
    // The plot's own minimum follows its title text; panes share the row, so they may be narrower than that.
    m_plot->setMinimumSize(160, 160);
    m_windowTimer.setSingleShot(true);
    m_windowTimer.setInterval(60);
    connect(&m_windowTimer, &QTimer::timeout, this, &ComparePane::checkWindow);
    connect(m_plot, &AttentionPlot::viewChanged, this, [this] { m_windowTimer.start(); });
}

void ComparePane::setHeader(const QString& text, const QString& tooltip)
{
    m_header->setText(text);
    m_header->setToolTip(tooltip.isEmpty() ? text : tooltip);
}

void ComparePane::setTokens(TokenRowsPtr tokens)
{
    m_plot->setTokens(std::move(tokens));
}

void ComparePane::setSource(const HeatmapSource& source, const ViewSettings& settings, double rangeMax,
                            const QString& title, const QString& colorbar)
{
    m_source = source;
    m_pooled.reset();
    m_settings = settings;
    m_rangeMax = rangeMax;
    m_title = title;
    m_colorbar = colorbar;
    ++m_generation;
    requestRender();
}

void ComparePane::setPooledGrid(std::shared_ptr<const ValueGrid> grid, int64_t tokens, bool isSigned,
                                const ViewSettings& settings, double rangeMax, const QString& title,
                                const QString& colorbar, const QString& what)
{
    m_source = {};
    m_source.pooledTokens = tokens;
    m_source.pooledSigned = isSigned;
    m_pooled = std::move(grid);
    m_pooledWhat = what;
    m_settings = settings;
    m_rangeMax = rangeMax;
    m_title = title;
    m_colorbar = colorbar;
    ++m_generation;
    // At most 256² cells: colourised here, drawn whole (zooming in enlarges the cells).
    ViewSettings colour = settings;
    colour.normalisation = Normalisation::Global;
    const ColourisedGrid image = colouriseGrid(*m_pooled, colour, isSigned, rangeMax > 0 ? rangeMax : 1.0);
    m_plot->setHeatmap(m_source, image, m_pooled->window, settings, title);
    m_plot->setColorbarLabel(colorbar);
    const QPoint c = m_plot->crosshair();
    m_plot->setCrosshair(c.x(), c.y());
    m_plot->replot();
    m_shownGeneration = m_generation;
    emit rendered();
}

void ComparePane::clear(const QString& message)
{
    m_source = {};
    m_pooled.reset();
    ++m_generation;
    m_shownGeneration = 0;
    m_plot->clearHeatmap(message);
    m_plot->setCrosshair(-1, -1);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_value->clear();
}

PoolWindow ComparePane::wantedWindow(int64_t tokens) const
{
    QSize px = m_plot->dataAreaPixels();
    if (!m_plot->isVisible() || px.width() < 32 || px.height() < 32)
        px = QSize(kHiddenPixels, kHiddenPixels);
    if (tokens != m_plot->cells()) {
        const double n = static_cast<double>(tokens);
        return windowFor(tokens, -0.5, n - 0.5, -0.5, n - 0.5, px.width(), px.height());
    }
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    return windowFor(tokens, x.lower, x.upper, y.lower, y.upper, px.width(), px.height());
}

void ComparePane::checkWindow()
{
    if (m_jobRunning || !isShown() || m_pooled || m_plot->cells() <= 0)
        return;
    const int64_t t = m_plot->cells();
    const PoolWindow want = wantedWindow(t);
    const PoolWindow& have = m_plot->window();
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    const auto cell = [t](double v) { return std::clamp<int64_t>(static_cast<int64_t>(std::lround(v)), 0, t - 1); };
    if (!have.covers(cell(x.lower), cell(x.upper), cell(y.lower), cell(y.upper)) || want.poolX != have.poolX ||
        want.poolY != have.poolY) {
        ++m_generation;   // same source, new window
        requestRender();
    }
}

void ComparePane::requestRender()
{
    if (m_jobRunning) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    if (!m_source.map)
        return;
    const HeatmapSource source = m_source;
    const ViewSettings settings = m_settings;
    const PoolWindow window = wantedWindow(source.tokens());
    const double rangeMax = m_rangeMax;
    const quint64 gen = m_generation;
    m_jobRunning = true;
    runInBackground(this, [source, settings, window, rangeMax]() {
        PaneImage r;
        r.window = window;
        const bool isSigned = source.isSigned();
        const bool perRow = settings.normalisation == Normalisation::PerRow && !isSigned;
        const ValueGrid grid = poolWindow(source, window, settings.pooling, perRow);
        ViewSettings colour = settings;
        colour.normalisation = Normalisation::Global;   // rows were divided by their maxima while pooling
        const double range = perRow ? 1.0 : rangeMax > 0 ? rangeMax : maxMagnitude(source);
        r.image = colouriseGrid(grid, colour, isSigned, range > 0 ? range : 1.0);
        return r;
    }, [this, gen, source, settings](PaneImage r) {
        m_jobRunning = false;
        if (gen == m_generation && source.map == m_source.map) {
            m_plot->setHeatmap(source, r.image, r.window, settings, m_title);
            m_plot->setColorbarLabel(m_colorbar);
            const QPoint c = m_plot->crosshair();
            m_plot->setCrosshair(c.x(), c.y());
            m_plot->replot();
            m_shownGeneration = gen;
            emit rendered();
        }
        if (m_dirty || gen != m_generation)
            requestRender();
        else
            m_windowTimer.start();   // the zoom may have moved while this job ran
    });
}

QString ComparePane::valueText(int query, int key) const
{
    if (m_pooled) {
        const int64_t T = m_source.pooledTokens, p = std::max(1, m_pooled->pool);
        if (query < 0 || key < 0 || query >= T || key >= T)
            return {};
        const int r = static_cast<int>(query / p), c = static_cast<int>(key / p);
        if (r >= m_pooled->rows || c >= m_pooled->cols)
            return {};
        const float v = m_pooled->at(r, c);
        const QString cell = tr("cell q %1–%2 × k %3–%4").arg(r * p).arg(std::min(T, (r + 1) * p) - 1).arg(c * p)
                                 .arg(std::min(T, (c + 1) * p) - 1);
        if (std::isnan(v))
            return tr("%1: masked").arg(cell);
        const QString num = (m_source.pooledSigned && v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'g', 4);
        return tr("%1 %2: %3").arg(m_pooledWhat, cell, num);
    }
    const AttentionMapPtr& m = m_source.map;
    if (!m || query < 0 || key < 0 || query >= m->tokens || key >= m->tokens)
        return {};
    if (m->isMaskedRow(query))
        return tr("row fully masked");
    if (m->isMasked(query, key)) {
        const std::string why = m->mask.maskedReason(query, key);
        return why.empty() ? tr("masked") : tr("masked (%1)").arg(QString::fromStdString(why));
    }
    const float v = m->at(query, key);
    if (m_source.isSigned())
        return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'g', 4);
    return QString::number(v, 'g', 4);
}

void ComparePane::showHover(int query, int key)
{
    m_plot->setCrosshair(query, key);
    if (query < 0 || key < 0) {
        m_value->clear();
        return;
    }
    m_value->setText(QStringLiteral("q %1 → k %2: %3").arg(query).arg(key).arg(valueText(query, key)));
}

} // namespace attnscope
