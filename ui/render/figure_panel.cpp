// Panel kind registry, the placeholder panel, and drawing helpers shared by the kinds.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_panel.h"

#include "ui/render/figure_fonts.h"
#include "ui/render/panel_kinds.h"

#include <QHash>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

namespace attnscope {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<QString, std::shared_ptr<const PanelKind>> kinds;
    bool builtins = false;
};

Registry& registry()
{
    static Registry r;
    return r;
}

void ensureBuiltins(Registry& r)
{
    if (r.builtins)
        return;
    r.builtins = true;
    // The built-in kinds. A new view adds its kind here (or calls registerPanelKind at start-up).
    for (auto& k : builtinPanelKinds())
        r.kinds[k->id()] = std::move(k);
}

class PlaceholderPanel final : public PanelContent {
public:
    PlaceholderPanel(QString title, QString reason) : m_title(std::move(title)) { problem = std::move(reason); }
    QString title() const override { return m_title; }
    QMarginsF margins(const FigureFonts&, const FigureStyle&, double) const override { return {}; }
    double aspect() const override { return 0.6; }
    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle&, const ResolvedScale*,
              const QString&) const override
    {
        canvas.strokeRect(plot, QColor(0xa0, 0xa0, 0xa0), 0.5);
        canvas.text(problem, plot.center(), fonts.tick, TextAnchor::Center, 0, QColor(0x60, 0x60, 0x60));
    }

private:
    QString m_title;
};

} // namespace

FigureFonts FigureFonts::fromStyle(const FigureStyle& style)
{
    const QString family = style.fontFamily.isEmpty() ? figureFontFamily() : style.fontFamily;
    auto make = [&](double pt) {
        QFont f(family);
        f.setPointSizeF(std::max(3.0, pt));
        f.setHintingPreference(QFont::PreferNoHinting);
        f.setKerning(false);   // identical advances in every backend (SVG viewers do not kern the same way)
        return f;
    };
    FigureFonts f;
    f.label = make(style.fontPt);
    f.tick = make(style.fontPt - 1.0);
    f.title = make(style.fontPt + 1.0);
    f.letter = make(style.fontPt + 1.0);
    f.cell = make(style.fontPt - 2.0);
    return f;
}

void registerPanelKind(std::shared_ptr<const PanelKind> kind)
{
    if (!kind)
        return;
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    ensureBuiltins(r);
    r.kinds[kind->id()] = std::move(kind);
}

std::shared_ptr<const PanelKind> panelKind(const QString& id)
{
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    ensureBuiltins(r);
    auto it = r.kinds.find(id);
    return it == r.kinds.end() ? nullptr : it->second;
}

QStringList panelKindIds()
{
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    ensureBuiltins(r);
    QStringList ids;
    for (const auto& [id, k] : r.kinds)
        ids << id;
    return ids;
}

PanelContentPtr placeholderPanel(const QString& title, const QString& reason)
{
    return std::make_shared<PlaceholderPanel>(title, reason);
}

void drawMaskedHatch(FigureCanvas& canvas, const QRectF& r)
{
    canvas.fillRect(r, maskedBackground());
    // 45° lines every `step` points, clipped to r analytically (no clip path needed on any target).
    const double step = 2.5;
    QVector<QLineF> lines;
    const double w = r.width(), h = r.height();
    for (double s = step / 2; s < w + h; s += step) {
        // The line x + y = s in rect-local coordinates (y down): from (s, 0) towards (0, s), clipped.
        QPointF a(std::min(s, w), s - std::min(s, w));
        QPointF b(s - std::min(s, h), std::min(s, h));
        lines.push_back(QLineF(r.topLeft() + a, r.topLeft() + b));
    }
    canvas.lines(lines, maskedHatch(), 0.35);
}

void drawCellGrid(FigureCanvas& canvas, const QRectF& plot, const QImage& cells, bool vector)
{
    if (cells.isNull() || cells.width() <= 0 || cells.height() <= 0)
        return;
    if (!vector) {
        canvas.image(plot, cells);
        return;
    }
    const int cols = cells.width(), rows = cells.height();
    const QImage img = cells.format() == QImage::Format_ARGB32 ? cells : cells.convertToFormat(QImage::Format_ARGB32);
    // Rows top to bottom, runs left to right, each run reaching one cell further right and down where that cell
    // is drawn later anyway: viewers that anti-alias each rectangle then blend an edge with the neighbour's
    // colour, never with the backdrop, so no seams appear between cells (cells next to masked ones keep their
    // exact extent, so no colour spills into a masked cell).
    QVector<CellRun> runs;
    for (int r = 0; r < rows; ++r) {
        const auto* line = reinterpret_cast<const QRgb*>(img.constScanLine(r));
        const auto* below = r + 1 < rows ? reinterpret_cast<const QRgb*>(img.constScanLine(r + 1)) : nullptr;
        int c = 0;
        while (c < cols) {
            const QRgb v = line[c];
            int e = c + 1;
            while (e < cols && line[e] == v)
                ++e;
            if (qAlpha(v) != 0) {
                const bool right = e < cols && qAlpha(line[e]) != 0;
                const int end = e + (right ? 1 : 0);
                bool down = below != nullptr;
                for (int k = c; down && k < end; ++k)
                    down = qAlpha(below[k]) != 0;
                runs.push_back({c, r, end - c, down ? 2 : 1, v});
            }
            c = e;
        }
    }
    canvas.cellRuns(plot, cols, rows, runs);
}

