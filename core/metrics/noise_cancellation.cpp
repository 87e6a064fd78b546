// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/noise_cancellation.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TokenRange clampRange(TokenRange r, int64_t T)
{
    r.begin = std::clamp<int64_t>(r.begin, 0, T);
    r.end = std::clamp<int64_t>(r.end, r.begin, T);
    return r;
}

} // namespace

double SpanMass::snr() const
{
    if (std::isnan(signal) || std::isnan(noise))
        return kNaN;
    if (noise > 0)
        return signal / noise;
    return signal != 0 ? std::numeric_limits<double>::infinity() : kNaN;
}

double NoiseCancellation::negativeShare() const
{
    return absMass > 0 ? negativeMass / absMass : kNaN;
}

double NoiseCancellation::snrGain() const
{
    const double b = before.snr(), a = after.snr();
    return (std::isfinite(a) && std::isfinite(b) && b != 0) ? a / b : kNaN;
}

TokenRange defaultQueryRows(TokenRange signal, int64_t tokens)
{
    signal = clampRange(signal, tokens);
    if (signal.end < tokens)
        return {signal.end, tokens};
    return {signal.begin, tokens};
}

NoiseCancellation measureNoiseCancellation(const AttentionMap& a1, const AttentionMap& d, TokenRange signal,
                                           TokenRange rows)
{
    NoiseCancellation r;
    const int64_t T = std::min(a1.tokens, d.tokens);
    signal = clampRange(signal, T);
    rows = rows.empty() ? defaultQueryRows(signal, T) : clampRange(rows, T);
    double s1 = 0, n1 = 0, s2 = 0, n2 = 0, sd = 0, nd = 0;
    RowKeys keys;
    for (int64_t i = rows.begin; i < rows.end; ++i) {
        if (a1.isMaskedRow(i))
            continue;
        a1.mask.rowKeys(i, a1.tokens, keys);
        if (keys.size() == 0)
            continue;
        const float* ra = a1.row(i);
        const float* rd = d.row(i);
        for (const KeyRange& kr : keys.range)
            for (int64_t j = kr.begin; j < std::min(kr.end, T); ++j) {
                const double a = ra[j], dd = rd[j], removed = a - dd;
                if (signal.contains(j)) {
                    s1 += a;
                    s2 += removed;
                    sd += dd;
                } else {
                    n1 += std::fabs(a);
                    n2 += std::fabs(removed);
                    nd += std::fabs(dd);
                }
                r.absMass += std::fabs(dd);
                r.negativeMass += dd < 0 ? -dd : 0.0;
            }
        ++r.rows;
    }
    if (r.rows == 0) {
        r.before = r.removed = r.after = {kNaN, kNaN};
        return r;
    }
    const double n = static_cast<double>(r.rows);
    r.before = {s1 / n, n1 / n};
    r.removed = {s2 / n, n2 / n};
    r.after = {sd / n, nd / n};
    return r;
}

NoiseCancellation averageNoiseCancellation(std::span<const NoiseCancellation> heads)
{
    NoiseCancellation r;
    int used = 0;
    SpanMass b, m, a;
    for (const NoiseCancellation& h : heads) {
        if (h.rows == 0)
            continue;
        ++used;
        r.rows += h.rows;
        b.signal += h.before.signal;
        b.noise += h.before.noise;
        m.signal += h.removed.signal;
        m.noise += h.removed.noise;
        a.signal += h.after.signal;
        a.noise += h.after.noise;
        r.negativeMass += h.negativeMass;
        r.absMass += h.absMass;
    }
    if (used == 0) {
        r.before = r.removed = r.after = {kNaN, kNaN};
        return r;
    }
    r.before = {b.signal / used, b.noise / used};
    r.removed = {m.signal / used, m.noise / used};
    r.after = {a.signal / used, a.noise / used};
    return r;
}

} // namespace attnscope
