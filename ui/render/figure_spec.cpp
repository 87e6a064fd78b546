// FigureSpec <-> JSON for sessions and the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/figure_spec.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

const QString kKind = QStringLiteral("kind");

double clampNumber(const QJsonValue& v, double fallback, double lo, double hi)
{
    const double d = v.toDouble(fallback);
    return std::isfinite(d) ? std::clamp(d, lo, hi) : fallback;
}

int clampInt(const QJsonValue& v, int fallback, int lo, int hi)
{
    return static_cast<int>(clampNumber(v, fallback, lo, hi));
}

qint64 clampInt64(const QJsonValue& v, qint64 fallback, qint64 lo, qint64 hi)
{
    return static_cast<qint64>(clampNumber(v, static_cast<double>(fallback), static_cast<double>(lo), static_cast<double>(hi)));
}

QString shortString(const QJsonValue& v, const QString& fallback, int maxChars = 256)
{
    return v.isString() ? v.toString().left(maxChars) : fallback;
}

} // namespace

const PanelSpec* FigureSpec::panelAt(int row, int col) const
{
    const int i = row * cols + col;
    return row >= 0 && col >= 0 && col < cols && i >= 0 && i < panels.size() ? &panels[i] : nullptr;
}

FigureSpec FigureSpec::single(const PanelSpec& panel, const FigureStyle& style)
{
    FigureSpec f;
    f.rows = f.cols = 1;
    f.panels = {panel};
    f.style = style;
    return f;
}

QString scaleSharingId(ScaleSharing s)
{
    switch (s) {
    case ScaleSharing::Figure: return QStringLiteral("figure");
    case ScaleSharing::Row: return QStringLiteral("row");
    case ScaleSharing::Panel: return QStringLiteral("panel");
    }
    return QStringLiteral("figure");
}

QJsonObject toJson(const PanelSpec& p)
{
    QJsonObject o;
    o[kKind] = p.kind;
    if (!p.model.isEmpty())
        o[QStringLiteral("model")] = p.model;
    if (!p.variant.isEmpty())
        o[QStringLiteral("variant")] = p.variant;
    o[QStringLiteral("quantity")] = p.quantity;
    o[QStringLiteral("layer")] = p.layer;
    o[QStringLiteral("head")] = p.head;
    o[QStringLiteral("query")] = p.query;
    o[QStringLiteral("key")] = p.key;
    o[QStringLiteral("metric")] = p.metric;
    o[QStringLiteral("top_n")] = p.topN;
    o[QStringLiteral("layers")] = QJsonArray{p.layerFirst, p.layerLast};
    o[QStringLiteral("query_range")] = QJsonArray{static_cast<double>(p.queryFirst), static_cast<double>(p.queryLast)};
    o[QStringLiteral("key_range")] = QJsonArray{static_cast<double>(p.keyFirst), static_cast<double>(p.keyLast)};
    if (!p.title.isEmpty())
        o[QStringLiteral("title")] = p.title;
    if (!p.extra.isEmpty())
        o[QStringLiteral("extra")] = p.extra;
    return o;
}

PanelSpec panelSpecFromJson(const QJsonObject& o)
{
    PanelSpec p;
    p.kind = shortString(o.value(kKind), p.kind, 64);
    p.model = shortString(o.value(QStringLiteral("model")), {}, 4096);
    p.variant = shortString(o.value(QStringLiteral("variant")), {}, 1024);
    p.quantity = shortString(o.value(QStringLiteral("quantity")), p.quantity, 64);
    p.layer = clampInt(o.value(QStringLiteral("layer")), 0, 0, 1 << 16);
    p.head = clampInt(o.value(QStringLiteral("head")), 0, 0, 1 << 16);
    p.query = clampInt(o.value(QStringLiteral("query")), -1, -1, 1 << 30);
    p.key = clampInt(o.value(QStringLiteral("key")), -1, -1, 1 << 30);
    p.metric = shortString(o.value(QStringLiteral("metric")), p.metric, 64);
    p.topN = clampInt(o.value(QStringLiteral("top_n")), p.topN, 1, 64);
    const QJsonArray layers = o.value(QStringLiteral("layers")).toArray();
    if (layers.size() == 2) {
        p.layerFirst = clampInt(layers[0], -1, -1, 1 << 16);
        p.layerLast = clampInt(layers[1], -1, -1, 1 << 16);
    }
    auto range = [&](const char* name, qint64& first, qint64& last) {
        const QJsonArray a = o.value(QLatin1String(name)).toArray();
        if (a.size() == 2) {
            first = clampInt64(a[0], -1, -1, qint64(1) << 40);
            last = clampInt64(a[1], -1, -1, qint64(1) << 40);
        }
    };
    range("query_range", p.queryFirst, p.queryLast);
    range("key_range", p.keyFirst, p.keyLast);
    p.title = shortString(o.value(QStringLiteral("title")), {}, 512);
    p.extra = o.value(QStringLiteral("extra")).toObject();
    return p;
}

