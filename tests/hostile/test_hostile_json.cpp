// Quadratic and oversized JSON (issue 8, class 2): tokenizer.json, config.json and index files parse in time
// linear in their size; the size and value caps refuse with a message that names them; the parser's errors
// are worded in our terms. These tests run under a ctest TIMEOUT, so a return of quadratic behaviour shows up
// as a timeout rather than as a flaky wall-clock assertion.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/json_strict.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/util/error.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

// A valid WordPiece tokenizer.json with room for extra top-level members and added tokens.
std::string wordPieceJson(const std::string& extraMembers = "", const std::string& addedTokens = "[]")
{
    return R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}},
               "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": )" +
           addedTokens + extraMembers + "}";
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(HostileJson, MillionsOfEmptyObjectsParseInLinearTime)
{
    // 1.3 M empty objects (3.9 MB): the callback parser used before took ~27 s for 400 k, quadratically more here.
    std::string objects = "[";
    for (int i = 0; i < 1'300'000; ++i)
        objects += i ? ",{}" : "{}";
    objects += "]";
    auto tok = makeTokenizerFromHfJson(wordPieceJson(", \"padding_objects\": " + objects), "", "t.json");
    EXPECT_EQ(tok->encode("hello world", false).ids, (std::vector<int32_t>{1, 2}));
}

TEST(HostileJson, TwoHundredThousandAddedTokens)
{
    std::string added = "[";
    for (int i = 0; i < 200'000; ++i) {
        if (i)
            added += ",";
        added += R"({"id": )" + std::to_string(10 + i) + R"(, "content": "tok)" + std::to_string(i) +
                 R"(", "special": true})";
    }
    added += "]";
    auto tok = makeTokenizerFromHfJson(wordPieceJson("", added), "", "t.json");
    // Longest match wins: "tok199999" over "tok1", "tok19", ...
    EXPECT_EQ(tok->encode("hello tok199999 world", false).ids, (std::vector<int32_t>{1, 10 + 199'999, 2}));
}

TEST(HostileJson, DuplicateKeyAmongManyIsFound)
{
    std::string vocab = "{";
    for (int i = 0; i < 300'000; ++i)
        vocab += "\"w" + std::to_string(i) + "\": " + std::to_string(i) + ",";
    vocab += "\"w123456\": 7}";
    const std::string msg = errorOf([&] {
        makeTokenizerFromHfJson(R"({"model": {"type": "WordPiece", "unk_token": "w0", "vocab": )" + vocab + "}}", "",
                                "t.json");
    });
    EXPECT_NE(msg.find("duplicate key \"w123456\""), std::string::npos) << msg;
}

TEST(HostileJson, SizeCapIsNamed)
{
    const std::string big = wordPieceJson(", \"pad\": \"" + std::string(kMaxTokenizerJsonBytes, 'x') + "\"");
    const std::string msg = errorOf([&] { makeTokenizerFromHfJson(big, "", "big/tokenizer.json"); });
    EXPECT_NE(msg.find("big/tokenizer.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("exceeds the cap of 64 MiB"), std::string::npos) << msg;
}

TEST(HostileJson, ValueCountCapIsNamed)
{
    // The array and kMaxJsonValues - 1 numbers: exactly at the cap.
    std::string zeros = "[0";
    for (uint64_t i = 2; i < kMaxJsonValues; ++i)
        zeros += ",0";
    EXPECT_EQ(parseJsonStrict(zeros + "]", "config.json", "config").size(), kMaxJsonValues - 1);
    const std::string msg = errorOf([&] { parseJsonStrict(zeros + ",0]", "config.json", "config"); });
    EXPECT_NE(msg.find("more than 4194304 JSON values"), std::string::npos) << msg;
}

TEST(HostileJson, ParserErrorsAreInOurWords)
{
    for (const char* text : {"{\"a\": }", "{\"a\": 1,}", "[1 2]", "{\"a\": tru}", "\"\x01\"", "1e999999", "{} x"}) {
        const std::string msg = errorOf([&] { parseJsonStrict(text, "config.json", "config"); });
        ASSERT_FALSE(msg.empty()) << text;
        EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
        EXPECT_EQ(msg.find("parse error at line"), std::string::npos) << msg;
        EXPECT_NE(msg.find("config.json: config: invalid JSON"), std::string::npos) << msg;
        EXPECT_NE(msg.find("(at byte "), std::string::npos) << msg;
    }
    EXPECT_EQ(describeJsonError("[json.exception.parse_error.101] parse error at line 1, column 7: syntax error while "
                                "parsing value - unexpected '}'; expected '[', '{', or a literal"),
              "while reading value: unexpected '}'; expected '[', '{', or a literal");
    EXPECT_EQ(describeJsonError("[json.exception.type_error.316] invalid UTF-8 byte at index 3: 0xFF"),
              "invalid UTF-8 byte at index 3: 0xFF");
}

TEST(HostileJson, LongTokensInSyntaxErrorsAreShortened)
{
    const std::string text = "[" + std::string(100000, '1') + "x]";
    const std::string msg = errorOf([&] { parseJsonStrict(text, "config.json", "config"); });
    EXPECT_LT(msg.size(), 600u) << msg;
}
