// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/view_figure.h"

#include "core/attention/attention_spec.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

constexpr double kMinPanelWidthPt = 115.0;   // a heatmap with token labels still reads at this width

} // namespace

QString panelKindForView(ViewKind view)
{
    switch (view) {
    case ViewKind::Overview: return QStringLiteral("overview");
    case ViewKind::Head: return QStringLiteral("head");
    case ViewKind::Token: return QStringLiteral("token");
    case ViewKind::Key: return QStringLiteral("key");
    case ViewKind::Finder: return QStringLiteral("ranking");
    case ViewKind::Differential: return QStringLiteral("differential");
    case ViewKind::Sink: return QStringLiteral("sinks");
    case ViewKind::Compare: return QStringLiteral("compare");
    case ViewKind::Gates: return QStringLiteral("gates");
    }
    return QStringLiteral("head");
}

QVector<PanelSpec> differentialPanels(int layer, int head)
{
    QVector<PanelSpec> out;
    for (const char* q : {"attention.probs", "attention.probs2", "attention.combined"}) {
        PanelSpec p;
        p.kind = QStringLiteral("differential");
        p.quantity = QString::fromLatin1(q);
        p.layer = layer;
        p.head = head;
        out << p;
    }
    return out;
}

QVector<PanelSpec> sinkPanels(const QString& metric)
{
    QVector<PanelSpec> out;
    for (const char* kind : {"sinks", "sink_curves", "hidden_max"}) {
        PanelSpec p;
        p.kind = QString::fromLatin1(kind);
        if (!metric.isEmpty())
            p.extra[QStringLiteral("metric")] = metric;
        out << p;
    }
    return out;
}

QVector<PanelSpec> comparePanels(int layer, int head, const QStringList& variants, int a, int b)
{
    QVector<PanelSpec> out;
    PanelSpec pane;
    pane.kind = QStringLiteral("compare");
    pane.layer = layer;
    pane.head = head;
    out << pane;
    for (const QString& v : variants) {
        pane.variant = v;
        out << pane;
    }
    const int n = static_cast<int>(variants.size());
    if (n > 0 && a != b && a >= 0 && b >= 0 && a <= n && b <= n) {
        PanelSpec d;
        d.kind = QStringLiteral("compare_diff");
        d.layer = layer;
        d.head = head;
        d.variant = a == 0 ? QString() : variants[a - 1];
        d.extra[QStringLiteral("minus")] = b == 0 ? QString() : variants[b - 1];
        out << d;
    }
    if (n > 0) {
        PanelSpec kl;
        kl.kind = QStringLiteral("kl_curve");
        out << kl;
    }
    return out;
}

QStringList canonicalVariants(const QStringList& texts)
{
    QStringList out;
    for (const QString& t : texts) {
        if (t.trimmed().isEmpty())
            continue;
        try {
            out << QString::fromStdString(AttentionSpec::parse(t.trimmed().toStdString()).toString());
        } catch (const std::exception&) {
            // A variant that does not parse has no pane (the workspace refuses to compare it, too).
        }
    }
    return out;
}

FigureSpec panelsFigure(const QVector<PanelSpec>& panels, const FigureStyle& style)
{
    FigureSpec f;
    f.style = style;
    const int n = std::max(1, static_cast<int>(panels.size()));
    // As many columns as fit at about kMinPanelWidthPt each (two at one-column width, three from 5.5 in), at
    // most three; four panels are 2 × 2.
    const int fit = std::clamp(static_cast<int>(style.widthPt / kMinPanelWidthPt), 1, 3);
    f.cols = std::min(fit, n <= 3 ? n : n == 4 ? 2 : 3);
    f.rows = std::min(kMaxGridSide, (n + f.cols - 1) / f.cols);
    f.panels = panels.mid(0, f.rows * f.cols);
    return f;
}

FigureSpec viewPanelsFigure(ViewKind view, const QVector<PanelSpec>& panels, const FigureStyle& style)
{
    FigureSpec f = panelsFigure(panels, style);
    // The sink view's one heatmap keeps its colourbar beside it, not at the end of a row of line charts.
    if (view == ViewKind::Sink)
        f.style.sharing = ScaleSharing::Panel;
    return f;
}

void setVisibleRanges(PanelSpec& p, qint64 t, double yLower, double yUpper, double xLower, double xUpper)
{
    if (t <= 0)
        return;
    auto visible = [t](double lower, double upper, qint64& first, qint64& last) {
        first = std::clamp<qint64>(static_cast<qint64>(std::floor(lower + 0.5)), 0, t - 1);
        last = std::clamp<qint64>(static_cast<qint64>(std::ceil(upper - 0.5)), first, t - 1);
        if (first == 0 && last == t - 1)
            first = last = -1;   // the whole map
    };
    visible(yLower, yUpper, p.queryFirst, p.queryLast);
    visible(xLower, xUpper, p.keyFirst, p.keyLast);
}

FigureSpec viewFigureSpec(ViewKind view, int layer, int head, int query, int key, HeadMetric metric,
                          const ViewSettings& settings, const FigureStyle& style, const QStringList& variants)
{
    FigureStyle st = style;
    st.settings = settings;
    switch (view) {
    case ViewKind::Differential: return viewPanelsFigure(view, differentialPanels(layer, head), st);
    case ViewKind::Sink: return viewPanelsFigure(view, sinkPanels(QString()), st);
    case ViewKind::Compare: {
        // The workspace shows the baseline and at most three variants.
        return viewPanelsFigure(view, comparePanels(layer, head, canonicalVariants(variants).mid(0, 3)), st);
    }
    default: break;
    }
    PanelSpec p;
    p.kind = panelKindForView(view);
    p.layer = layer;
    p.head = head;
    p.query = query;
    p.key = key;
    p.metric = QString::fromUtf8(headMetricId(metric));
    return FigureSpec::single(p, st);
}

FigureSpec viewFigureSpec(const SessionState& s, const FigureStyle& style)
{
    return viewFigureSpec(s.view, s.layer, s.head, s.query, s.key, s.metric, s.settings, style, s.variants);
}

} // namespace attnscope
