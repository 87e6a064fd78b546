// Hostile tokenizer pipelines (issue 8, class 3): step and nesting caps at load, bounded strings, the growth
// cap on normalised text and the time budget per encode() call. Each refusal names the cap it hit.
// Runs under a ctest TIMEOUT: a pipeline that hangs fails as a timeout.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/encode_budget.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/util/error.h"

#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;
using Json = nlohmann::json;

namespace {

Json wordPiece()
{
    Json j;
    j["model"] = {{"type", "WordPiece"},
                  {"unk_token", "[UNK]"},
                  {"vocab", {{"[UNK]", 0}, {"hello", 1}, {"world", 2}, {"▁", 3}, {"a", 4}, {"b", 5}}}};
    j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
    j["added_tokens"] = Json::array();
    return j;
}

std::unique_ptr<Tokenizer> make(const Json& j)
{
    return makeTokenizerFromHfJson(j.dump(), "", "hostile/tokenizer.json");
}

std::string errorOf(const std::function<void()>& f, ErrorKind* kind = nullptr)
{
    try {
        f();
    } catch (const Error& e) {
        if (kind)
            *kind = e.kind();
        return e.what();
    }
    return "";
}

Json prepend(const std::string& s) { return {{"type", "Prepend"}, {"prepend", s}}; }
Json replace(const std::string& from, const std::string& to)
{
    return {{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
}

} // namespace

TEST(HostilePipeline, TenThousandChainedNormalizersAreRefusedAtLoad)
{
    Json j = wordPiece();
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array()}};
    for (int i = 0; i < 10000; ++i)
        j["normalizer"]["normalizers"].push_back({{"type", "Lowercase"}});
    ErrorKind kind{};
    const std::string msg = errorOf([&] { make(j); }, &kind);
    EXPECT_EQ(kind, ErrorKind::Tokenizer);
    EXPECT_NE(msg.find("normalizer sequence of 10000 steps exceeds the cap of 64 steps"), std::string::npos) << msg;
}

TEST(HostilePipeline, TenThousandChainedPreTokenizersAreRefusedAtLoad)
{
    Json j = wordPiece();
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", Json::array()}};
    for (int i = 0; i < 10000; ++i)
        j["pre_tokenizer"]["pretokenizers"].push_back({{"type", "Whitespace"}});
    const std::string msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("pre-tokenizer sequence of 10000 steps exceeds the cap of 64 steps"), std::string::npos) << msg;
}

TEST(HostilePipeline, StepsAreCountedAcrossNestedSequences)
{
    // 5 sequences of 20 steps: each under the per-sequence cap, 100 in all.
    Json j = wordPiece();
    Json outer = {{"type", "Sequence"}, {"normalizers", Json::array()}};
    for (int s = 0; s < 5; ++s) {
        Json inner = {{"type", "Sequence"}, {"normalizers", Json::array()}};
        for (int i = 0; i < 20; ++i)
            inner["normalizers"].push_back({{"type", "NFC"}});
        outer["normalizers"].push_back(inner);
    }
    j["normalizer"] = outer;
    const std::string msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("more than 64 steps in all"), std::string::npos) << msg;

    // Nesting: 9 sequences deep.
    Json deep = {{"type", "Lowercase"}};
    for (int d = 0; d < 10; ++d)
        deep = {{"type", "Sequence"}, {"normalizers", Json::array({deep})}};
    j["normalizer"] = deep;
    const std::string nested = errorOf([&] { make(j); });
    EXPECT_NE(nested.find("nested deeper than 8 levels"), std::string::npos) << nested;
}

TEST(HostilePipeline, HugeNormalizerStringsAreRefusedAtLoad)
{
    Json j = wordPiece();
    j["normalizer"] = prepend(std::string(1 << 20, 'x'));
    std::string msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("normalizer.prepend: string of 1048576 bytes exceeds the cap of 1024 bytes"), std::string::npos)
        << msg;
    j["normalizer"] = replace("l", std::string(5000, 'l'));
    msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("exceeds the cap of 1024 bytes"), std::string::npos) << msg;
    j["normalizer"] = Json::object();
    j.erase("normalizer");
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", std::string(10000, 'a')}}}, {"behavior", "Isolated"}};
    msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("pattern of 10000 bytes exceeds the cap of 4096 bytes"), std::string::npos) << msg;
}

TEST(HostilePipeline, PrependChainStaysWithinTheStructuralCaps)
{
    // The most a pipeline can prepend is 64 steps × 1 KiB, which the growth cap's slack admits: "hello world"
    // becomes one 64 KiB word (an unknown token), not megabytes.
    Json j = wordPiece();
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array()}};
    for (int i = 0; i < 64; ++i)
        j["normalizer"]["normalizers"].push_back(prepend(std::string(1024, 'p')));
    auto tok = make(j);
    EXPECT_EQ(tok->encode("hello world").ids, (std::vector<int32_t>{0, 2}));
    // One more prepend is a 65th step.
    j["normalizer"]["normalizers"].push_back(prepend("p"));
    const std::string msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("exceeds the cap of 64 steps"), std::string::npos) << msg;
}

