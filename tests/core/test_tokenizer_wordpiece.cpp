// WordPiece (BERT) on a tiny vocabulary: greedy longest match with "##", [UNK] for unsegmentable or
// over-long words, BertNormalizer (clean text, CJK spacing, accent stripping, lowercase), byte spans.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace attnscope;
using Json = nlohmann::json;

namespace {

std::unique_ptr<Tokenizer> bert(size_t maxChars = 100)
{
    const std::vector<std::string> words = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "unaff",
                                            "!", "cafe", "naive", "日", "本", "a", "##a", "resume", "straße"};
    Json vocab = Json::object();
    for (size_t i = 0; i < words.size(); ++i)
        vocab[words[i]] = i;
    Json j;
    j["model"] = {{"type", "WordPiece"}, {"vocab", vocab}, {"unk_token", "[UNK]"},
                  {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", maxChars}};
    j["normalizer"] = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                       {"strip_accents", nullptr}, {"lowercase", true}};
    j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
    j["added_tokens"] = Json::array({{{"id", 2}, {"content", "[CLS]"}, {"special", true}},
                                     {{"id", 3}, {"content", "[SEP]"}, {"special", true}}});
    j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
    return makeTokenizerFromHfJson(j.dump(), "{\"cls_token\": \"[CLS]\", \"sep_token\": \"[SEP]\"}", "bert.json");
}

} // namespace

TEST(TokenizerWordPiece, GreedyLongestMatchFirst)
{
    auto t = bert();
    EXPECT_EQ(t->kind(), "wordpiece");
    // "unaffable": longest first piece is "unaff", then "##able".
    EXPECT_EQ(t->encode("unaffable", false).ids, (std::vector<int32_t>{7, 6}));
    EXPECT_EQ(t->encode("unaffable").ids, (std::vector<int32_t>{2, 7, 6, 3}));
    EXPECT_EQ(t->tokenDisplay(6), "##able");
    EXPECT_EQ(t->tokenBytes(6), "able");
    EXPECT_EQ(t->bosId(), 2);
    EXPECT_EQ(t->eosId(), 3);
}

TEST(TokenizerWordPiece, UnknownWordsAndLengthLimit)
{
    auto t = bert(5);
    EXPECT_EQ(t->encode("xyz unaffable aaaaa aaaaaa", false).ids, (std::vector<int32_t>{1, 1, 13, 14, 14, 14, 14, 1}));
}

TEST(TokenizerWordPiece, BertNormalizerAccentsCaseCjkAndControls)
{
    auto t = bert();
    auto r = t->encode("CAFÉ Naïve\x07 日本 Résumé!", false);
    EXPECT_EQ(r.ids, (std::vector<int32_t>{9, 10, 11, 12, 15, 8}));
    // Spans point into the original text even though the normalized text differs.
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r.byteBegin[0], 0u);
    EXPECT_EQ(r.byteEnd[0], 5u);    // "CAFÉ" is 5 bytes
    EXPECT_EQ(r.byteBegin[2], 14u); // after "CAFÉ Naïve\x07 "
    EXPECT_EQ(r.byteEnd[2], 17u);
    EXPECT_EQ(t->encode("STRASSE straße", false).ids.back(), 16);
}

TEST(TokenizerWordPiece, DecompositionTableCoversLatin)
{
    std::u32string out;
    EXPECT_TRUE(canonicalDecompose(U'é', out));
    EXPECT_EQ(out, (std::u32string{U'e', 0x301}));
    out.clear();
    EXPECT_TRUE(canonicalDecompose(0x1EC7, out));   // ệ: e + dot below + circumflex
    EXPECT_EQ(out.size(), 3u);
    out.clear();
    EXPECT_FALSE(canonicalDecompose(U'a', out));
    std::string lower;
    appendLowercase(lower, U'Ä');
    appendLowercase(lower, 0x130);
    EXPECT_EQ(lower, "ä" "i\xCC\x87");
}

TEST(TokenizerWordPiece, MissingUnknownTokenIsAnError)
{
    Json j;
    j["model"] = {{"type", "WordPiece"}, {"vocab", {{"a", 0}}}, {"unk_token", "[UNK]"}};
    EXPECT_THROW(makeTokenizerFromHfJson(j.dump(), "", "bert.json"), Error);
}

TEST(TokenizerWordPiece, NfcComposesAndRefusesWhatItCannotOrder)
{
    Json j;
    Json vocab = {{"[UNK]", 0}, {"é", 1}, {"x", 2}};
    j["model"] = {{"type", "WordPiece"}, {"vocab", vocab}, {"unk_token", "[UNK]"}};
    j["normalizer"] = {{"type", "NFC"}};
    j["pre_tokenizer"] = {{"type", "Whitespace"}};
    auto t = makeTokenizerFromHfJson(j.dump(), "", "nfc.json");
    EXPECT_EQ(t->encode("e\xCC\x81").ids, (std::vector<int32_t>{1}));   // e + U+0301 -> é
    EXPECT_EQ(t->encode("\xC3\xA9").ids, (std::vector<int32_t>{1}));
    EXPECT_EQ(t->encode("e\xCC\x88\xCC\x81").ids, (std::vector<int32_t>{0}));   // ë + acute: no composite
    EXPECT_THROW(t->encode("e\xCC\xB1\xCC\x81"), Error);   // macron below blocks acute only without ccc reordering
}
