// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/view_figure.h"

namespace attnscope {

QString panelKindForView(ViewKind view)
{
    switch (view) {
    case ViewKind::Overview: return QStringLiteral("overview");
    case ViewKind::Head: return QStringLiteral("head");
    case ViewKind::Token: return QStringLiteral("token");
    case ViewKind::Key: return QStringLiteral("key");
    case ViewKind::Finder: return QStringLiteral("ranking");
    }
    return QStringLiteral("head");
}

FigureSpec viewFigureSpec(ViewKind view, int layer, int head, int query, int key, HeadMetric metric,
                          const ViewSettings& settings, const FigureStyle& style)
{
    PanelSpec p;
    p.kind = panelKindForView(view);
    p.layer = layer;
    p.head = head;
    p.query = query;
    p.key = key;
    p.metric = QString::fromUtf8(headMetricId(metric));
    FigureStyle st = style;
    st.settings = settings;
    return FigureSpec::single(p, st);
}

FigureSpec viewFigureSpec(const SessionState& s, const FigureStyle& style)
{
    return viewFigureSpec(s.view, s.layer, s.head, s.query, s.key, s.metric, s.settings, style);
}

} // namespace attnscope
