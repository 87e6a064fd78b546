// Rotary position embedding in place, adjacent-pair or split-half pairing, partial rotary (docs/ENGINE.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

namespace attnscope::cpu {

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
                // adjacent: (x[2i], x[2i+1]); split halves: (x[i], x[i + r/2])
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

} // namespace attnscope::cpu