QRgb scaleColour(const ColourScale& s, const ResolvedScale& r, double v)
{
    const Lut& lut = colormapLut(s.isSigned ? Colormap::Diverging : s.colormap);
    double t = 0;
    if (s.isSigned) {
        const double m = std::max(std::fabs(r.low), std::fabs(r.high));
        t = m > 0 ? 0.5 + 0.5 * v / m : 0.5;
    } else if (s.scale == ScaleKind::Log) {
        const double lo = std::max(r.low, 1e-30), hi = std::max(r.high, lo * 1.0000001);
        t = v <= lo ? 0.0 : (std::log(std::min(v, hi)) - std::log(lo)) / (std::log(hi) - std::log(lo));
    } else {
        const double span = r.high - r.low;
        t = span > 0 ? (v - r.low) / span : 0.0;
        if (s.scale == ScaleKind::Power)
            t = std::pow(std::clamp(t, 0.0, 1.0), s.gamma);
    }
    const int idx = std::clamp(static_cast<int>(std::floor(std::clamp(t, 0.0, 1.0) * 256.0)), 0, 255);
    return lut[static_cast<size_t>(idx)];
}

double maxTextWidth(const QStringList& texts, const QFont& font)
{
    double w = 0;
    for (const QString& t : texts)
        w = std::max(w, FigureTextMetrics::width(t, font));
    return w;
}

QMarginsF tickedAxisMargins(double leftLabels, double bottomLabels, double tickLen, double gap, const FigureFonts& fonts,
                            const FigureStyle& style)
{
    double left = leftLabels, bottom = bottomLabels;
    left += tickLen + gap;
    bottom += tickLen + gap;
    if (style.axisLabels) {
        left += FigureTextMetrics::height(fonts.label) + gap;
        bottom += FigureTextMetrics::height(fonts.label) + gap;
    }
    return {left, 0, 0, bottom};
}

AxisTicks thinTicks(qint64 first, qint64 count, double length, const QFont& font, const std::function<QString(qint64)>& label)
{
    AxisTicks t;
    if (count <= 0 || length <= 0)
        return t;
    const double line = FigureTextMetrics::height(font) + 0.5;
    const qint64 fit = std::max<qint64>(1, static_cast<qint64>(std::floor(length / line)));
    const qint64 stride = std::max<qint64>(1, (count + fit - 1) / fit);
    // Multiples of the stride (position 0, 5, 10, …), so the labels are round numbers when thinned.
    const qint64 start = (first + stride - 1) / stride * stride;
    for (qint64 p = start; p < first + count; p += stride) {
        t.positions.push_back(static_cast<int>(p));
        t.texts.push_back(label(p));
    }
    return t;
}

QString tokenTickLabel(const QStringList& tokens, qint64 i, int maxChars)
{
    if (i < 0 || i >= tokens.size())
        return QString::number(i);
    QString s = tokens[static_cast<int>(i)];
    s.replace(QLatin1Char('\n'), QChar(0x21B5));
    if (s.size() > maxChars)
        s = s.left(std::max(1, maxChars - 1)) + QChar(0x2026);
    return s;
}

int tokenLabelChars(const FigureStyle& style)
{
    return style.widthPt <= 260 ? 8 : style.widthPt <= 420 ? 10 : 12;
}

QVector<double> niceTicks(double lo, double hi, bool log)
{
    QVector<double> out;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi))
        return {lo};
    if (log) {
        const int a = static_cast<int>(std::ceil(std::log10(std::max(lo, 1e-30)) - 1e-9));
        const int b = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
        const int stride = std::max(1, (b - a + 1 + 4) / 5);
        for (int e = a; e <= b; e += stride)
            out.push_back(std::pow(10.0, e));
        if (out.isEmpty())
            out = {lo, hi};
        return out;
    }
    const double span = hi - lo;
    const double raw = span / 4.0;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (span / step <= 5.0)
            break;
    }
    const double start = std::ceil(lo / step - 1e-9) * step;
    for (double v = start; v <= hi + step * 1e-9; v += step)
        out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    return out;
}

QString tickText(double v)
{
    if (v == 0)
        return QStringLiteral("0");
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e4)   // 'g' would print 1000 as "1e+03": whole numbers from 100 up in full
        return a >= 100 ? QString::number(v, 'f', 0) : QString::number(v, 'g', 3);
    const int e = static_cast<int>(std::floor(std::log10(a) + 1e-9));
    const double m = v / std::pow(10.0, e);
    // Exponents as superscripts (DejaVu Sans has them): 10⁻³.
    static const QChar digits[10] = {QChar(0x2070), QChar(0x00B9), QChar(0x00B2), QChar(0x00B3), QChar(0x2074),
                                     QChar(0x2075), QChar(0x2076), QChar(0x2077), QChar(0x2078), QChar(0x2079)};
    QString exp;
    for (QChar ch : QString::number(e))
        exp += ch == QLatin1Char('-') ? QChar(0x207B) : digits[ch.digitValue()];
    return std::fabs(m - 1.0) < 1e-9 ? QStringLiteral("10") + exp
                                     : QStringLiteral("%1·10%2").arg(QString::number(m, 'g', 2), exp);
}

} // namespace attnscope
