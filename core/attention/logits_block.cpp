// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/logits_block.h"

#include <algorithm>

namespace attnscope {

void attentionLogits(const float* q, int64_t ldq, int64_t rows, const float* kt, int64_t ldkt, int64_t cols, int64_t d,
                     float scale, float* out, int64_t ldo)
{
    constexpr int64_t kCols = 64;   // one strip of keys: 64 accumulators stay in vector registers
    for (int64_t c0 = 0; c0 < cols; c0 += kCols) {
        const int64_t w = std::min(kCols, cols - c0);
        for (int64_t r = 0; r < rows; ++r) {
            const float* qr = q + r * ldq;
            float acc[kCols] = {};
            if (w == kCols) {
                for (int64_t k = 0; k < d; ++k) {
                    const float qk = qr[k] * scale;
                    const float* kr = kt + k * ldkt + c0;
                    for (int64_t t = 0; t < kCols; ++t)
                        acc[t] += qk * kr[t];
                }
            } else {
                for (int64_t k = 0; k < d; ++k) {
                    const float qk = qr[k] * scale;
                    const float* kr = kt + k * ldkt + c0;
                    for (int64_t t = 0; t < w; ++t)
                        acc[t] += qk * kr[t];
                }
            }
            std::copy(acc, acc + w, out + r * ldo + c0);
        }
    }
}

} // namespace attnscope
