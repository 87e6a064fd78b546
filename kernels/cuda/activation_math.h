// The scalar activation functions on the device, written as the CPU reference writes them
// (kernels/cpu/elementwise.cpp, torch's fp32 definitions), in CUDA's accurate single-precision math (expf, erff,
// tanhf: ≤ 2 ulp; no fast-math intrinsics). Host and device, so the host tests can check the formulas.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"

#include <math.h>

namespace attnscope::cuda {

ATTNSCOPE_HD inline float activate(ActKind act, float x, float param)
{
    switch (act) {
    case ActKind::Silu: return x / (1.0f + expf(-x));
    case ActKind::GeluErf: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
    case ActKind::GeluTanh: {
        const float kAlpha = 0.79788456080286535588f;   // sqrt(2/pi)
        return 0.5f * x * (1.0f + tanhf(kAlpha * (x + 0.044715f * x * x * x)));
    }
    case ActKind::Softcap: return param * tanhf(x / param);
    case ActKind::Sigmoid: return 1.0f / (1.0f + expf(-x));
    case ActKind::Identity: return x;
    }
    return x;
}

} // namespace attnscope::cuda
