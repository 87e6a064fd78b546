// Gemma 3 270M's SentencePiece BPE tokenizer (262,144 pieces, read from gemma-3-270m-q4_k_m.gguf) against the
// goldens of tests/fixtures/make_gemma3_tokenizer_fixture.py: HF transformers' GGUF import, cross-checked with
// the sentencepiece library on the same vocabulary. Where the two references disagree the fixture records both;
// we follow SentencePiece there (the algorithm Gemma's tokenizer is), and this test requires exactly that.
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

using Ids = std::vector<int32_t>;

// SentencePiece reads a typed U+2581 as the space it stands for.
std::string spacesAsTyped(const std::string& s)
{
    std::string out;
    for (size_t i = 0; i < s.size();) {
        const bool u2581 = s.compare(i, 3, "\xE2\x96\x81") == 0;
        out += u2581 ? ' ' : s[i];
        i += u2581 ? 3 : 1;
    }
    return out;
}

} // namespace

TEST(TokenizerGemma3, MatchesTheReferenceOnEveryFixtureString)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kGemma3);
    auto ckpt = openCheckpoint(path);
    auto tok = makeTokenizer(*ckpt);
    EXPECT_EQ(tok->kind(), "sentencepiece-bpe");
    EXPECT_EQ(tok->vocabSize(), 262144);
    EXPECT_EQ(tok->bosId(), 2);
    EXPECT_EQ(tok->eosId(), 1);

    const auto fixture = loadFixture("tokenizer_gemma3.json");
    EXPECT_TRUE(fixture.at("gguf_add_bos_token").get<bool>());
    EXPECT_FALSE(fixture.at("gguf_add_space_prefix").get<bool>());
    const auto& cases = fixture.at("cases");
    ASSERT_GE(cases.size(), 80u);
    size_t matchedHf = 0, matchedSentencePiece = 0, llamaCppDiffers = 0;
    for (const auto& c : cases) {
        const std::string text = c.at("text");
        const bool disagree = c.contains("sentencepiece_special");
        const auto wantSpecial = c.at(disagree ? "sentencepiece_special" : "ids_special").get<Ids>();
        const auto wantPlain = c.at(disagree ? "sentencepiece_plain" : "ids_plain").get<Ids>();
        const auto special = tok->encode(text, true);
        const auto plain = tok->encode(text, false);
        EXPECT_EQ(special.ids, wantSpecial) << "addSpecial=true: " << text;
        EXPECT_EQ(plain.ids, wantPlain) << "addSpecial=false: " << text;
        if (special.ids == wantSpecial && plain.ids == wantPlain)
            ++(disagree ? matchedSentencePiece : matchedHf);
        // llama.cpp, where the fixture recorded it differing from HF: informational (it reads a typed "▁" as
        // text, not as a space, so it does not match user-defined runs of spaces there).
        if (c.contains("llama_cpp_special"))
            llamaCppDiffers += special.ids != c.at("llama_cpp_special").get<Ids>();
        // Every token's span holds exactly the bytes the token stands for (Gemma adds no space prefix, so even
        // "▁" pieces cover a typed space, and a typed "▁" is a space); only the added BOS has an empty span.
        for (size_t i = 0; i < special.size(); ++i) {
            ASSERT_LE(special.byteBegin[i], special.byteEnd[i]);
            ASSERT_LE(special.byteEnd[i], text.size());
            EXPECT_FALSE(special.display[i].empty());
            if (i == 0) {
                EXPECT_EQ(special.byteEnd[0], 0u) << "BOS: " << text;
                continue;
            }
            EXPECT_EQ(spacesAsTyped(text.substr(special.byteBegin[i], special.byteEnd[i] - special.byteBegin[i])),
                      tok->tokenBytes(special.ids[i]))
                << "token " << i << " of: " << text;
        }
    }
    const size_t disagreements = fixture.at("disagreements").size();
    std::cout << "[ goldens  ] " << matchedHf << " strings equal HF transformers (and sentencepiece), "
              << matchedSentencePiece << " equal sentencepiece where HF differs; " << disagreements
              << " disagreement(s) recorded between the references; we differ from llama.cpp on " << llamaCppDiffers
              << "\n";
    EXPECT_EQ(matchedHf + matchedSentencePiece, cases.size());
}

TEST(TokenizerGemma3, DisplayStringsAndSpans)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kGemma3);
    auto tok = makeTokenizer(*openCheckpoint(path));
    // "Hello world\n\n𐀀": Hello, ▁world, the user-defined "\n\n", and U+10000 (not in the vocabulary) as its four
    // UTF-8 bytes.
    const std::string text = "Hello world\n\n\xF0\x90\x80\x80";
    auto r = tok->encode(text);
    ASSERT_EQ(r.ids, (Ids{2, 9259, 1902, 108, 478, 382, 366, 366}));
    EXPECT_EQ(r.display[0], "<bos>");
    EXPECT_EQ(r.display[1], "Hello");
    EXPECT_EQ(r.display[2], "\xE2\x90\xA3" "world");     // ␣world
    EXPECT_EQ(r.display[3], "\xE2\x86\xB5\xE2\x86\xB5");  // ↵↵
    EXPECT_EQ(r.display[4], "<0xF0>");                   // byte pieces of a split character are escaped
    EXPECT_EQ(r.display[7], "<0x80>");
    EXPECT_EQ(r.byteBegin, (std::vector<uint32_t>{0, 0, 5, 11, 13, 14, 15, 16}));
    EXPECT_EQ(r.byteEnd, (std::vector<uint32_t>{0, 5, 11, 13, 14, 15, 16, 17}));
    // Control tokens typed in the text are matched whole and shown as typed; tabs show as ⇥.
    auto c = tok->encode("<start_of_turn>user\t", false);
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c.ids[0], 105);
    EXPECT_EQ(c.display[0], "<start_of_turn>");
    EXPECT_EQ(c.display[2], "\xE2\x87\xA5");   // ⇥ (the user-defined "\t")
}
