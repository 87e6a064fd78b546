// Byte-level BPE on tiny synthetic tokenizer.json vocabularies: merge ranks, both merge formats,
// ignore_merges, added-token splitting and flags, byte spans, display strings and hostile inputs.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/byte_unicode.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/util/error.h"

#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;
using Json = nlohmann::json;

namespace {

// Vocabulary: the 256 byte symbols (ids 0..255 in byte order) plus merged tokens appended in merge order.
Json byteLevelJson(const std::vector<std::pair<std::string, std::string>>& merges, bool arrayMerges = false)
{
    Json vocab = Json::object();
    for (int b = 0; b < 256; ++b)
        vocab[byteToUnicode(static_cast<unsigned char>(b))] = b;
    Json m = Json::array();
    int next = 256;
    for (const auto& [a, c] : merges) {
        if (!vocab.contains(a + c))
            vocab[a + c] = next++;
        if (arrayMerges)
            m.push_back(Json::array({a, c}));
        else
            m.push_back(a + " " + c);
    }
    Json j;
    j["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", m}};
    j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
    j["added_tokens"] = Json::array();
    return j;
}

std::unique_ptr<Tokenizer> make(const Json& j)
{
    return makeTokenizerFromHfJson(j.dump(), "", "test.json");
}

std::vector<std::string> labels(const Tokenizer& t, const TokenizedText& r)
{
    std::vector<std::string> out;
    for (auto id : r.ids)
        out.push_back(t.tokenBytes(id));
    return out;
}

const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"l", "l"}, {"h", "e"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}, {"Ġwor", "ld"},
    {"l", "d"}};

} // namespace

TEST(TokenizerBpe, MergesApplyByRankNotByPosition)
{
    auto t = make(byteLevelJson(kMerges));
    auto r = t->encode("hello world");
    EXPECT_EQ(labels(*t, r), (std::vector<std::string>{"hello", " world"}));
    // "ld" has a worse rank than "or" and "Ġw": "Ġwor" forms first, then "Ġwor"+"ld".
    EXPECT_EQ(r.ids.size(), 2u);
    EXPECT_EQ(t->kind(), "bpe");
}

TEST(TokenizerBpe, RankOrderChangesTheSegmentation)
{
    // With "e l" ranked before "l l", "hell" cannot form: h + el + l + o.
    auto t = make(byteLevelJson({{"e", "l"}, {"l", "l"}, {"h", "e"}, {"he", "ll"}}));
    EXPECT_EQ(labels(*t, t->encode("hello")), (std::vector<std::string>{"h", "el", "l", "o"}));
}

TEST(TokenizerBpe, ArrayAndStringMergeFormatsAgree)
{
    auto a = make(byteLevelJson(kMerges, false));
    auto b = make(byteLevelJson(kMerges, true));
    for (const char* s : {"hello world", "hell", "world hello", ""})
        EXPECT_EQ(a->encode(s).ids, b->encode(s).ids) << s;
}

TEST(TokenizerBpe, IgnoreMergesEmitsWholePieceFromVocab)
{
    Json j = byteLevelJson({{"h", "e"}});
    j["model"]["vocab"]["hello"] = 300;
    j["model"]["ignore_merges"] = true;
    auto t = make(j);
    EXPECT_EQ(t->encode("hello").ids, (std::vector<int32_t>{300}));
    j["model"]["ignore_merges"] = false;
    auto u = make(j);
    EXPECT_EQ(labels(*u, u->encode("hello")), (std::vector<std::string>{"he", "l", "l", "o"}));
}

TEST(TokenizerBpe, ByteSpansCoverTheOriginalText)
{
    auto t = make(byteLevelJson(kMerges));
    const std::string text = "hello  wörld\n";
    auto r = t->encode(text);
    ASSERT_EQ(r.byteBegin.size(), r.ids.size());
    uint32_t expected = 0;
    std::string rebuilt;
    for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(r.byteBegin[i], expected) << i;
        EXPECT_LE(r.byteBegin[i], r.byteEnd[i]);
        expected = r.byteEnd[i];
        rebuilt += t->tokenBytes(r.ids[i]);
        // The token's bytes are exactly the text under its span (byte-level BPE without normalizer).
        EXPECT_EQ(text.substr(r.byteBegin[i], r.byteEnd[i] - r.byteBegin[i]), t->tokenBytes(r.ids[i]));
    }
    EXPECT_EQ(expected, text.size());
    EXPECT_EQ(rebuilt, text);
}

