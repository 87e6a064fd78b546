// A deterministic 64-bit generator (splitmix64, Steele et al. 2014) with uniform integers and standard normals
// (Box–Muller), so seeded variants (BigBird blocks, LSH rotations, k-means starts, Performer features) give the
// same numbers on every platform and compiler (std::*_distribution does not).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cmath>
#include <cstdint>

namespace attnscope {

struct SplitMix64 {
    uint64_t state;
    explicit SplitMix64(uint64_t seed) : state(seed) {}
    uint64_t next()
    {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n) (n > 0).
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    /// Uniform in (0, 1].
    double unit() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
    /// Standard normal.
    double normal()
    {
        const double u1 = unit(), u2 = unit();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
    }
};

} // namespace attnscope
