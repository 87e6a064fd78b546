// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tensor/dequant.h"
#include "core/formats/checkpoint.h"
#include "core/util/checked.h"
#include "core/util/error.h"

#include <string>

namespace attnscope {

uint16_t floatToHalf(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    x &= 0x7FFFFFFFu;
    if (x >= 0x7F800000u) {
        if (x == 0x7F800000u)
            return sign | 0x7C00u;
        // Keep the top payload bits and force the quiet bit so the result cannot collapse to Inf.
        return static_cast<uint16_t>(sign | 0x7E00u | ((x >> 13) & 0x3FFu));
    }
    if (x >= 0x477FF000u)   // >= 65520: rounds to Inf under round-to-nearest-even
        return sign | 0x7C00u;
    if (x < 0x38800000u) {  // below 2^-14: the result is a half subnormal (or zero)
        if (x < 0x33000000u) // below 2^-25 (exactly 2^-25 ties to even, i.e. 0, handled below too)
            return sign;
        const uint32_t e = x >> 23;
        const uint32_t m = (x & 0x7FFFFFu) | 0x800000u;
        const uint32_t shift = 126 - e; // value = m·2^(e−150); in units of 2^-24 that is m >> (126 − e)
        uint32_t r = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1)))
            ++r;
        return static_cast<uint16_t>(sign | r);
    }
    uint32_t r = ((x >> 23) - 112) << 10 | ((x >> 13) & 0x3FFu);
    const uint32_t rem = x & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1)))
        ++r; // a carry out of the mantissa correctly bumps the exponent
    return static_cast<uint16_t>(sign | r);
}

uint16_t floatToBf16(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return static_cast<uint16_t>((x >> 16) | 0x0040u);
    x += 0x7FFFu + ((x >> 16) & 1u);
    return static_cast<uint16_t>(x >> 16);
}

namespace {

inline uint16_t loadU16(const uint8_t* p)
{
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
inline float loadHalf(const uint8_t* p) { return halfToFloat(loadU16(p)); }

void deqF32(const uint8_t* s, float* y, uint64_t n) { std::memcpy(y, s, n * 4); }

void deqF16(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t i = 0; i < n; ++i)
        y[i] = halfToFloat(loadU16(s + 2 * i));
}

void deqBF16(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t i = 0; i < n; ++i)
        y[i] = bf16ToFloat(loadU16(s + 2 * i));
}

void deqF64(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, s + 8 * i, 8);
        y[i] = static_cast<float>(v);
    }
}

// 32-element blocks: low nibbles are elements 0..15, high nibbles 16..31 (not interleaved).
void deqQ4_0(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 32; ++b, s += 18, y += 32) {
        const float d = loadHalf(s);
        const uint8_t* qs = s + 2;
        for (int j = 0; j < 16; ++j) {
            y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
            y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
        }
    }
}

void deqQ4_1(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 32; ++b, s += 20, y += 32) {
        const float d = loadHalf(s);
        const float m = loadHalf(s + 2);
        const uint8_t* qs = s + 4;
        for (int j = 0; j < 16; ++j) {
            y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
            y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
        }
    }
}

void deqQ5_0(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 32; ++b, s += 22, y += 32) {
        const float d = loadHalf(s);
        uint32_t qh;
        std::memcpy(&qh, s + 2, 4);
        const uint8_t* qs = s + 6;
        for (int j = 0; j < 16; ++j) {
            // Bit j of qh is the fifth bit of element j, bit j+16 that of element j+16; both moved to bit 4.
            const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10u);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10u);
            y[j] = static_cast<float>(((qs[j] & 0x0F) | h0) - 16) * d;
            y[j + 16] = static_cast<float>(((qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

void deqQ5_1(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 32; ++b, s += 24, y += 32) {
        const float d = loadHalf(s);
        const float m = loadHalf(s + 2);
        uint32_t qh;
        std::memcpy(&qh, s + 4, 4);
        const uint8_t* qs = s + 8;
        for (int j = 0; j < 16; ++j) {
            const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10u);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10u);
            y[j] = static_cast<float>((qs[j] & 0x0F) | h0) * d + m;
            y[j + 16] = static_cast<float>((qs[j] >> 4) | h1) * d + m;
        }
    }
}

