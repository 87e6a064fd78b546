// Conversion of stored tensor data (plain floats and ggml block quantisations) to float32.
// Layouts and formulas: ggml-common.h block structs; evaluation order follows ggml's dequantize_row_* so that our
// floats are bit-identical to what llama.cpp computes from the same blocks.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tensor/dtype.h"

#include <cstdint>
#include <cstring>

namespace attnscope {

class Checkpoint;
struct TensorInfo;

/// IEEE binary16 -> binary32, exact for every input (subnormals, ±Inf, NaN keeps sign and payload bits).
inline float halfToFloat(uint16_t h)
{
    // Shift the half into the top of a 32-bit word, drop the sign (two_w), and rebuild normals by
    // re-biasing the exponent through a float multiply (exponent 31 lands on 255, so Inf/NaN survive);
    // subnormals are rebuilt as (0.5 + m·2^-24·...) − 0.5 by the magic-bias trick. Branch-free so that
    // loops over it vectorise.
    const uint32_t w = static_cast<uint32_t>(h) << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t twoW = w + w;
    uint32_t normBits = (twoW >> 4) + (0xE0u << 23);
    float norm;
    std::memcpy(&norm, &normBits, 4);
    norm *= 0x1.0p-112f;
    uint32_t denormBits = (twoW >> 17) | (126u << 23);
    float denorm;
    std::memcpy(&denorm, &denormBits, 4);
    denorm -= 0.5f;
    uint32_t nb, db;
    std::memcpy(&nb, &norm, 4);
    std::memcpy(&db, &denorm, 4);
    // Select with a mask rather than ?: so that the compiler vectorises loops over this function.
    const uint32_t isDenorm = 0u - static_cast<uint32_t>(twoW < (1u << 27));
    const uint32_t bits = sign | (db & isDenorm) | (nb & ~isDenorm);
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

/// binary32 -> binary16 with round-to-nearest-even; overflow gives ±Inf, NaN stays a (quiet) NaN.
uint16_t floatToHalf(float f);

/// bfloat16 is the top half of a binary32.
inline float bf16ToFloat(uint16_t b)
{
    const uint32_t bits = static_cast<uint32_t>(b) << 16;
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

/// binary32 -> bfloat16 with round-to-nearest-even; NaN stays a quiet NaN (rounding could turn it into Inf).
uint16_t floatToBf16(float f);

/// Converts nElements stored as `t` (nElements a multiple of the block size) to float32.
/// Throws Error(Unsupported) for types that are not dequantizable (integers, bool) and Error(Internal)
/// for a misfit element count.
void dequantize(DType t, const uint8_t* src, float* dst, uint64_t nElements);

/// Dequantises rows [rowBegin, rowBegin + rowCount) of a tensor (rows as in TensorInfo::rows(), each of
/// rowLength() elements) into dst (rowCount × rowLength floats). Throws Error(Unsupported) naming the dtype
/// and tensor when the dtype cannot be converted, Error(Usage) for a row range outside the tensor.
void dequantizeRows(const Checkpoint& ckpt, const TensorInfo& t, int64_t rowBegin, int64_t rowCount, float* dst);

} // namespace attnscope
