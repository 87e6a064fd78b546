// Element types and quantisation block descriptors — the tensor conventions, written down once.
//
// Layout conventions used everywhere in attnscope:
//  * Shapes are listed outermost dimension first, row-major (C order), as in PyTorch/NumPy and safetensors.
//  * GGUF stores ggml `ne[]` with ne[0] the fastest-varying dimension; the GGUF reader reverses it, so a
//    PyTorch [out, in] Linear weight has shape {out, in} whatever file it came from.
//  * Quantised types are stored in blocks along the innermost dimension (a "row"); a row of n elements of a
//    block type occupies n / blockElems * blockBytes bytes, and rows are contiguous.
//  * Every multi-byte field is little-endian and may be unaligned (read with memcpy).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>

namespace attnscope {

enum class DType : uint8_t {
    F32, F16, BF16, F64,
    I8, I16, I32, I64, U8, U16, U32, U64, Bool,
    Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K,
    Count
};

struct DTypeInfo {
    const char* name;      // "F32", "Q4_K", ...
    uint32_t blockElems;   // 1 for plain types
    uint32_t blockBytes;   // bytes per block (element size for plain types)
    bool dequantizable;    // can be converted to float32 by dequantize()
};

const DTypeInfo& dtypeInfo(DType t);
inline const char* dtypeName(DType t) { return dtypeInfo(t).name; }

/// ggml type id -> DType; false for ids we do not decode (caller reports the id and its ggml name).
bool dtypeFromGgml(uint32_t ggmlType, DType& out);
/// ggml's name for a type id, also for ids we do not decode ("IQ2_XXS"), or "unknown".
const char* ggmlTypeName(uint32_t ggmlType);
/// DType -> ggml type id (for writers in tests); false when ggml has no such id.
bool ggmlFromDtype(DType t, uint32_t& out);
/// safetensors dtype string ("BF16") -> DType; false when unknown or not readable.
bool dtypeFromSafetensors(const std::string& s, DType& out);
/// DType -> safetensors dtype string; nullptr for the block-quantised types safetensors has no name for.
const char* safetensorsName(DType t);

/// Bytes for n elements (n must be a multiple of blockElems); false on overflow or misfit.
bool bytesForElements(DType t, uint64_t n, uint64_t& bytes);

} // namespace attnscope
