// Colourbar gradients consistent with the heatmap's own colourising.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/color_gradient.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

QCPColorGradient makeColorGradient(const ViewSettings& settings, bool isSigned)
{
    const Lut& lut = colormapLut(isSigned ? Colormap::Diverging : settings.colormap);
    const bool power = !isSigned && settings.scale == ScaleKind::Power;
    QMap<double, QColor> stops;
    const int n = power ? 512 : 256;
    for (int k = 0; k < n; ++k) {
        const double pos = static_cast<double>(k) / (n - 1);
        // Power scale: the value at bar position pos is pos·vmax and its colour index is 256·pos^gamma.
        const double t = power ? std::pow(pos, settings.gamma) : pos;
        const int idx = std::clamp(static_cast<int>(t * 256.0), 0, 255);
        stops.insert(pos, QColor::fromRgb(lut[static_cast<size_t>(idx)]));
    }
    QCPColorGradient g;
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setColorStops(stops);
    g.setLevelCount(n);
    g.setPeriodic(false);
    return g;
}

QString colorbarLabel(const ViewSettings& settings, bool isSigned, int poolX, int poolY)
{
    const bool perRow = settings.normalisation == Normalisation::PerRow;
    QString label;
    if (isSigned) {
        label = perRow ? QStringLiteral("Δ vs. layer mean ÷ row max|Δ|") : QStringLiteral("Δ weight vs. layer mean");
    } else {
        label = perRow ? QStringLiteral("weight ÷ row max") : QStringLiteral("attention weight");
        if (settings.scale == ScaleKind::Log)
            label += QStringLiteral(" (log, floor %1)").arg(settings.logFloor, 0, 'g', 2);
        else if (settings.scale == ScaleKind::Power)
            label += QStringLiteral(" (power %1)").arg(settings.gamma, 0, 'g', 2);
    }
    if (poolX > 1 || poolY > 1)
        label += QStringLiteral(" · %1 of %2×%3 cells")
                     .arg(settings.pooling == Pooling::Mean ? QStringLiteral("mean") : QStringLiteral("max"))
                     .arg(poolY).arg(poolX);
    return label;
}

} // namespace attnscope
