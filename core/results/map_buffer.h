// Storage for large probability maps: a std::vector whose elements are left uninitialised on resize (the kernel
// writes every cell, so zero-filling 4 MB per head at 1k tokens is wasted work) and whose big blocks are
// 2 MiB-aligned and advised for transparent huge pages, which cuts first-touch page faults ~500× when a run
// captures every head (≈ 1 GB for SmolLM2 at 1k tokens).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#include <sys/mman.h>

namespace attnscope {

template <typename T>
struct MapAllocator {
    using value_type = T;
    MapAllocator() = default;
    template <typename U>
    MapAllocator(const MapAllocator<U>&) noexcept {}

    T* allocate(size_t n)
    {
        const size_t bytes = n * sizeof(T);
        constexpr size_t kHuge = size_t(2) << 20;
        if (bytes >= kHuge) {
            const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
            void* p = std::aligned_alloc(kHuge, rounded);
            if (!p)
                throw std::bad_alloc();
            ::madvise(p, rounded, MADV_HUGEPAGE);   // advisory; ignored where THP is off
            return static_cast<T*>(p);
        }
        void* p = std::malloc(bytes ? bytes : 1);
        if (!p)
            throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) noexcept { std::free(p); }

    // Default-initialise (i.e. leave trivial types uninitialised) instead of value-initialising.
    template <typename U>
    void construct(U* p) noexcept
    {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args)
    {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    template <typename U>
    bool operator==(const MapAllocator<U>&) const noexcept { return true; }
};

using MapBuffer = std::vector<float, MapAllocator<float>>;

} // namespace attnscope
