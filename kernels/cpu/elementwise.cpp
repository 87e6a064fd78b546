// RMSNorm, RoPE and SwiGLU: the small per-token ops of the Llama block, in fp32 as HF computes them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include <cmath>

namespace attnscope::cpu {

OpStatus rmsNormCpu(const RmsNormArgs& a)
{
    if (a.cols <= 0 || a.rows < 0 || a.ldx < a.cols || a.ldy < a.cols)
        return OpStatus::failure("rms_norm: inconsistent sizes");
    for (int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.ldx;
        float* y = a.y + r * a.ldy;
        float ss = 0.f;   // HF: hidden.pow(2).mean(-1) in fp32
        for (int64_t c = 0; c < a.cols; ++c)
            ss += x[c] * x[c];
        const float inv = 1.0f / std::sqrt(ss / static_cast<float>(a.cols) + a.eps);
        for (int64_t c = 0; c < a.cols; ++c)
            y[c] = a.weight[c] * (x[c] * inv);
    }
    return OpStatus::success();
}

OpStatus ropeCpu(const RopeArgs& a)
{
    if (a.ropeDims <= 0 || a.ropeDims > a.headDim || a.ropeDims % 2 || a.ldx < a.heads * a.headDim)
        return OpStatus::failure("rope: inconsistent sizes");
    const int64_t half = a.ropeDims / 2;
    for (int64_t t = 0; t < a.tokens; ++t) {
        const float* c = a.cos + t * half;
        const float* s = a.sin + t * half;
        for (int64_t h = 0; h < a.heads; ++h) {
            float* x = a.x + t * a.ldx + h * a.headDim;
            for (int64_t i = 0; i < half; ++i) {
                // adjacent: (x[2i], x[2i+1]); split halves: (x[i], x[i + r/2]) — VARIANTS §3
                float* pa = a.pairing == 0 ? x + 2 * i : x + i;
                float* pb = a.pairing == 0 ? x + 2 * i + 1 : x + i + half;
                const float va = *pa, vb = *pb;
                *pa = va * c[i] - vb * s[i];
                *pb = vb * c[i] + va * s[i];
            }
        }
    }
    return OpStatus::success();
}

OpStatus swiGluCpu(const SwiGluArgs& a)
{
    for (int64_t i = 0; i < a.n; ++i) {
        const float g = a.gate[i];
        a.out[i] = (g / (1.0f + std::exp(-g))) * a.up[i];
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu
