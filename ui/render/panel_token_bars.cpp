// "token" panel: the token view's chart — for one query token, its N strongest keys under the selected head
// (in text order, top to bottom) with the layer's mean over heads beside each, as horizontal bars on a shared
// weight axis. Colours are two fixed positions of the figure's colormap (as on screen).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/panel_kinds.h"

#include <algorithm>
#include <numeric>

namespace attnscope {

namespace {

constexpr double kTickLen = 2.0, kGap = 1.5;

class TokenBarsContent final : public PanelContent {
public:
    QStringList labels;                 // "#12 fox" per key, text order
    std::vector<double> head, mean;     // weights per key
    double top = 1;
    QColor headColour, meanColour;
    QString headName, meanName, titleText;

    QString title() const override { return titleText; }
    double aspect() const override { return 0.75; }
    double fixedHeight(const FigureFonts& fonts) const override
    {
        return static_cast<double>(labels.size()) * (2.0 * FigureTextMetrics::height(fonts.tick) * 0.9 + 2.0) + 2.0;
    }
    QVector<double> xTicks() const { return niceTicks(0, top, false); }

    QMarginsF margins(const FigureFonts& fonts, const FigureStyle& style, double) const override
    {
        double left = 0;
        for (const QString& l : labels)
            left = std::max(left, FigureTextMetrics::width(l, fonts.tick));
        double bottom = kTickLen + kGap + FigureTextMetrics::height(fonts.tick);
        if (style.axisLabels)
            bottom += kGap + FigureTextMetrics::height(fonts.label);
        const double legend = FigureTextMetrics::height(fonts.tick) + 3.0;
        return {left + kGap + kTickLen, legend, 0, bottom};
    }

    void draw(FigureCanvas& canvas, const QRectF& plot, const FigureFonts& fonts, const FigureStyle& style,
              const ResolvedScale*, const QString& groupId) const override
    {
        const QColor ink(0x20, 0x20, 0x20);
        const int n = static_cast<int>(labels.size());
        const double slot = plot.height() / std::max(1, n);
        const double bar = slot * 0.4;
        auto xOf = [&](double v) { return plot.left() + plot.width() * std::clamp(v / top, 0.0, 1.0); };
        canvas.beginGroup(groupId + QStringLiteral("-bars"), &plot);
        QVector<QRectF> headBars, meanBars;
        for (int k = 0; k < n; ++k) {
            const double y = plot.top() + k * slot + slot * 0.1;
            headBars.push_back(QRectF(QPointF(plot.left(), y), QPointF(xOf(head[static_cast<size_t>(k)]), y + bar)));
            meanBars.push_back(QRectF(QPointF(plot.left(), y + bar), QPointF(xOf(mean[static_cast<size_t>(k)]), y + 2 * bar)));
        }
        canvas.fillRects(headBars, headColour);
        canvas.fillRects(meanBars, meanColour);
        canvas.endGroup();
        QVector<QLineF> axes = {QLineF(plot.bottomLeft(), plot.bottomRight()), QLineF(plot.topLeft(), plot.bottomLeft())};
        for (int k = 0; k < n; ++k) {
            const double y = plot.top() + (k + 0.5) * slot;
            axes.push_back(QLineF(plot.left() - kTickLen, y, plot.left(), y));
            canvas.text(labels[k], QPointF(plot.left() - kTickLen - kGap, y), fonts.tick, TextAnchor::CenterRight, 0, ink);
        }
        for (double v : xTicks()) {
            const double x = xOf(v);
            axes.push_back(QLineF(x, plot.bottom(), x, plot.bottom() + kTickLen));
            canvas.text(tickText(v), QPointF(x, plot.bottom() + kTickLen + kGap), fonts.tick, TextAnchor::TopCenter, 0, ink);
        }
        canvas.lines(axes, ink, 0.5);
        if (style.axisLabels)
            canvas.text(QStringLiteral("attention weight"),
                        QPointF(plot.center().x(), plot.bottom() + kTickLen + 2 * kGap + FigureTextMetrics::height(fonts.tick)),
                        fonts.label, TextAnchor::TopCenter, 0, ink);
        // Legend above the plot.
        const double sw = FigureTextMetrics::height(fonts.tick) * 0.8;
        const double ly = plot.top() - 2.0 - sw;
        double x = plot.left();
        for (auto [colour, name] : {std::pair{headColour, headName}, std::pair{meanColour, meanName}}) {
            canvas.fillRect(QRectF(x, ly, sw, sw), colour);
            canvas.text(name, QPointF(x + sw + 1.5, ly + sw / 2), fonts.tick, TextAnchor::CenterLeft, 0, ink);
            x += sw + 1.5 + FigureTextMetrics::width(name, fonts.tick) + 6;
        }
    }
};

class TokenBarsKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("token"); }
    QString label() const override { return QStringLiteral("Token view (a query's strongest keys)"); }