QJsonObject toJson(const FigureSpec& f)
{
    QJsonObject style;
    style[QStringLiteral("settings")] = toJson(f.style.settings);
    style[QStringLiteral("width_pt")] = f.style.widthPt;
    if (!f.style.fontFamily.isEmpty())
        style[QStringLiteral("font_family")] = f.style.fontFamily;
    style[QStringLiteral("font_pt")] = f.style.fontPt;
    style[QStringLiteral("title")] = f.style.title;
    style[QStringLiteral("panel_titles")] = f.style.panelTitles;
    style[QStringLiteral("token_labels")] = f.style.tokenLabels;
    style[QStringLiteral("axis_labels")] = f.style.axisLabels;
    style[QStringLiteral("colorbar")] = f.style.colorbar;
    style[QStringLiteral("panel_letters")] = f.style.panelLetters;
    style[QStringLiteral("scale_sharing")] = scaleSharingId(f.style.sharing);
    style[QStringLiteral("vector_cell_limit")] = static_cast<double>(f.style.vectorCellLimit);
    style[QStringLiteral("dpi")] = f.style.dpi;
    QJsonArray panels;
    for (const PanelSpec& p : f.panels)
        panels.append(toJson(p));
    QJsonObject o;
    o[QStringLiteral("rows")] = f.rows;
    o[QStringLiteral("cols")] = f.cols;
    o[QStringLiteral("panels")] = panels;
    o[QStringLiteral("style")] = style;
    return o;
}

bool figureSpecFromJson(const QJsonObject& o, FigureSpec& out, QString* error)
{
    if (!o.value(QStringLiteral("panels")).isArray()) {
        if (error)
            *error = QStringLiteral("figure: 'panels' is missing or not a list");
        return false;
    }
    FigureSpec f;
    f.rows = clampInt(o.value(QStringLiteral("rows")), 1, 1, kMaxGridSide);
    f.cols = clampInt(o.value(QStringLiteral("cols")), 1, 1, kMaxGridSide);
    const QJsonArray panels = o.value(QStringLiteral("panels")).toArray();
    for (const QJsonValue& v : panels) {
        if (f.panels.size() >= f.rows * f.cols)
            break;
        f.panels.append(panelSpecFromJson(v.toObject()));
    }
    const QJsonObject s = o.value(QStringLiteral("style")).toObject();
    FigureStyle& st = f.style;
    st.settings = viewSettingsFromJson(s.value(QStringLiteral("settings")).toObject());
    st.widthPt = clampNumber(s.value(QStringLiteral("width_pt")), st.widthPt, kMinWidthPt, kMaxWidthPt);
    st.fontFamily = shortString(s.value(QStringLiteral("font_family")), {}, 128);
    st.fontPt = clampNumber(s.value(QStringLiteral("font_pt")), st.fontPt, 4.0, 24.0);
    st.title = shortString(s.value(QStringLiteral("title")), {}, 512);
    st.panelTitles = s.value(QStringLiteral("panel_titles")).toBool(st.panelTitles);
    st.tokenLabels = s.value(QStringLiteral("token_labels")).toBool(st.tokenLabels);
    st.axisLabels = s.value(QStringLiteral("axis_labels")).toBool(st.axisLabels);
    st.colorbar = s.value(QStringLiteral("colorbar")).toBool(st.colorbar);
    st.panelLetters = s.value(QStringLiteral("panel_letters")).toBool(st.panelLetters);
    const QString sharing = s.value(QStringLiteral("scale_sharing")).toString();
    for (ScaleSharing k : {ScaleSharing::Figure, ScaleSharing::Row, ScaleSharing::Panel})
        if (sharing == scaleSharingId(k))
            st.sharing = k;
    st.vectorCellLimit = clampInt64(s.value(QStringLiteral("vector_cell_limit")), st.vectorCellLimit, 0, qint64(1) << 26);
    st.dpi = clampInt(s.value(QStringLiteral("dpi")), st.dpi, kMinDpi, kMaxDpi);
    out = f;
    return true;
}

} // namespace attnscope
