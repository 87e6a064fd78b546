// Figure layout: columns, margins that fit the labels, row heights from the panels' aspects, shared colour
// scales and their colourbars, letters and title.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_renderer.h"

#include "ui/render/figure_colorbar.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace attnscope {

namespace {

constexpr double kOuter = 2.0;        // page margin
constexpr double kGutterX = 8.0;      // between columns
constexpr double kGutterY = 6.0;      // between rows
constexpr double kBarGap = 6.0;       // between the grid (or a plot) and its colourbar
constexpr double kHeaderGap = 2.0;    // below a panel's title line
constexpr double kMinPlot = 12.0;

QString panelLetter(int i)
{
    QString s;
    do {
        s.prepend(QChar(QLatin1Char('a').unicode() + i % 26));
        i = i / 26 - 1;
    } while (i >= 0);
    return QStringLiteral("(%1)").arg(s);
}

QString elide(const QString& s, const QFont& font, double width)
{
    if (width <= 0)
        return {};
    if (FigureTextMetrics::width(s, font) <= width)
        return s;
    QString t = s;
    while (t.size() > 1 && FigureTextMetrics::width(t + QChar(0x2026), font) > width)
        t.chop(1);
    return t + QChar(0x2026);
}

} // namespace

FigureRenderer::FigureRenderer(const FigureSpec& spec, FigureSourcePtr source)
    : m_spec(spec)
    , m_source(std::move(source))
    , m_fonts(FigureFonts::fromStyle(spec.style))
{
    m_spec.rows = std::clamp(m_spec.rows, 1, kMaxGridSide);
    m_spec.cols = std::clamp(m_spec.cols, 1, kMaxGridSide);
    const FigureSource empty;
    const FigureSource& src = m_source ? *m_source : empty;
    const int count = std::min<int>(static_cast<int>(m_spec.panels.size()), m_spec.rows * m_spec.cols);
    int drawn = 0;
    for (int i = 0; i < count; ++i)
        drawn += m_spec.panels[i].kind.isEmpty() ? 0 : 1;
    const bool letters = m_spec.style.panelLetters && drawn > 1;
    int letter = 0;
    for (int i = 0; i < count; ++i) {
        const PanelSpec& ps = m_spec.panels[i];
        if (ps.kind.isEmpty())
            continue;   // an empty grid cell
        Panel p;
        p.index = i;
        p.row = i / m_spec.cols;
        p.col = i % m_spec.cols;
        auto kind = panelKind(ps.kind);
        p.content = kind ? kind->prepare(ps, src, m_spec.style)
                         : placeholderPanel(ps.kind, QStringLiteral("unknown panel kind '%1'").arg(ps.kind));
        p.letter = letters ? panelLetter(letter++) : QString();
        if (m_spec.style.panelTitles && ps.title != QLatin1String("-"))
            p.title = ps.title.isEmpty() ? p.content->title() : ps.title;
        m_panels.push_back(std::move(p));
    }
    layout();
}

qint64 FigureRenderer::cells() const
{
    qint64 n = 0;
    for (const Panel& p : m_panels)
        n += p.content->cells();
    return n;
}

QStringList FigureRenderer::problems() const
{
    QStringList out;
    for (const Panel& p : m_panels)
        if (!p.content->problem.isEmpty())
            out << QStringLiteral("%1%2: %3").arg(p.letter.isEmpty() ? QString() : p.letter + QLatin1Char(' '),
                                                 p.content->title(), p.content->problem);
    return out;
}

