// Minimal fork-join helper for the CPU kernels: runs f(i) for i in [0, n) on up to `threads` threads with a
// fixed static partition (deterministic results at a fixed thread count, docs/ENGINE.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace attnscope::cpu {

template <typename F>
void parallelFor(int threads, int64_t n, F&& f)
{
    const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(threads, n));
    if (workers == 1) {
        for (int64_t i = 0; i < n; ++i)
            f(i, 0);
        return;
    }
    // Interleaved static assignment: worker w takes items w, w + workers, … (balances causal heads of equal cost).
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(workers - 1));
    for (int64_t w = 1; w < workers; ++w)
        pool.emplace_back([&, w] {
            for (int64_t i = w; i < n; i += workers)
                f(i, static_cast<int>(w));
        });
    for (int64_t i = 0; i < n; i += workers)
        f(i, 0);
    for (auto& t : pool)
        t.join();
}

} // namespace attnscope::cpu
