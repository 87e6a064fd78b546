// Progress and cancellation contract (docs/ENGINE.md "Runs"): a struct of atomics the UI polls at ~10 Hz,
// and std::stop_token for cancel. Threading: written by the compute thread, read from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <atomic>
#include <cstdint>

namespace attnscope {

enum class Stage : int { Idle, Opening, Validating, Mapping, Tokenising, Layer, Head, Tile, Exporting, Done };
const char* stageName(Stage s);

struct Progress {
    std::atomic<int> stage{static_cast<int>(Stage::Idle)};
    std::atomic<int64_t> done{0};
    std::atomic<int64_t> total{0};
    std::atomic<int64_t> subDone{0};
    std::atomic<int64_t> subTotal{0};

    void set(Stage s, int64_t d, int64_t t)
    {
        stage.store(static_cast<int>(s), std::memory_order_relaxed);
        total.store(t, std::memory_order_relaxed);
        done.store(d, std::memory_order_release);
    }
    Stage currentStage() const { return static_cast<Stage>(stage.load(std::memory_order_relaxed)); }
    /// Fraction in [0, 1] of the current stage.
    double fraction() const
    {
        int64_t t = total.load(std::memory_order_relaxed);
        return t > 0 ? static_cast<double>(done.load(std::memory_order_acquire)) / static_cast<double>(t) : 0.0;
    }
};

} // namespace attnscope
