// What one encode() call may cost, whatever the tokenizer file says: the normalised text may grow to at most
// kMaxNormalizedGrowth × the input + kNormalizedSlackBytes (over all segments of the call), and the whole call
// has one wall-clock budget that every stage checks (normalizer steps, regex splitting, added-token matching,
// the BPE / WordPiece model). The structural caps in pipeline_tokenizer.h (steps, string sizes) keep real
// work far below both; these are the backstops that turn a hostile pipeline into an Error naming the cap
// instead of a hang or gigabytes (docs/SECURITY.md).
// Threading: one budget per encode() call, used by that call's thread only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace attnscope {

constexpr size_t kMaxNormalizedGrowth = 4;
constexpr size_t kNormalizedSlackBytes = 64 * 1024;
constexpr double kEncodeTimeBudgetSeconds = 10.0;

class EncodeBudget {
public:
    using Clock = std::chrono::steady_clock;

    EncodeBudget(const std::string& source, size_t inputBytes, double seconds = kEncodeTimeBudgetSeconds);

    /// Normalised bytes this call may still produce.
    size_t normalizedBytesLeft() const { return m_normalizedLimit - m_normalizedUsed; }
    /// Throws Error(Tokenizer) naming the growth cap when `bytes` exceeds normalizedBytesLeft().
    void checkNormalized(size_t bytes, const char* step) const;
    /// Records a segment's final normalised size (checked first).
    void spendNormalized(size_t bytes, const char* step);

    /// Throws Error(Tokenizer) naming `stage` when the call's time budget is spent.
    void checkTime(const char* stage) const;
    /// For inner loops: counts `units` of work and reads the clock only every ~64k units.
    void tick(const char* stage, uint64_t units = 1)
    {
        m_sinceCheck += units;
        if (m_sinceCheck >= kUnitsPerClockRead) {
            m_sinceCheck = 0;
            checkTime(stage);
        }
    }

    static constexpr uint64_t kUnitsPerClockRead = uint64_t(1) << 16;

private:
    const std::string& m_source;
    size_t m_inputBytes;
    size_t m_normalizedLimit;
    size_t m_normalizedUsed = 0;
    double m_seconds;
    Clock::time_point m_deadline;
    uint64_t m_sinceCheck = 0;
};

} // namespace attnscope
