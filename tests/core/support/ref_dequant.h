// Straightforward per-element reference dequantisation written from ggml's block layouts (ggml-common.h, ggml-quants.c), used to
// check the optimised block loops in core/tensor/dequant.cpp. Products are formed in ggml's order
// ((d·scale)·q − dmin·min) so that results compare bit-exactly.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tensor/dequant.h"
#include "core/tensor/dtype.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace attnscope::test {

inline float refHalf(const uint8_t* p)
{
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
}

inline void refScaleMin(const uint8_t* S, int s, int& sc, int& m)
{
    if (s < 4) {
        sc = S[s] & 63;
        m = S[s + 4] & 63;
    } else {
        sc = (S[s + 4] & 0xF) | ((S[s - 4] >> 6) << 4);
        m = (S[s + 4] >> 4) | ((S[s] >> 6) << 4);
    }
}

/// Element i (0 ≤ i < blockElems) of one block.
inline float refElement(DType t, const uint8_t* b, int i)
{
    switch (t) {
    case DType::F32: { float v; std::memcpy(&v, b, 4); return v; }
    case DType::F16: return refHalf(b);
    case DType::BF16: { uint16_t h; std::memcpy(&h, b, 2); return bf16ToFloat(h); }
    case DType::F64: { double v; std::memcpy(&v, b, 8); return static_cast<float>(v); }
    case DType::Q4_0: {
        const int q = i < 16 ? (b[2 + i] & 0xF) : (b[2 + i - 16] >> 4);
        return static_cast<float>(q - 8) * refHalf(b);
    }
    case DType::Q4_1: {
        const int q = i < 16 ? (b[4 + i] & 0xF) : (b[4 + i - 16] >> 4);
        return static_cast<float>(q) * refHalf(b) + refHalf(b + 2);
    }
    case DType::Q5_0: {
        uint32_t qh;
        std::memcpy(&qh, b + 2, 4);
        int q = i < 16 ? (b[6 + i] & 0xF) : (b[6 + i - 16] >> 4);
        q |= ((qh >> i) & 1) << 4;
        return static_cast<float>(q - 16) * refHalf(b);
    }
    case DType::Q5_1: {
        uint32_t qh;
        std::memcpy(&qh, b + 4, 4);
        int q = i < 16 ? (b[8 + i] & 0xF) : (b[8 + i - 16] >> 4);
        q |= ((qh >> i) & 1) << 4;
        return static_cast<float>(q) * refHalf(b) + refHalf(b + 2);
    }
    case DType::Q8_0: return static_cast<float>(static_cast<int8_t>(b[2 + i])) * refHalf(b);
    case DType::Q4_K: case DType::Q5_K: {
        const bool five = t == DType::Q5_K;
        const int c = i / 64, r = i % 64, hi = r >= 32, l = r % 32, s = 2 * c + hi;
        const uint8_t* qs = b + (five ? 48 : 16);
        int q = hi ? (qs[32 * c + l] >> 4) : (qs[32 * c + l] & 0xF);
        if (five && ((b[16 + l] >> s) & 1))
            q += 16;
        int sc, m;
        refScaleMin(b + 4, s, sc, m);
        const float d1 = refHalf(b) * static_cast<float>(sc);
        const float m1 = refHalf(b + 2) * static_cast<float>(m);
        return d1 * static_cast<float>(q) - m1;
    }
    case DType::Q6_K: {
        const int n = i / 128, r = i % 128, quarter = r / 32, l = r % 32, g = l / 16;
        const uint8_t* ql = b + 64 * n;
        const uint8_t* qh = b + 128 + 32 * n;
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * n);
        const int low = quarter == 0 ? (ql[l] & 0xF) : quarter == 1 ? (ql[l + 32] & 0xF) : quarter == 2 ? (ql[l] >> 4) : (ql[l + 32] >> 4);
        const int high = (qh[l] >> (2 * quarter)) & 3;
        const int q = (low | (high << 4)) - 32;
        return refHalf(b + 208) * static_cast<float>(sc[g + 2 * quarter]) * static_cast<float>(q);
    }
    default: throw std::runtime_error("refElement: not a dequantizable type");
    }
}

inline std::vector<float> refDequant(DType t, const uint8_t* src, uint64_t n)
{
    const DTypeInfo& info = dtypeInfo(t);
    std::vector<float> out(n);
    for (uint64_t k = 0; k < n; ++k)
        out[k] = refElement(t, src + (k / info.blockElems) * info.blockBytes, static_cast<int>(k % info.blockElems));
    return out;
}

/// Bitwise float comparison that treats every NaN as equal to every NaN.
inline bool sameFloat(float a, float b)
{
    if (a != a && b != b)
        return true;
    uint32_t x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    return x == y;
}

} // namespace attnscope::test