TEST(TokenizerBpe, DisplayStringsAreReadableUtf8)
{
    auto t = make(byteLevelJson({{"Ġ", "w"}}));
    auto r = t->encode(" w\n\t");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r.display[0], "\xE2\x90\xA3w");   // ␣w
    EXPECT_EQ(r.display[1], "\xE2\x86\xB5");    // ↵
    EXPECT_EQ(r.display[2], "\xE2\x87\xA5");    // ⇥
    // "é" with no merge is two byte tokens, each invalid UTF-8 on its own.
    auto e = t->encode("\xC3\xA9");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e.display[0], "<0xC3>");
    EXPECT_EQ(e.display[1], "<0xA9>");
    EXPECT_EQ(e.byteBegin[1], 1u);
    EXPECT_EQ(displayBytes("a\rb\x01"), "a\xE2\x90\x8D" "b<0x01>");
}

TEST(TokenizerBpe, AddedTokensSplitFirstLongestMatchAndShowTheirText)
{
    Json j = byteLevelJson(kMerges);
    j["added_tokens"] = Json::array({
        {{"id", 400}, {"content", "<|im_start|>"}, {"special", true}, {"normalized", false}},
        {{"id", 401}, {"content", "<|im"}, {"special", true}, {"normalized", false}},
        {{"id", 402}, {"content", "<|im_end|>"}, {"special", true}, {"normalized", false}},
    });
    auto t = make(j);
    const std::string text = "<|im_start|>hello<|im_end|><|im";
    auto r = t->encode(text);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r.ids[0], 400);   // longest match wins over "<|im"
    EXPECT_EQ(r.ids[2], 402);
    EXPECT_EQ(r.ids[3], 401);
    EXPECT_EQ(r.display[0], "<|im_start|>");
    EXPECT_EQ(r.byteBegin[0], 0u);
    EXPECT_EQ(r.byteEnd[0], 12u);
    EXPECT_EQ(r.byteBegin[2], 17u);
    EXPECT_EQ(r.byteEnd[2], 27u);
    EXPECT_EQ(t->tokenDisplay(400), "<|im_start|>");
}

TEST(TokenizerBpe, AddedTokenStripAndSingleWordFlags)
{
    Json j = byteLevelJson({});
    j["added_tokens"] = Json::array({
        {{"id", 500}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}},
        {{"id", 501}, {"content", "cat"}, {"special", false}, {"single_word", true}, {"normalized", false}},
    });
    auto t = make(j);
    auto r = t->encode("a  <mask>  b");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r.ids[1], 500);
    EXPECT_EQ(r.byteBegin[1], 1u);   // both surrounding runs of spaces belong to the mask token
    EXPECT_EQ(r.byteEnd[1], 11u);
    // single_word: "cat" inside "concatenate" is not the added token, standalone "cat" is.
    auto w = t->encode("concatenate cat");
    int hits = 0;
    for (auto id : w.ids)
        hits += id == 501;
    EXPECT_EQ(hits, 1);
}

TEST(TokenizerBpe, PrefixSpaceHasAnEmptySpan)
{
    Json j = byteLevelJson(kMerges);
    j["pre_tokenizer"]["add_prefix_space"] = true;
    auto t = make(j);
    auto r = t->encode("world");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(t->tokenBytes(r.ids[0]), " world");
    EXPECT_EQ(r.byteBegin[0], 0u);
    EXPECT_EQ(r.byteEnd[0], 5u);
}

TEST(TokenizerBpe, TemplateAddsSpecialTokensWithEmptySpans)
{
    Json j = byteLevelJson(kMerges);
    j["added_tokens"] = Json::array({{{"id", 600}, {"content", "<s>"}, {"special", true}},
                                     {{"id", 601}, {"content", "</s>"}, {"special", true}}});
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                                   {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                                   {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
                           {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {600}}, {"tokens", {"<s>"}}}},
                                               {"</s>", {{"id", "</s>"}, {"ids", {601}}, {"tokens", {"</s>"}}}}}}};
    auto t = make(j);
    auto r = t->encode("hello");
    EXPECT_EQ(r.ids, (std::vector<int32_t>{600, r.ids[1], 601}));
    EXPECT_EQ(r.byteBegin[0], 0u);
    EXPECT_EQ(r.byteEnd[0], 0u);
    EXPECT_EQ(r.byteBegin[2], 5u);
    EXPECT_EQ(r.byteEnd[2], 5u);
    EXPECT_EQ(t->encode("hello", false).ids.size(), 1u);
}

