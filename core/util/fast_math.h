// Vectorisable float exp and the activations built on it, shared by the CPU kernels and the metrics: inline, so
// loops over them vectorise (glibc's expf and tanhf are scalar calls).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>

namespace attnscope {

/// exp(x) for float x in [−87, 88] within 2 ulp (below −87 it returns ≈ 1e-38 instead of smaller values);
/// inline so loops over it vectorise.
inline float fastExp(float x)
{
    x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
    // Round x·log2(e) to the nearest integer by the 1.5·2^23 trick (vectorisable, exact for |v| < 2^22).
    const float fx = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
    float r = x - fx * 0.693359375f;
    r = r + fx * 2.12194440e-4f;
    const float z = r * r;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * z + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(fx) + 127) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/// tanh(x) as 1 − 2 / (exp(2|x|) + 1) with the sign restored: absolute error ≤ 2.5e-7 (tests/core/test_logit_rows.cpp).
inline float fastTanh(float x)
{
    const float ax = x < 0.f ? -x : x;
    const float t = 1.0f - 2.0f / (fastExp(2.0f * ax) + 1.0f);
    return x < 0.f ? -t : t;
}

/// x · σ(x) (SiLU).
inline float fastSilu(float x) { return x / (1.0f + fastExp(-x)); }

/// σ(x).
inline float fastSigmoid(float x) { return 1.0f / (1.0f + fastExp(-x)); }

/// GELU with the tanh approximation, as torch's gelu(approximate="tanh").
inline float fastGeluTanh(float x)
{
    constexpr float kAlpha = 0.79788456080286535588f;   // sqrt(2/pi)
    return 0.5f * x * (1.0f + fastTanh(kAlpha * (x + 0.044715f * x * x * x)));
}

} // namespace attnscope