TEST(HostilePipeline, GrowingReplaceHitsTheGrowthCapWithoutAllocatingPastIt)
{
    // Each step multiplies the l's by 1024: unbounded, this is 2^60 bytes after six steps.
    Json j = wordPiece();
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array()}};
    for (int i = 0; i < 6; ++i)
        j["normalizer"]["normalizers"].push_back(replace("l", std::string(1024, 'l')));
    auto tok = make(j);
    const std::string msg = errorOf([&] { tok->encode("hello world"); });
    EXPECT_NE(msg.find("normalizer.Replace: normalisation would grow"), std::string::npos) << msg;
}

TEST(HostilePipeline, GrowthIsCountedOverAllSegmentsOfACall)
{
    // An added token splits the text into many one-byte segments; each is prepended 1 KiB.
    Json j = wordPiece();
    j["normalizer"] = prepend(std::string(1024, 'p'));
    j["added_tokens"] = Json::array({{{"id", 4}, {"content", "a"}, {"special", true}}});
    auto tok = make(j);
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "ab";
    const std::string msg = errorOf([&] { tok->encode(text); });
    EXPECT_NE(msg.find("normalisation would grow this 400-byte text"), std::string::npos) << msg;
}

TEST(HostilePipeline, RealNormalizersStayWithinTheGrowthCap)
{
    // Llama 2 (SentencePiece converted): Prepend("▁") + Replace(" ", "▁"), the worst real growth (a lone space
    // between special tokens becomes "▁▁", 6 bytes).
    Json j = wordPiece();
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array({prepend("▁"), replace(" ", "▁")})}};
    j.erase("pre_tokenizer");
    j["added_tokens"] = Json::array({{{"id", 5}, {"content", "b"}, {"special", true}, {"normalized", false}}});
    auto tok = make(j);
    std::string text;
    for (int i = 0; i < 100000; ++i)
        text += "b ";
    EXPECT_EQ(tok->encode(text, false).size(), 200000u);
}

TEST(HostilePipeline, AddedTokenMatchingEndsWithinTheTimeBudget)
{
    // 1000 added tokens that agree with a run of "a" for 1000 bytes and differ only at the end: at every
    // position of a 1 MB run the walk goes 1000 bytes deep. The call's time budget ends it with an Error.
    Json j = wordPiece();
    for (int i = 0; i < 1000; ++i)
        j["added_tokens"].push_back({{"id", 10 + i}, {"content", std::string(1000, 'a') + std::to_string(i)}});
    auto tok = make(j);
    const std::string msg = errorOf([&] { tok->encode(std::string(1'000'000, 'a')); });
    EXPECT_NE(msg.find("added_tokens: tokenizing this text exceeded the time budget of 10 s per request"),
              std::string::npos)
        << msg;
}

TEST(HostilePipeline, WordPieceOnLongWordsEndsWithinTheTimeBudget)
{
    // One 1000-byte vocabulary string makes every candidate up to 1000 bytes worth looking up, and "##z" makes
    // the greedy search succeed only at the shortest candidate, one character at a time.
    Json j = wordPiece();
    j["model"]["vocab"][std::string(1000, 'z')] = 6;
    j["model"]["vocab"]["##z"] = 7;
    j["model"]["max_input_chars_per_word"] = 1'000'000;
    j.erase("pre_tokenizer");
    auto tok = make(j);
    try {
        const auto r = tok->encode(std::string(999'999, 'z') + "q", false);
        ADD_FAILURE() << "encoded into " << r.size() << " tokens";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("model: tokenizing this text exceeded the time budget"), std::string::npos)
            << e.what();
    }
}

TEST(HostilePipeline, TemplateSizeIsCapped)
{
    Json j = wordPiece();
    Json single = Json::array();
    for (int i = 0; i < 100; ++i)
        single.push_back({{"SpecialToken", {{"id", "[UNK]"}, {"type_id", 0}}}});
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", single},
                           {"special_tokens", {{"[UNK]", {{"id", "[UNK]"}, {"ids", {0}}, {"tokens", {"[UNK]"}}}}}}};
    const std::string msg = errorOf([&] { make(j); });
    EXPECT_NE(msg.find("more than 64 special tokens"), std::string::npos) << msg;
}

TEST(HostilePipeline, ControlCharactersInSpecialTokensAreEscapedForDisplay)
{
    Json j = wordPiece();
    j["added_tokens"] = Json::array({{{"id", 7}, {"content", "<\x1b[2J>"}, {"special", true}}});
    auto tok = make(j);
    const auto r = tok->encode("hello <\x1b[2J>", false);
    ASSERT_EQ(r.ids, (std::vector<int32_t>{1, 7}));
    EXPECT_EQ(r.display[1], "<<0x1B>[2J>");
    EXPECT_EQ(displayBytes("x\xC2\x9B" "y\xE2\x80\xAE"), "x<0xC2><0x9B>y<0xE2><0x80><0xAE>");
}
