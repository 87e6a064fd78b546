// FP32 FMA peak micro-benchmark (docs/PERFORMANCE.md "Machine"): 12 independent 256-bit FMA chains per thread, so latency
// is hidden and the FMA ports saturate. Compiled for AVX2+FMA via a target attribute and only run when the CPU
// has them; otherwise a scalar estimate is reported (the ratio is then meaningless and says so in the output).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace attnscope::cli {

namespace {

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) double fmaLoop(long iterations)
{
    __m256 acc[12];
    for (int i = 0; i < 12; ++i)
        acc[i] = _mm256_set1_ps(0.001f * float(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 12; ++i)
            acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < 12; ++i)
        s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];   // keeps the loop alive
}
#endif

} // namespace

double measureFmaPeakGflops(int threads)
{
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return 0.0;
    const long iterations = 20'000'000;   // 12 chains × 8 lanes × 2 FLOP = 192 FLOP per iteration
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        std::vector<std::thread> pool;
        std::vector<double> sink(static_cast<size_t>(threads));
        const auto t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { sink[static_cast<size_t>(t)] = fmaLoop(iterations); });
        for (auto& p : pool)
            p.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, 192.0 * double(iterations) * threads / s / 1e9);
    }
    return best;
#else
    (void)threads;
    return 0.0;
#endif
}

} // namespace attnscope::cli
