// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/row_metrics.h"

#include "core/attention/tile_recompute.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Mean over valid rows of f(i, keys) (the rows' valid keys as ranges).
double meanOverRows(const AttentionMap& a, const std::function<double(int64_t, const RowKeys&)>& f)
{
    double sum = 0;
    int64_t n = 0;
    RowKeys keys;
    for (int64_t i = 0; i < a.tokens; ++i) {
        if (a.isMaskedRow(i))
            continue;
        a.mask.rowKeys(i, a.tokens, keys);
        if (keys.range.empty())
            continue;
        sum += f(i, keys);
        ++n;
    }
    return n ? sum / double(n) : kNaN;
}

std::vector<float> validValues(const AttentionMap& a, int64_t i, const RowKeys& keys)
{
    std::vector<float> v;
    v.reserve(static_cast<size_t>(keys.size()));
    const float* row = a.row(i);
    for (const KeyRange& r : keys.range)
        v.insert(v.end(), row + r.begin, row + r.end);
    return v;
}

} // namespace

double sinkShareOfSet(const AttentionMap& a, const std::vector<int64_t>& set)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys&) {
        double s = 0;
        for (int64_t j : set)
            if (j >= 0 && j < a.tokens && !a.isMasked(i, j))
                s += a.at(i, j);
        return s;
    });
}

double kForMass(const AttentionMap& a, double p)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys& keys) {
        std::vector<float> v = validValues(a, i, keys);
        std::sort(v.begin(), v.end(), std::greater<float>());
        double acc = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            acc += v[k];
            if (acc >= p - 1e-7)
                return double(k + 1);
        }
        return double(v.size());
    });
}

double fractionBelow(const AttentionMap& a, double tau)
{
    int64_t below = 0, all = 0;
    RowKeys keys;
    for (int64_t i = 0; i < a.tokens; ++i) {
        if (a.isMaskedRow(i))
            continue;
        a.mask.rowKeys(i, a.tokens, keys);
        const float* row = a.row(i);
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j) {
                below += row[j] < tau ? 1 : 0;
                ++all;
            }
    }
    return all ? double(below) / double(all) : kNaN;
}

double massOutsidePattern(const AttentionMap& a, const AttentionMask& pattern)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys& keys) {
        double out = 0;
        const float* row = a.row(i);
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                if (!pattern.valid(i, j))
                    out += row[j];
        return out;
    });
}

double massOutsidePatternFromTiles(const HeadTileSource& src, const AttentionMask& pattern, const CapturedSeries* sinkProb)
{
    const int64_t T = src.tokens();
    const AttentionMask& base = src.mask();
    RowKeys keys, allowed;
    std::vector<float> cells;
    double sum = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < T; ++i) {
        if (!src.rowValid(i))
            continue;
        base.rowKeys(i, T, keys);
        if (keys.range.empty())
            continue;
        pattern.rowKeys(i, T, allowed);
        double inside = 0;
        for (const KeyRange& a : keys.range)
            for (const KeyRange& b : allowed.range) {
                const int64_t j0 = std::max(a.begin, b.begin), j1 = std::min(a.end, b.end);
                if (j1 <= j0)
                    continue;
                cells.resize(static_cast<size_t>(j1 - j0));
                src.tile(i, i + 1, j0, j1, cells.data());
                for (float v : cells)
                    inside += v;
            }
        const double total = sinkProb && static_cast<int64_t>(sinkProb->values.size()) == T
                                 ? 1.0 - double(sinkProb->values[static_cast<size_t>(i)]) : 1.0;
        sum += std::max(0.0, total - inside);
        ++n;
    }
    return n ? sum / double(n) : kNaN;
}

double massOutsideSupport(const AttentionMap& a, const MaskBits& support)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys& keys) {
        double out = 0;
        const float* row = a.row(i);
        for (const KeyRange& r : keys.range)
            for (int64_t j = r.begin; j < r.end; ++j)
                if (i >= support.tokens() || j >= support.tokens() || !support.get(i, j))
                    out += row[j];
        return out;
    });
}

double massOutsideTopK(const AttentionMap& a, int64_t k)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys& keys) {
        std::vector<float> v = validValues(a, i, keys);
        if (static_cast<int64_t>(v.size()) <= k)
            return 0.0;
        double total = 0;
        for (float x : v)
            total += x;
        std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<float>());
        double kept = 0;
        for (int64_t t = 0; t < k; ++t)
            kept += v[size_t(t)];
        return std::max(0.0, total - kept);
    });
}

double massOutsideThreshold(const AttentionMap& a, double p)
{
    return meanOverRows(a, [&](int64_t i, const RowKeys& keys) {
        const std::vector<float> v = validValues(a, i, keys);
        double out = 0, total = 0;
        float mx = 0;
        for (float x : v) {
            total += x;
            out += x < p ? x : 0.0;
            mx = std::max(mx, x);
        }
        if (out >= total - 1e-12)   // every weight below p: the largest is kept
            out = total - mx;
        return out;
    });
}

} // namespace attnscope
