// Backend registration and run-time selection (docs/BACKENDS.md): CPU is always registered last; `auto` takes
// CUDA only when its probe succeeds and otherwise says why; an unknown name is a usage error.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "attnscope_config.h"
#include "core/backend/backend_set.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"

#include <gtest/gtest.h>

using namespace attnscope;

TEST(BackendRegistry, CpuIsRegisteredLastAndCudaFirstWhenBuilt)
{
    const auto& f = builtinBackends().factories();
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(f.back()->name(), "cpu");
    EXPECT_EQ(f.size(), ATTNSCOPE_HAVE_CUDA ? 2u : 1u);
    if (ATTNSCOPE_HAVE_CUDA) {
        EXPECT_EQ(f.front()->name(), "cuda");
    }
}

TEST(BackendRegistry, AutoPicksAWorkingBackendAndExplainsSkippedOnes)
{
    BackendSet s = selectBackends(builtinBackends(), "auto", 2);
    ASSERT_TRUE(s.primary);
    EXPECT_TRUE(s.fallback().supports(OpKind::Attention));
    EXPECT_EQ(s.fallback().name(), "cpu");
    if (s.primary->name() == "cpu" && ATTNSCOPE_HAVE_CUDA) {
        EXPECT_NE(s.notes.find("cuda: "), std::string::npos) << "a skipped CUDA backend must say why";
    }
    EXPECT_EQ(s.fallback().threads(), 2);
}

TEST(BackendRegistry, UnknownNameIsAUsageError)
{
    try {
        selectBackends(builtinBackends(), "tpu", 1);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("available: auto"), std::string::npos);
    }
}

TEST(CudaBackend, ProbeOnThisMachine)
{
    if (!ATTNSCOPE_HAVE_CUDA) {
        try {
            selectBackends(builtinBackends(), "cuda", 1);
            FAIL() << "a build without CUDA cannot select it";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
            EXPECT_NE(std::string(e.what()).find("this build has no CUDA backend"), std::string::npos) << e.what();
        }
        GTEST_SKIP() << "built without CUDA (no nvcc found at configure time)";
    }
    std::string reason;
    const auto& cuda = builtinBackends().factories().front();
    if (!cuda->probe(reason)) {
        // The machine has no usable GPU: selecting CUDA by name must fail with that reason, auto must not.
        EXPECT_FALSE(reason.empty());
        EXPECT_THROW(selectBackends(builtinBackends(), "cuda", 1), Error);
        GTEST_SKIP() << "no usable CUDA device: " << reason;
    }
    BackendSet s = selectBackends(builtinBackends(), "cuda", 1);
    EXPECT_EQ(s.primary->name(), "cuda");
    EXPECT_FALSE(s.primary->description().empty());
    ASSERT_TRUE(s.cpuFallback);   // ops the CUDA backend does not support run on the CPU
}
