// Real-file smoke test: the SmolLM2-135M-Instruct Q4_1 GGUF opens, describes a 30-block llama, and every
// tensor is of a decodable type and dequantises without NaN.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/tensor/dequant.h"
#include "model_paths.h"

#include <cmath>
#include <gtest/gtest.h>
#include <map>

using namespace attnscope;

TEST(GgufSmolLM2, OpensAndDequantisesEveryTensor)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    auto ck = openCheckpoint(path);
    ASSERT_EQ(ck->format, CheckpointFormat::Gguf);
    const MetaValue* arch = ck->meta("general.architecture");
    ASSERT_NE(arch, nullptr);
    EXPECT_EQ(arch->s, "llama");
    const MetaValue* blocks = ck->meta("llama.block_count");
    ASSERT_NE(blocks, nullptr);
    ASSERT_TRUE(blocks->isInteger());
    EXPECT_EQ(blocks->u, 30u);
    const MetaValue* tokens = ck->meta("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->arraySize(), 49152u);

    std::map<std::string, int> typeCounts;
    std::vector<float> buf;
    for (const TensorInfo& t : ck->tensors) {
        ASSERT_TRUE(dtypeInfo(t.dtype).dequantizable) << t.name << " is " << dtypeName(t.dtype);
        ++typeCounts[dtypeName(t.dtype)];
        buf.resize(t.elementCount());
        dequantizeRows(*ck, t, 0, t.rows(), buf.data());
        for (float f : buf)
            ASSERT_FALSE(std::isnan(f)) << t.name;
    }
    ASSERT_NE(ck->find("token_embd.weight"), nullptr);
    EXPECT_EQ(ck->find("token_embd.weight")->shape, (std::vector<int64_t>{49152, 576}));
    ASSERT_NE(ck->find("blk.29.attn_k.weight"), nullptr);
    EXPECT_EQ(ck->find("blk.29.attn_k.weight")->shape, (std::vector<int64_t>{192, 576}));
    for (const auto& [type, n] : typeCounts)
        std::printf("  %-6s %d tensors\n", type.c_str(), n);
}
