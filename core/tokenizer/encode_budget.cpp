// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/encode_budget.h"
#include "core/util/error.h"

#include <cstdio>

namespace attnscope {

EncodeBudget::EncodeBudget(const std::string& source, size_t inputBytes, double seconds)
    : m_source(source)
    , m_inputBytes(inputBytes)
    , m_normalizedLimit(kMaxNormalizedGrowth * inputBytes + kNormalizedSlackBytes)
    , m_seconds(seconds)
    , m_deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)))
{
}

void EncodeBudget::checkNormalized(size_t bytes, const char* step) const
{
    if (bytes <= normalizedBytesLeft())
        return;
    throw Error(ErrorKind::Tokenizer, m_source, std::string("normalizer.") + step, -1,
                "normalisation would grow this " + std::to_string(m_inputBytes) + "-byte text past the cap of " +
                    std::to_string(kMaxNormalizedGrowth) + " × its size + " +
                    std::to_string(kNormalizedSlackBytes / 1024) + " KiB (" + std::to_string(m_normalizedLimit) +
                    " bytes)");
}

void EncodeBudget::spendNormalized(size_t bytes, const char* step)
{
    checkNormalized(bytes, step);
    m_normalizedUsed += bytes;
}

void EncodeBudget::checkTime(const char* stage) const
{
    if (Clock::now() <= m_deadline)
        return;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", m_seconds);
    throw Error(ErrorKind::Tokenizer, m_source, stage, -1,
                std::string("tokenizing this text exceeded the time budget of ") + secs +
                    " s per request (the tokenizer's pipeline is too costly for it)");
}

} // namespace attnscope