void FigureRenderer::layout()
{
    const FigureStyle& st = m_spec.style;
    const int rows = m_spec.rows, cols = m_spec.cols;
    const double width = std::clamp(st.widthPt, kMinWidthPt, kMaxWidthPt);

    // ---- colour scale groups ----
    std::map<QString, int> groupOf;
    for (Panel& p : m_panels) {
        const auto s = p.content->colourScale();
        if (!s)
            continue;
        QString key = s->key;
        if (st.sharing == ScaleSharing::Row)
            key += QStringLiteral("@row%1").arg(p.row);
        else if (st.sharing == ScaleSharing::Panel)
            key += QStringLiteral("@panel%1").arg(p.index);
        auto it = groupOf.find(key);
        if (it == groupOf.end()) {
            it = groupOf.emplace(key, static_cast<int>(m_bars.size())).first;
            m_bars.push_back({*s, {s->low, s->high}, {}});
        } else {
            ResolvedScale& r = m_bars[static_cast<size_t>(it->second)].range;
            r.low = std::min(r.low, s->low);
            r.high = std::max(r.high, s->high);
            if (s->isSigned) {
                const double m = std::max(std::fabs(r.low), std::fabs(r.high));
                r = {-m, m};
            }
        }
        p.scaleGroup = it->second;
    }
    const bool showBars = st.colorbar && !m_bars.empty();
    auto barWidth = [&](int g) {
        const Colourbar& b = m_bars[static_cast<size_t>(g)];
        return colourbarWidth(b.scale, b.range, m_fonts, 0);
    };

    // ---- columns ----
    double sideBars = 0;   // the colourbar column right of the grid (figure or row sharing)
    std::vector<double> panelBar(m_panels.size(), 0.0);
    if (showBars) {
        for (size_t i = 0; i < m_panels.size(); ++i) {
            if (m_panels[i].scaleGroup < 0)
                continue;
            const double w = barWidth(m_panels[i].scaleGroup) + kBarGap;
            if (st.sharing == ScaleSharing::Panel)
                panelBar[i] = w;
            else
                sideBars = std::max(sideBars, w);
        }
    }
    m_titleHeight = st.title.isEmpty() ? 0.0 : FigureTextMetrics::height(m_fonts.title) + 3.0;
    const double gridWidth = width - 2 * kOuter - sideBars;
    const double colWidth = std::max(kMinPlot, (gridWidth - (cols - 1) * kGutterX) / cols);
    std::vector<double> left(static_cast<size_t>(cols), 0.0), right(static_cast<size_t>(cols), 0.0), plotW(static_cast<size_t>(cols), colWidth);
    // Two passes: the labels' room depends on the plot size (thinning), the plot size on the labels' room.
    for (int pass = 0; pass < 2; ++pass) {
        std::fill(left.begin(), left.end(), 0.0);
        std::fill(right.begin(), right.end(), 0.0);
        for (size_t i = 0; i < m_panels.size(); ++i) {
            const Panel& p = m_panels[i];
            const QMarginsF m = p.content->margins(m_fonts, st, pass == 0 ? colWidth * 0.7 : plotW[static_cast<size_t>(p.col)]);
            left[static_cast<size_t>(p.col)] = std::max(left[static_cast<size_t>(p.col)], m.left());
            right[static_cast<size_t>(p.col)] = std::max(right[static_cast<size_t>(p.col)], m.right() + panelBar[i]);
        }
        for (int c = 0; c < cols; ++c)
            plotW[static_cast<size_t>(c)] = std::max(kMinPlot, colWidth - left[static_cast<size_t>(c)] - right[static_cast<size_t>(c)]);
    }

    // ---- rows ----
    const double header = (st.panelTitles || (st.panelLetters && m_panels.size() > 1)) ? std::max(FigureTextMetrics::height(m_fonts.label), FigureTextMetrics::height(m_fonts.letter)) + kHeaderGap : 0.0;
    std::vector<double> rowTop(static_cast<size_t>(rows), 0.0), rowHeight(static_cast<size_t>(rows), 0.0);
    std::vector<double> rowMarginTop(static_cast<size_t>(rows), 0.0), rowPlotH(static_cast<size_t>(rows), 0.0);
    std::vector<QMarginsF> margins(m_panels.size());
    for (size_t i = 0; i < m_panels.size(); ++i) {
        const Panel& p = m_panels[i];
        margins[i] = p.content->margins(m_fonts, st, plotW[static_cast<size_t>(p.col)]);
        rowMarginTop[static_cast<size_t>(p.row)] = std::max(rowMarginTop[static_cast<size_t>(p.row)], margins[i].top());
    }
    std::vector<double> plotH(m_panels.size(), 0.0);
    std::vector<double> rowBottom(static_cast<size_t>(rows), 0.0);
    for (size_t i = 0; i < m_panels.size(); ++i) {
        const Panel& p = m_panels[i];
        const double fixed = p.content->fixedHeight(m_fonts);
        plotH[i] = std::max(kMinPlot, fixed > 0 ? fixed : plotW[static_cast<size_t>(p.col)] * p.content->aspect());
        rowPlotH[static_cast<size_t>(p.row)] = std::max(rowPlotH[static_cast<size_t>(p.row)], plotH[i]);
        rowBottom[static_cast<size_t>(p.row)] = std::max(rowBottom[static_cast<size_t>(p.row)], margins[i].bottom());
    }
    double y = kOuter + m_titleHeight;
    for (int r = 0; r < rows; ++r) {
        rowTop[static_cast<size_t>(r)] = y;
        rowHeight[static_cast<size_t>(r)] = header + rowMarginTop[static_cast<size_t>(r)] + rowPlotH[static_cast<size_t>(r)] + rowBottom[static_cast<size_t>(r)];
        y += rowHeight[static_cast<size_t>(r)] + (r + 1 < rows ? kGutterY : 0.0);
    }
    // Rows with no panel at all collapse.
    double page = y + kOuter;
    // Whole points: page sizes read back exactly (pdfinfo, viewBox) and PNG pixel sizes are page × dpi / 72.
    m_page = QSizeF(width, std::ceil(page - 1e-6));

    for (size_t i = 0; i < m_panels.size(); ++i) {
        Panel& p = m_panels[i];
        const double x0 = kOuter + p.col * (colWidth + kGutterX);
        p.cell = QRectF(x0, rowTop[static_cast<size_t>(p.row)], colWidth, rowHeight[static_cast<size_t>(p.row)]);
        const double top = rowTop[static_cast<size_t>(p.row)] + header + rowMarginTop[static_cast<size_t>(p.row)];
        p.plot = QRectF(x0 + left[static_cast<size_t>(p.col)], top, plotW[static_cast<size_t>(p.col)], plotH[i]);
    }

    // ---- colourbars ----
    if (!showBars)
        return;   // the scales are still shared; no bar is drawn (areas stay empty)
    if (st.sharing == ScaleSharing::Panel) {
        for (const Panel& p : m_panels)
            if (p.scaleGroup >= 0)
                m_bars[static_cast<size_t>(p.scaleGroup)].area =
                    QRectF(p.plot.right() + kBarGap, p.plot.top(), barWidth(p.scaleGroup), p.plot.height());
        return;
    }
    // Figure or row sharing: each bar spans the plots that use it (a row's, or the rows its panels are in); bars
    // whose spans overlap share the union of their spans, top to bottom.
    const double barX = kOuter + gridWidth + kBarGap;
    struct Span {
        int group;
        double top, bottom;
    };
    std::vector<Span> spans;
    for (const Panel& p : m_panels) {
        if (p.scaleGroup < 0)
            continue;
        auto it = std::find_if(spans.begin(), spans.end(), [&](const Span& sp) { return sp.group == p.scaleGroup; });
        if (it == spans.end())
            spans.push_back({p.scaleGroup, p.plot.top(), p.plot.bottom()});
        else {
            it->top = std::min(it->top, p.plot.top());
            it->bottom = std::max(it->bottom, p.plot.bottom());
        }
    }
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.top < b.top; });
    for (size_t i = 0; i < spans.size();) {
        // A cluster of spans that overlap one another.
        size_t j = i + 1;
        double top = spans[i].top, bottom = spans[i].bottom;
        while (j < spans.size() && spans[j].top < bottom) {
            bottom = std::max(bottom, spans[j].bottom);
            ++j;
        }
        const double gap = 6.0;
        const double each = (bottom - top - gap * static_cast<double>(j - i - 1)) / static_cast<double>(j - i);
        double yy = top;
        for (size_t k = i; k < j; ++k) {
            m_bars[static_cast<size_t>(spans[k].group)].area = QRectF(barX, yy, barWidth(spans[k].group), std::max(kMinPlot, each));
            yy += each + gap;
        }
        i = j;
    }
}

