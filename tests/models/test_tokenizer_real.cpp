// Real tokenizers against committed goldens from the HF reference (tests/fixtures/make_tokenizer_fixtures.py):
// SmolLM2-135M-Instruct from its GGUF metadata, all-MiniLM-L6-v2 from its tokenizer.json. Every string, with
// and without special tokens, must give exactly the reference ids.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/models/model_paths.h"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;

namespace {

nlohmann::json loadFixture(const std::string& name)
{
    std::ifstream f(std::string(ATTNSCOPE_TEST_FIXTURES) + "/" + name);
    EXPECT_TRUE(f.good()) << name;
    return nlohmann::json::parse(f);
}

void compareAll(const Tokenizer& tok, const nlohmann::json& fixture, size_t minCases)
{
    const auto& cases = fixture.at("cases");
    ASSERT_GE(cases.size(), minCases);
    size_t matched = 0;
    for (const auto& c : cases) {
        const std::string text = c.at("text");
        const auto wantSpecial = c.at("ids_special").get<std::vector<int32_t>>();
        const auto wantPlain = c.at("ids_plain").get<std::vector<int32_t>>();
        const auto special = tok.encode(text, true);
        const auto plain = tok.encode(text, false);
        EXPECT_EQ(special.ids, wantSpecial) << "addSpecial=true: " << text;
        EXPECT_EQ(plain.ids, wantPlain) << "addSpecial=false: " << text;
        matched += special.ids == wantSpecial && plain.ids == wantPlain;
        // Spans are ordered, inside the text, and labels are never empty.
        for (size_t i = 0; i < special.size(); ++i) {
            EXPECT_LE(special.byteBegin[i], special.byteEnd[i]);
            EXPECT_LE(special.byteEnd[i], text.size());
            EXPECT_FALSE(special.display[i].empty());
        }
    }
    EXPECT_EQ(matched, cases.size());
    std::cout << "[ goldens  ] " << matched << " / " << cases.size() << " strings match\n";
}

} // namespace

TEST(TokenizerReal, SmolLM2GgufMatchesReference)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    auto ckpt = openCheckpoint(path);
    auto tok = makeTokenizer(*ckpt);
    EXPECT_EQ(tok->kind(), "bpe");
    EXPECT_EQ(tok->vocabSize(), 49152);
    EXPECT_EQ(tok->bosId(), 1);
    EXPECT_EQ(tok->eosId(), 2);
    EXPECT_EQ(tok->tokenDisplay(1), "<|im_start|>");
    const auto fixture = loadFixture("tokenizer_smollm2.json");
    EXPECT_FALSE(fixture.at("gguf_add_bos_token").get<bool>());
    compareAll(*tok, fixture, 25);
    // The chat example: special tokens split on the raw text, spans point at them.
    auto r = tok->encode("<|im_start|>user\nhi<|im_end|>");
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r.byteBegin[0], 0u);
    EXPECT_EQ(r.byteEnd[0], 12u);
    EXPECT_EQ(r.display[2], "\xE2\x86\xB5");   // ↵
}

TEST(TokenizerReal, MiniLMWordPieceMatchesReference)
{
    ATTNSCOPE_REQUIRE_MODEL(dir, "all-MiniLM-L6-v2/tokenizer.json");
    const std::string folder = dir.substr(0, dir.size() - std::string("/tokenizer.json").size());
    std::ifstream tj(folder + "/tokenizer.json"), tc(folder + "/tokenizer_config.json");
    const std::string json((std::istreambuf_iterator<char>(tj)), {});
    const std::string config((std::istreambuf_iterator<char>(tc)), {});
    auto tok = makeTokenizerFromHfJson(json, config, folder + "/tokenizer.json");
    EXPECT_EQ(tok->kind(), "wordpiece");
    EXPECT_EQ(tok->vocabSize(), 30522);
    EXPECT_EQ(tok->bosId(), 101);
    EXPECT_EQ(tok->eosId(), 102);
    compareAll(*tok, loadFixture("tokenizer_minilm.json"), 20);
}
