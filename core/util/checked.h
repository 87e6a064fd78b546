// Overflow-checked size arithmetic for every size computed from file contents
// (docs/SECURITY.md). Each returns false on overflow instead of wrapping.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <optional>

namespace attnscope {

inline bool checkedAdd(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_add_overflow(a, b, &out); }
inline bool checkedMul(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_mul_overflow(a, b, &out); }

/// Rounds v up to a multiple of a power-of-two alignment; false on overflow or a bad alignment.
inline bool checkedAlignUp(uint64_t v, uint64_t align, uint64_t& out)
{
    if (align == 0 || (align & (align - 1)) != 0)
        return false;
    uint64_t t;
    if (!checkedAdd(v, align - 1, t))
        return false;
    out = t & ~(align - 1);
    return true;
}

inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!checkedAdd(a, b, r))
        return std::nullopt;
    return r;
}

inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!checkedMul(a, b, r))
        return std::nullopt;
    return r;
}

} // namespace attnscope
