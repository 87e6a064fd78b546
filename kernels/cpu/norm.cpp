// RMSNorm (weight w or 1 + w) and LayerNorm (with bias), per row in fp32 as HF computes them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <cmath>

namespace attnscope::cpu {

OpStatus normCpu(const NormArgs& a)
{
    if (a.cols <= 0 || a.rows < 0 || a.ldx < a.cols || a.ldy < a.cols)
        return OpStatus::failure(std::string(normKindName(a.kind)) + ": inconsistent sizes");
    const float n = static_cast<float>(a.cols);
    for (int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.ldx;
        float* y = a.y + r * a.ldy;
        if (a.kind == NormKind::Rms) {
            float ss = 0.f;   // HF: hidden.pow(2).mean(-1) in fp32
            for (int64_t c = 0; c < a.cols; ++c)
                ss += x[c] * x[c];
            const float inv = 1.0f / std::sqrt(ss / n + a.eps);
            if (a.weight)
                for (int64_t c = 0; c < a.cols; ++c)
                    y[c] = (a.weightOffset + a.weight[c]) * (x[c] * inv);
            else
                for (int64_t c = 0; c < a.cols; ++c)
                    y[c] = x[c] * inv;
        } else {
            // Two passes (mean, then biased variance of the centred values) in double: torch's LayerNorm uses a
            // Welford reduction, and the two agree to float rounding where the naive E[x²] − E[x]² would not.
            double mean = 0;
            for (int64_t c = 0; c < a.cols; ++c)
                mean += x[c];
            mean /= a.cols;
            double var = 0;
            for (int64_t c = 0; c < a.cols; ++c) {
                const double dlt = x[c] - mean;
                var += dlt * dlt;
            }
            var /= a.cols;
            const float inv = static_cast<float>(1.0 / std::sqrt(var + a.eps));
            const float m = static_cast<float>(mean);
            for (int64_t c = 0; c < a.cols; ++c) {
                float v = (x[c] - m) * inv;
                if (a.weight)
                    v *= a.weightOffset + a.weight[c];
                if (a.bias)
                    v += a.bias[c];
                y[c] = v;
            }
        }
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu
