// The top-k softmax router of a mixture-of-experts MLP (transformers models/qwen3_next Qwen3NextTopKRouter); the
// weighted index_add that puts each expert's output back on its tokens' rows is in elementwise.cpp.
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

} // namespace attnscope::cpu
