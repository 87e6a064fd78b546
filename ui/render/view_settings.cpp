// ViewSettings <-> JSON for sessions and QSettings.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/view_settings.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

QString scaleId(ScaleKind s)
{
    switch (s) {
    case ScaleKind::Linear: return QStringLiteral("linear");
    case ScaleKind::Log: return QStringLiteral("log");
    case ScaleKind::Power: return QStringLiteral("power");
    }
    return QStringLiteral("linear");
}

QString normalisationId(Normalisation n)
{
    return n == Normalisation::PerRow ? QStringLiteral("row") : QStringLiteral("global");
}

QString displayDataId(DisplayData d)
{
    return d == DisplayData::DiffFromLayerMean ? QStringLiteral("diff-layer-mean") : QStringLiteral("weights");
}

QString poolingId(Pooling p)
{
    return p == Pooling::Mean ? QStringLiteral("mean") : QStringLiteral("max");
}

QJsonObject toJson(const ViewSettings& v)
{
    QJsonObject o;
    o[QStringLiteral("colormap")] = colormapId(v.colormap);
    o[QStringLiteral("scale")] = scaleId(v.scale);
    o[QStringLiteral("gamma")] = v.gamma;
    o[QStringLiteral("log_floor")] = v.logFloor;
    o[QStringLiteral("normalisation")] = normalisationId(v.normalisation);
    o[QStringLiteral("data")] = displayDataId(v.data);
    o[QStringLiteral("pooling")] = poolingId(v.pooling);
    return o;
}

ViewSettings viewSettingsFromJson(const QJsonObject& o)
{
    ViewSettings v;
    Colormap c;
    if (colormapFromId(o.value(QStringLiteral("colormap")).toString(), c))
        v.colormap = c;
    const QString s = o.value(QStringLiteral("scale")).toString();
    for (ScaleKind k : {ScaleKind::Linear, ScaleKind::Log, ScaleKind::Power})
        if (s == scaleId(k))
            v.scale = k;
    // Clamp numbers from files: a hostile session must not produce a NaN scale or a zero log floor.
    const double g = o.value(QStringLiteral("gamma")).toDouble(v.gamma);
    v.gamma = std::isfinite(g) ? std::clamp(g, 0.05, 5.0) : 0.5;
    const double f = o.value(QStringLiteral("log_floor")).toDouble(v.logFloor);
    v.logFloor = std::isfinite(f) ? std::clamp(f, 1e-12, 0.5) : 1e-4;
    if (o.value(QStringLiteral("normalisation")).toString() == QStringLiteral("row"))
        v.normalisation = Normalisation::PerRow;
    if (o.value(QStringLiteral("data")).toString() == displayDataId(DisplayData::DiffFromLayerMean))
        v.data = DisplayData::DiffFromLayerMean;
    if (o.value(QStringLiteral("pooling")).toString() == poolingId(Pooling::Mean))
        v.pooling = Pooling::Mean;
    return v;
}

} // namespace attnscope