void FigureRenderer::paint(FigureCanvas& canvas) const
{
    const FigureStyle& st = m_spec.style;
    const QColor ink(0x20, 0x20, 0x20);
    if (!st.title.isEmpty())
        canvas.text(elide(st.title, m_fonts.title, m_page.width() - 2 * kOuter), QPointF(m_page.width() / 2, kOuter),
                    m_fonts.title, TextAnchor::TopCenter, 0, ink);
    for (const Panel& p : m_panels) {
        const QString id = p.letter.isEmpty() ? QStringLiteral("panel%1").arg(p.index)
                                              : QStringLiteral("panel-%1").arg(p.letter.mid(1, p.letter.size() - 2));
        canvas.beginGroup(id, nullptr);
        const double headerY = p.cell.top();
        double titleLeft = p.cell.left();
        if (!p.letter.isEmpty()) {
            canvas.text(p.letter, QPointF(p.cell.left(), headerY), m_fonts.letter, TextAnchor::TopLeft, 0, ink);
            titleLeft += FigureTextMetrics::width(p.letter, m_fonts.letter) + 3.0;
        }
        if (!p.title.isEmpty()) {
            const double avail = p.cell.right() - titleLeft;
            const QString t = elide(p.title, m_fonts.label, avail);
            const double w = FigureTextMetrics::width(t, m_fonts.label);
            // Centred over the plot unless that would run into the letter or past the cell.
            const double x = std::clamp(p.plot.center().x() - w / 2, titleLeft, std::max(titleLeft, p.cell.right() - w));
            canvas.text(t, QPointF(x, headerY + (FigureTextMetrics::height(m_fonts.letter) - FigureTextMetrics::height(m_fonts.label))),
                        m_fonts.label, TextAnchor::TopLeft, 0, ink);
        }
        const ResolvedScale* range = p.scaleGroup >= 0 && p.scaleGroup < static_cast<int>(m_bars.size())
                                         ? &m_bars[static_cast<size_t>(p.scaleGroup)].range : nullptr;
        p.content->draw(canvas, p.plot, m_fonts, st, range, id);
        canvas.endGroup();
    }
    for (size_t g = 0; g < m_bars.size(); ++g) {
        const Colourbar& b = m_bars[g];
        if (b.area.isEmpty())
            continue;
        drawColourbar(canvas, b.area, b.scale, b.range, m_fonts, QStringLiteral("colourbar%1").arg(g));
    }
}

} // namespace attnscope
