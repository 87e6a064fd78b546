// Colormap tables: matplotlib's LUTs (generated into resources/colormap_luts.h) converted to QRgb once.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/colormap.h"

#include "resources/colormap_luts.h"

namespace attnscope {

namespace {

Lut fromRgbTable(const std::array<uint32_t, 256>& t)
{
    Lut out{};
    for (size_t i = 0; i < 256; ++i)
        out[i] = 0xff000000u | t[i];
    return out;
}

Lut greyTable()
{
    Lut out{};
    for (int i = 0; i < 256; ++i)
        out[static_cast<size_t>(i)] = qRgb(i, i, i);
    return out;
}

} // namespace

const Lut& colormapLut(Colormap c)
{
    static const Lut viridis = fromRgbTable(luts::kViridisLut);
    static const Lut magma = fromRgbTable(luts::kMagmaLut);
    static const Lut cividis = fromRgbTable(luts::kCividisLut);
    static const Lut grey = greyTable();
    static const Lut diverging = fromRgbTable(luts::kRdBuRLut);
    switch (c) {
    case Colormap::Viridis: return viridis;
    case Colormap::Magma: return magma;
    case Colormap::Cividis: return cividis;
    case Colormap::Grey: return grey;
    case Colormap::Diverging: return diverging;
    }
    return viridis;
}

QString colormapId(Colormap c)
{
    switch (c) {
    case Colormap::Viridis: return QStringLiteral("viridis");
    case Colormap::Magma: return QStringLiteral("magma");
    case Colormap::Cividis: return QStringLiteral("cividis");
    case Colormap::Grey: return QStringLiteral("grey");
    case Colormap::Diverging: return QStringLiteral("diverging");
    }
    return QStringLiteral("viridis");
}

bool colormapFromId(const QString& id, Colormap& out)
{
    for (int i = 0; i < kColormapCount; ++i) {
        if (colormapId(static_cast<Colormap>(i)) == id) {
            out = static_cast<Colormap>(i);
            return true;
        }
    }
    return false;
}

QString colormapLabel(Colormap c)
{
    return c == Colormap::Diverging ? QStringLiteral("RdBu (diverging)") : colormapId(c);
}

bool isDiverging(Colormap c)
{
    return c == Colormap::Diverging;
}

// A light warm grey with a darker hatch: the grey map's 0 is black and its 1 white, and every sequential map
// starts dark, so this mid-light tone with diagonal lines cannot be mistaken for a weight.
QColor maskedBackground()
{
    return QColor(0xd9, 0xd4, 0xcc);
}

QColor maskedHatch()
{
    return QColor(0xa8, 0xa2, 0x98);
}

} // namespace attnscope
