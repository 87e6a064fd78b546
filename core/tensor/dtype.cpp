// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tensor/dtype.h"
#include "core/util/checked.h"

#include <array>
#include <cstring>

namespace attnscope {

namespace {

// Indexed by DType; the static_assert below keeps it in step with the enum.
constexpr DTypeInfo kInfos[] = {
    {"F32", 1, 4, true},     {"F16", 1, 2, true},     {"BF16", 1, 2, true},    {"F64", 1, 8, true},
    {"I8", 1, 1, false},     {"I16", 1, 2, false},    {"I32", 1, 4, false},    {"I64", 1, 8, false},
    {"U8", 1, 1, false},     {"U16", 1, 2, false},    {"U32", 1, 4, false},    {"U64", 1, 8, false},
    {"BOOL", 1, 1, false},
    {"Q4_0", 32, 18, true},  {"Q4_1", 32, 20, true},  {"Q5_0", 32, 22, true},  {"Q5_1", 32, 24, true},
    {"Q8_0", 32, 34, true},  {"Q4_K", 256, 144, true}, {"Q5_K", 256, 176, true}, {"Q6_K", 256, 210, true},
};
static_assert(sizeof(kInfos) / sizeof(kInfos[0]) == static_cast<size_t>(DType::Count));

constexpr DTypeInfo kInvalid = {"invalid", 1, 1, false};

// ggml type ids (ggml.h `enum ggml_type`). Removed ids keep their historical names so
// a message about an old file still says what the tensor was.
struct GgmlEntry {
    uint32_t id;
    const char* name;
    int dtype;   // DType as int, or -1 when attnscope does not decode it
};
constexpr int kNo = -1;
constexpr GgmlEntry kGgml[] = {
    {0, "F32", int(DType::F32)},
    {1, "F16", int(DType::F16)},
    {2, "Q4_0", int(DType::Q4_0)},
    {3, "Q4_1", int(DType::Q4_1)},
    {4, "Q4_2 (removed)", kNo},
    {5, "Q4_3 (removed)", kNo},
    {6, "Q5_0", int(DType::Q5_0)},
    {7, "Q5_1", int(DType::Q5_1)},
    {8, "Q8_0", int(DType::Q8_0)},
    {9, "Q8_1", kNo},
    {10, "Q2_K", kNo},
    {11, "Q3_K", kNo},
    {12, "Q4_K", int(DType::Q4_K)},
    {13, "Q5_K", int(DType::Q5_K)},
    {14, "Q6_K", int(DType::Q6_K)},
    {15, "Q8_K", kNo},
    {16, "IQ2_XXS", kNo},
    {17, "IQ2_XS", kNo},
    {18, "IQ3_XXS", kNo},
    {19, "IQ1_S", kNo},
    {20, "IQ4_NL", kNo},
    {21, "IQ3_S", kNo},
    {22, "IQ2_S", kNo},
    {23, "IQ4_XS", kNo},
    {24, "I8", int(DType::I8)},
    {25, "I16", int(DType::I16)},
    {26, "I32", int(DType::I32)},
    {27, "I64", int(DType::I64)},
    {28, "F64", int(DType::F64)},
    {29, "IQ1_M", kNo},
    {30, "BF16", int(DType::BF16)},
    {31, "Q4_0_4_4 (removed)", kNo},
    {32, "Q4_0_4_8 (removed)", kNo},
    {33, "Q4_0_8_8 (removed)", kNo},
    {34, "TQ1_0", kNo},
    {35, "TQ2_0", kNo},
    {36, "IQ4_NL_4_4 (removed)", kNo},
    {37, "IQ4_NL_4_8 (removed)", kNo},
    {38, "IQ4_NL_8_8 (removed)", kNo},
    {39, "MXFP4", kNo},
    {40, "NVFP4", kNo},
    {41, "Q1_0", kNo},
    {42, "Q2_0", kNo},
};
constexpr uint32_t kGgmlCount = sizeof(kGgml) / sizeof(kGgml[0]);

struct StEntry {
    const char* name;
    DType dtype;
};
// safetensors dtype strings attnscope maps to a DType (safetensors README). FP8/F4/F6/C64 are known to the
// safetensors reader for size validation but have no DType.
constexpr StEntry kSafetensors[] = {
    {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
    {"I8", DType::I8},   {"I16", DType::I16}, {"I32", DType::I32},   {"I64", DType::I64},
    {"U8", DType::U8},   {"U16", DType::U16}, {"U32", DType::U32},   {"U64", DType::U64},
    {"BOOL", DType::Bool},
};

} // namespace

const DTypeInfo& dtypeInfo(DType t)
{
    // Range-checked: a DType value that came from a corrupt cast must not index past the table.
    auto i = static_cast<size_t>(t);
    if (i >= static_cast<size_t>(DType::Count))
        return kInvalid;
    return kInfos[i];
}

bool dtypeFromGgml(uint32_t ggmlType, DType& out)
{
    if (ggmlType >= kGgmlCount || kGgml[ggmlType].dtype < 0)
        return false;
    out = static_cast<DType>(kGgml[ggmlType].dtype);
    return true;
}

const char* ggmlTypeName(uint32_t ggmlType)
{
    return ggmlType < kGgmlCount ? kGgml[ggmlType].name : "unknown";
}

bool ggmlFromDtype(DType t, uint32_t& out)
{
    for (const GgmlEntry& e : kGgml) {
        if (e.dtype == int(t)) {
            out = e.id;
            return true;
        }
    }
    return false;
}

bool dtypeFromSafetensors(const std::string& s, DType& out)
{
    for (const StEntry& e : kSafetensors) {
        if (s == e.name) {
            out = e.dtype;
            return true;
        }
    }
    return false;
}

const char* safetensorsName(DType t)
{
    for (const StEntry& e : kSafetensors)
        if (e.dtype == t)
            return e.name;
    return nullptr;
}

bool bytesForElements(DType t, uint64_t n, uint64_t& bytes)
{
    if (static_cast<size_t>(t) >= static_cast<size_t>(DType::Count))
        return false;
    const DTypeInfo& info = kInfos[static_cast<size_t>(t)];
    if (n % info.blockElems != 0)
        return false;
    return checkedMul(n / info.blockElems, info.blockBytes, bytes);
}

} // namespace attnscope