TEST(TokenizerBpe, SplitBehavioursAndDigits)
{
    Json j = byteLevelJson({});
    j["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers", Json::array({{{"type", "Digits"}, {"individual_digits", true}},
                                                         {{"type", "Split"},
                                                          {"pattern", {{"String", "-"}}},
                                                          {"behavior", "Removed"},
                                                          {"invert", false}},
                                                         {{"type", "ByteLevel"},
                                                          {"add_prefix_space", false},
                                                          {"use_regex", false}}})}};
    auto t = make(j);
    auto r = t->encode("a-12");
    EXPECT_EQ(labels(*t, r), (std::vector<std::string>{"a", "1", "2"}));
    EXPECT_EQ(r.byteBegin[1], 2u);
}

TEST(TokenizerBpe, MalformedJsonIsATypedError)
{
    auto expectError = [](const Json& j, const char* what) {
        try {
            make(j);
            ADD_FAILURE() << "accepted: " << what;
        } catch (const Error& e) {
            EXPECT_TRUE(e.kind() == ErrorKind::Tokenizer || e.kind() == ErrorKind::Unsupported) << what;
            EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
        }
    };
    Json j = byteLevelJson(kMerges);
    j["model"]["merges"].push_back("zz qq");
    expectError(j, "merge naming missing tokens");
    j = byteLevelJson(kMerges);
    j["model"]["merges"].push_back("a b c");
    expectError(j, "three-part merge");
    j = byteLevelJson(kMerges);
    j["model"]["vocab"]["dup"] = 5;
    expectError(j, "duplicate id");
    j = byteLevelJson(kMerges);
    j["model"]["vocab"]["neg"] = -1;
    expectError(j, "negative id");
    j = byteLevelJson(kMerges);
    j["pre_tokenizer"] = {{"type", "Metaspace"}};
    expectError(j, "unsupported pre-tokenizer");
    j = byteLevelJson(kMerges);
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    expectError(j, "bad regex");
    j = byteLevelJson(kMerges);
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", Json::array({{{"SpecialToken", {{"id", "<missing>"}, {"type_id", 0}}}}})},
                           {"special_tokens", Json::object()}};
    expectError(j, "missing template token");
    EXPECT_THROW(makeTokenizerFromHfJson("{\"model\": {\"model\": 1}, \"model\": 2}", "", "test.json"), Error);
    EXPECT_THROW(makeTokenizerFromHfJson(std::string(10000, '[') + std::string(10000, ']'), "", "test.json"), Error);
    EXPECT_THROW(makeTokenizerFromHfJson("not json", "", "test.json"), Error);
}

TEST(TokenizerBpe, HostileRegexEndsQuicklyOrErrors)
{
    Json j = byteLevelJson({});
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(a+)+$"}}}, {"behavior", "Isolated"}};
    auto t = make(j);
    const std::string text = std::string(5000, 'a') + "b";
    const auto start = std::chrono::steady_clock::now();
    try {
        t->encode(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Tokenizer);
        EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 12.0);
    j["pre_tokenizer"]["pattern"]["Regex"] = "(a+)+";
    auto u = make(j);
    EXPECT_EQ(u->encode(text).size(), text.size());   // no merges: one token per byte
}

TEST(TokenizerBpe, LongRunsAreNotQuadratic)
{
    auto t = make(byteLevelJson({{"a", "a"}, {"aa", "aa"}, {"aaaa", "aaaa"}}));
    const std::string text(100000, 'a');
    const auto start = std::chrono::steady_clock::now();
    auto r = t->encode(text);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.size(), 100000u / 8);
    EXPECT_LT(s, 2.0);
}

TEST(TokenizerBpe, InputCapAndInvalidUtf8)
{
    auto t = make(byteLevelJson({}));
    EXPECT_NO_THROW(t->encode(std::string(1'000'000, ' '), false));
    EXPECT_THROW(t->encode(std::string(1'000'001, ' ')), Error);
    EXPECT_THROW(t->encode("ab\xFF"), Error);
}
