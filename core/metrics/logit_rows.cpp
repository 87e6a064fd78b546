// Log-sum-exp and KL divergence of logit rows with a vectorisable exponential (see logit_rows.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/logit_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

namespace {

constexpr int kLanes = 16;
constexpr int64_t kBlock = 1024;   // float partial sums are flushed to double every block

float rowMax(const float* x, int64_t n)
{
    float lanes[kLanes];
    std::fill(lanes, lanes + kLanes, -std::numeric_limits<float>::infinity());
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int k = 0; k < kLanes; ++k)
            lanes[k] = std::max(lanes[k], x[i + k]);
    float m = *std::max_element(lanes, lanes + kLanes);
    for (; i < n; ++i)
        m = std::max(m, x[i]);
    return m;
}

} // namespace

double logSumExpRow(const float* x, int64_t n)
{
    if (n <= 0)
        return -std::numeric_limits<double>::infinity();
    const float m = rowMax(x, n);
    if (!std::isfinite(m))
        return m;
    double z = 0;
    for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t e = std::min(n, b + kBlock);
        float lanes[kLanes] = {};
        int64_t i = b;
        for (; i + kLanes <= e; i += kLanes)
            for (int k = 0; k < kLanes; ++k)
                lanes[k] += fastExp(x[i + k] - m);
        double s = 0;
        for (float v : lanes)
            s += v;
        for (; i < e; ++i)
            s += fastExp(x[i] - m);
        z += s;
    }
    return double(m) + std::log(z);
}

KlRow klDivergenceRow(const float* lp, const float* lq, int64_t n)
{
    KlRow r;
    if (n <= 0)
        return r;
    const float mp = rowMax(lp, n), mq = rowMax(lq, n);
    double zp = 0, zq = 0, s = 0;   // s = Σ exp(lp − mp) · (lp − lq)
    for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t e = std::min(n, b + kBlock);
        float ap[kLanes] = {}, aq[kLanes] = {}, as[kLanes] = {};
        int64_t i = b;
        for (; i + kLanes <= e; i += kLanes)
            for (int k = 0; k < kLanes; ++k) {
                const float ep = fastExp(lp[i + k] - mp);
                ap[k] += ep;
                aq[k] += fastExp(lq[i + k] - mq);
                as[k] += ep * (lp[i + k] - lq[i + k]);
            }
        double sp = 0, sq = 0, ss = 0;
        for (int k = 0; k < kLanes; ++k) {
            sp += ap[k];
            sq += aq[k];
            ss += as[k];
        }
        for (; i < e; ++i) {
            const float ep = fastExp(lp[i] - mp);
            sp += ep;
            sq += fastExp(lq[i] - mq);
            ss += double(ep) * double(lp[i] - lq[i]);
        }
        zp += sp;
        zq += sq;
        s += ss;
    }
    r.lseP = double(mp) + std::log(zp);
    r.lseQ = double(mq) + std::log(zq);
    r.kl = std::max(0.0, s / zp - (r.lseP - r.lseQ));
    return r;
}

} // namespace attnscope