    void addNeeds(const PanelSpec& spec, const FigureStyle&, CaptureNeeds& needs) const override
    {
        needs.layers.insert(spec.layer);   // the mean over the layer's heads
    }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const QString where = QStringLiteral("Layer %1 · Head %2").arg(spec.layer).arg(spec.head);
        AttentionMapPtr self = source.map(Quantity::AttentionProbs, spec.layer, spec.head);
        if (!self)
            return placeholderPanel(where, QStringLiteral("not captured in this run"));
        const int n = static_cast<int>(self->tokens);
        const int q = spec.query < 0 || spec.query >= n ? n - 1 : spec.query;
        std::vector<double> head(static_cast<size_t>(n), 0.0), mean(static_cast<size_t>(n), 0.0);
        int count = 0;
        for (const AttentionMapPtr& m : source.captures.layerMaps(Quantity::AttentionProbs, spec.layer, source.heads)) {
            if (!m || m->tokens != n)
                continue;
            for (int j = 0; j < n; ++j)
                if (!m->isMasked(q, j))
                    mean[static_cast<size_t>(j)] += m->at(q, j);
            ++count;
        }
        for (int j = 0; j < n; ++j) {
            head[static_cast<size_t>(j)] = self->isMasked(q, j) ? 0.0 : self->at(q, j);
            mean[static_cast<size_t>(j)] /= std::max(1, count);
        }
        std::vector<int> keys(static_cast<size_t>(n));
        std::iota(keys.begin(), keys.end(), 0);
        const int shown = std::min(std::max(1, spec.topN), n);
        std::partial_sort(keys.begin(), keys.begin() + shown, keys.end(), [&](int a, int b) {
            return head[static_cast<size_t>(a)] > head[static_cast<size_t>(b)] ||
                   (head[static_cast<size_t>(a)] == head[static_cast<size_t>(b)] && a < b);
        });
        keys.resize(static_cast<size_t>(shown));
        std::sort(keys.begin(), keys.end());
        auto c = std::make_shared<TokenBarsContent>();
        c->top = 0;
        const int chars = tokenLabelChars(style) + 4;
        for (int j : keys) {
            c->labels << QStringLiteral("#%1 %2").arg(j).arg(tokenTickLabel(source.tokens, j, chars));
            c->head.push_back(head[static_cast<size_t>(j)]);
            c->mean.push_back(mean[static_cast<size_t>(j)]);
            c->top = std::max({c->top, head[static_cast<size_t>(j)], mean[static_cast<size_t>(j)]});
        }
        const QVector<double> ticks = niceTicks(0, c->top > 0 ? c->top : 1.0, false);
        c->top = ticks.isEmpty() ? 1.0 : std::max(c->top, ticks.back());
        const Lut& lut = colormapLut(style.settings.colormap);
        c->headColour = QColor::fromRgb(lut[80]);
        c->meanColour = QColor::fromRgb(lut[200]);
        c->headName = QStringLiteral("head %1").arg(spec.head);
        c->meanName = QStringLiteral("mean over %1 heads").arg(count);
        c->titleText = QStringLiteral("Query #%1 “%2” · layer %3").arg(q).arg(tokenTickLabel(source.tokens, q, 16)).arg(spec.layer);
        return c;
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeTokenBarsPanelKind()
{
    return std::make_shared<TokenBarsKind>();
}

} // namespace attnscope
