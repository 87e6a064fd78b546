// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/packed_projection.h"

namespace attnscope {

namespace {

/// Appends [begin, begin + count), merging with the previous range when they touch.
void append(std::vector<RowRange>& out, int64_t begin, int64_t count)
{
    if (count <= 0)
        return;
    if (!out.empty() && out.back().begin + out.back().count == begin)
        out.back().count += count;
    else
        out.push_back({begin, count});
}

enum class Part { Query, Gate };

std::vector<RowRange> packedRows(GateLayout layout, OutputGate g, int64_t H, int64_t Hkv, int64_t d, Part part)
{
    std::vector<RowRange> out;
    const int64_t w = gateWidth(g, d);
    if (H <= 0 || Hkv <= 0 || H % Hkv != 0 || d <= 0)
        return out;
    if (g == OutputGate::None) {
        if (part == Part::Query)
            append(out, 0, H * d);
        return out;
    }
    if (layout == GateLayout::PerHeadInterleaved) {
        for (int64_t h = 0; h < H; ++h) {
            const int64_t base = h * (d + w);
            if (part == Part::Query)
                append(out, base, d);
            else
                append(out, base + d, w);
        }
        return out;
    }
    const int64_t G = H / Hkv, chunk = G * d + G * w;
    for (int64_t grp = 0; grp < Hkv; ++grp) {
        if (part == Part::Query)
            append(out, grp * chunk, G * d);
        else
            append(out, grp * chunk + G * d, G * w);
    }
    return out;
}

} // namespace

int64_t rowCount(const std::vector<RowRange>& ranges)
{
    int64_t n = 0;
    for (const RowRange& r : ranges)
        n += r.count;
    return n;
}

RowLayout concatenatedRows(std::string key, const std::vector<std::vector<RowRange>>& parts)
{
    RowLayout l;
    l.key = std::move(key);
    l.blockRows = 1;
    for (const auto& part : parts)
        for (const RowRange& r : part)
            for (int64_t i = 0; i < r.count; ++i)
                l.order.push_back(static_cast<int32_t>(r.begin + i));
    return l;
}

int64_t gateWidth(OutputGate g, int64_t headDim)
{
    switch (g) {
    case OutputGate::None: return 0;
    case OutputGate::Headwise: return 1;
    case OutputGate::Elementwise: return headDim;
    }
    return 0;
}

int64_t packedQueryRowCount(OutputGate g, int64_t heads, int64_t headDim)
{
    return heads * headDim + heads * gateWidth(g, headDim);
}

std::vector<RowRange> packedQueryRows(GateLayout layout, OutputGate g, int64_t heads, int64_t kvHeads, int64_t headDim)
{
    return packedRows(layout, g, heads, kvHeads, headDim, Part::Query);
}

std::vector<RowRange> packedGateRows(GateLayout layout, OutputGate g, int64_t heads, int64_t kvHeads, int64_t headDim)
{
    return packedRows(layout, g, heads, kvHeads, headDim, Part::Gate);
}

DeltaNetRows deltaNetProjectionRows(const DeltaNetDims& d)
{
    DeltaNetRows r;
    if (d.keyHeads <= 0 || d.valueHeads % d.keyHeads != 0)
        return r;
    const int64_t Hk = d.keyHeads, dk = d.keyDim, dv = d.valueDim, rep = d.valueHeads / d.keyHeads;
    const int64_t chunk = 2 * dk + 2 * rep * dv;
    for (int64_t g = 0; g < Hk; ++g)
        append(r.qkv, g * chunk, dk);                          // q of key head g
    for (int64_t g = 0; g < Hk; ++g)
        append(r.qkv, g * chunk + dk, dk);                     // k
    for (int64_t g = 0; g < Hk; ++g)
        append(r.qkv, g * chunk + 2 * dk, rep * dv);           // v of value heads g·r … g·r + r − 1
    for (int64_t g = 0; g < Hk; ++g)
        append(r.z, g * chunk + 2 * dk + rep * dv, rep * dv);  // z
    for (int64_t g = 0; g < Hk; ++g) {
        append(r.b, g * 2 * rep, rep);
        append(r.a, g * 2 * rep + rep, rep);
    }
    return r;
}

} // namespace attnscope