void deqQ8_0(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 32; ++b, s += 34, y += 32) {
        const float d = loadHalf(s);
        const int8_t* qs = reinterpret_cast<const int8_t*>(s + 2);
        for (int j = 0; j < 32; ++j)
            y[j] = static_cast<float>(qs[j]) * d;
    }
}

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K super-block, packed into 12 bytes.
inline void scaleMinK4(int j, const uint8_t* q, uint8_t& sc, uint8_t& m)
{
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = static_cast<uint8_t>((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
        m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

void deqQ4_K(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 256; ++b, s += 144) {
        const float d = loadHalf(s);
        const float dmin = loadHalf(s + 2);
        const uint8_t* scales = s + 4;
        const uint8_t* q = s + 16;
        for (int c = 0; c < 4; ++c, q += 32, y += 64) {
            uint8_t sc, m;
            scaleMinK4(2 * c, scales, sc, m);
            const float d1 = d * sc, m1 = dmin * m;
            scaleMinK4(2 * c + 1, scales, sc, m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; ++l)
                y[l] = d1 * static_cast<float>(q[l] & 0x0F) - m1;
            for (int l = 0; l < 32; ++l)
                y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - m2;
        }
    }
}

void deqQ5_K(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 256; ++b, s += 176) {
        const float d = loadHalf(s);
        const float dmin = loadHalf(s + 2);
        const uint8_t* scales = s + 4;
        const uint8_t* qh = s + 16;
        const uint8_t* q = s + 48;
        for (int c = 0; c < 4; ++c, q += 32, y += 64) {
            uint8_t sc, m;
            scaleMinK4(2 * c, scales, sc, m);
            const float d1 = d * sc, m1 = dmin * m;
            scaleMinK4(2 * c + 1, scales, sc, m);
            const float d2 = d * sc, m2 = dmin * m;
            const uint8_t u1 = static_cast<uint8_t>(1u << (2 * c));
            const uint8_t u2 = static_cast<uint8_t>(2u << (2 * c));
            for (int l = 0; l < 32; ++l)
                y[l] = d1 * static_cast<float>((q[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l)
                y[l + 32] = d2 * static_cast<float>((q[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
        }
    }
}

void deqQ6_K(const uint8_t* s, float* y, uint64_t n)
{
    for (uint64_t b = 0; b < n / 256; ++b, s += 210) {
        const float d = loadHalf(s + 208);
        const uint8_t* ql = s;
        const uint8_t* qh = s + 128;
        const int8_t* sc = reinterpret_cast<const int8_t*>(s + 192);
        for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, y += 128) {
            // Two runs of 16 so that each inner loop has constant scales (lets it vectorise).
            for (int g = 0; g < 2; ++g) {
                const float s1 = d * sc[g], s2 = d * sc[g + 2], s3 = d * sc[g + 4], s4 = d * sc[g + 6];
                for (int l = 16 * g; l < 16 * g + 16; ++l) {
                    const int q1 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32;
                    const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = s1 * static_cast<float>(q1);
                    y[l + 32] = s2 * static_cast<float>(q2);
                    y[l + 64] = s3 * static_cast<float>(q3);
                    y[l + 96] = s4 * static_cast<float>(q4);
                }
            }
        }
    }
}

using DeqFn = void (*)(const uint8_t*, float*, uint64_t);

// One converter per DType (nullptr: not convertible), dispatched once per call, never per element.
DeqFn converterFor(DType t)
{
    switch (t) {
    case DType::F32: return deqF32;
    case DType::F16: return deqF16;
    case DType::BF16: return deqBF16;
    case DType::F64: return deqF64;
    case DType::Q4_0: return deqQ4_0;
    case DType::Q4_1: return deqQ4_1;
    case DType::Q5_0: return deqQ5_0;
    case DType::Q5_1: return deqQ5_1;
    case DType::Q8_0: return deqQ8_0;
    case DType::Q4_K: return deqQ4_K;
    case DType::Q5_K: return deqQ5_K;
    case DType::Q6_K: return deqQ6_K;
    default: return nullptr;
    }
}

} // namespace

void dequantize(DType t, const uint8_t* src, float* dst, uint64_t nElements)
{
    DeqFn fn = converterFor(t);
    if (!fn)
        throw Error(ErrorKind::Unsupported, "", "dtype", -1,
                    std::string("unsupported dtype ") + dtypeName(t) + ": cannot be converted to float32");
    if (nElements % dtypeInfo(t).blockElems != 0)
        throw Error(ErrorKind::Internal, "", "dtype", -1,
                    std::to_string(nElements) + " elements is not a whole number of " + dtypeName(t) + " blocks");
    fn(src, dst, nElements);
}

void dequantizeRows(const Checkpoint& ckpt, const TensorInfo& t, int64_t rowBegin, int64_t rowCount, float* dst)
{
    DeqFn fn = converterFor(t.dtype);
    const std::string file = t.fileIndex < ckpt.files.size() && ckpt.files[t.fileIndex] ? ckpt.files[t.fileIndex]->path() : ckpt.path;
    if (!fn)
        throw Error(ErrorKind::Unsupported, file, t.name, -1,
                    std::string("unsupported dtype ") + dtypeName(t.dtype) + " for tensor " + t.name);
    const int64_t rows = t.rows();
    if (rowBegin < 0 || rowCount < 0 || rowBegin > rows || rowCount > rows - rowBegin)
        throw Error(ErrorKind::Usage, file, t.name, -1,
                    "rows [" + std::to_string(rowBegin) + ", +" + std::to_string(rowCount) + ") outside the tensor's " +
                        std::to_string(rows) + " rows");
    const uint64_t rowLen = static_cast<uint64_t>(t.rowLength());
    uint64_t rowBytes = 0;
    if (!bytesForElements(t.dtype, rowLen, rowBytes))
        throw Error(ErrorKind::Internal, file, t.name, -1, "row length is not a whole number of blocks");
    // The reader validated rows × rowBytes == nbytes inside the file; re-check so that a hand-built
    // TensorInfo cannot make us read past the tensor.
    uint64_t end = 0;
    if (!checkedMul(static_cast<uint64_t>(rowBegin + rowCount), rowBytes, end) || end > t.nbytes)
        throw Error(ErrorKind::Internal, file, t.name, -1, "row range exceeds the tensor's byte extent");
    if (rowCount == 0 || rowLen == 0)
        return;
    fn(ckpt.data(t) + static_cast<uint64_t>(rowBegin) * rowBytes, dst, rowLen * static_cast<uint64_t>(rowCount));
}

} // namespace attnscope
