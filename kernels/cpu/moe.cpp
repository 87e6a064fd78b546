// The two routing ops of a mixture-of-experts MLP: the top-k softmax router and the weighted scatter-add that
// puts each expert's output back on its tokens' rows (transformers models/qwen3_next Qwen3NextTopKRouter and
// Qwen3NextExperts).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace attnscope::cpu {

OpStatus moeRouteCpu(const MoeRouteArgs& a)
{
    if (a.tokens < 0 || a.experts <= 0 || a.k <= 0 || a.k > a.experts || a.ldLogits < a.experts)
        return OpStatus::failure("moe_route: inconsistent sizes (k must be in 1..experts)");
    const int64_t E = a.experts, K = a.k;
    std::vector<float> p(static_cast<size_t>(E));
    std::vector<int32_t> order(static_cast<size_t>(E));
    for (int64_t t = 0; t < a.tokens; ++t) {
        const float* l = a.logits + t * a.ldLogits;
        float m = l[0];
        for (int64_t e = 1; e < E; ++e)
            m = std::max(m, l[e]);
        float z = 0.f;
        for (int64_t e = 0; e < E; ++e) {
            p[e] = std::exp(l[e] - m);
            z += p[e];
        }
        for (int64_t e = 0; e < E; ++e)
            p[e] /= z;
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + K, order.end(), [&](int32_t x, int32_t y) {
            return p[x] > p[y] || (p[x] == p[y] && x < y);
        });
        float sum = 0.f;
        for (int64_t r = 0; r < K; ++r)
            sum += p[order[r]];
        for (int64_t r = 0; r < K; ++r) {
            a.ids[t * K + r] = order[r];
            a.weights[t * K + r] = a.normalize ? p[order[r]] / sum : p[order[r]];
        }
    }
    return OpStatus::success();
}

OpStatus scatterAddCpu(const ScatterAddArgs& a)
{
    if (a.rows < 0 || a.cols <= 0 || a.ldx < a.cols || a.ldy < a.cols)
        return OpStatus::failure("scatter_add: inconsistent sizes");
    for (int64_t r = 0; r < a.rows; ++r) {
        const int32_t id = a.ids[r];
        if (id < 0 || id >= a.yRows)
            return OpStatus::failure("scatter_add: row id " + std::to_string(id) + " outside the output");
        const float w = a.weights ? a.weights[r] : 1.f;
        const float* x = a.x + r * a.ldx;
        float* y = a.y + int64_t(id) * a.ldy;
        for (int64_t c = 0; c < a.cols; ++c)
            y[c] += w * x[c];
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu
