// Tokenizers from synthetic GGUF metadata (tokenizer.ggml.*): pre-tokenizer ids, special tokens by
// token_type, BOS/EOS flags, the BERT phantom-space vocabulary, and the malformed-metadata corpus.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/tokenizer/byte_unicode.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

MetaValue str(const std::string& s)
{
    MetaValue v;
    v.type = MetaValue::Type::String;
    v.ggufType = 8;
    v.s = s;
    return v;
}
MetaValue strings(std::vector<std::string> a)
{
    MetaValue v;
    v.type = MetaValue::Type::ArrayString;
    v.ggufType = 8;
    v.as = std::move(a);
    return v;
}
MetaValue ints(std::vector<int64_t> a)
{
    MetaValue v;
    v.type = MetaValue::Type::ArrayInt;
    v.ggufType = 5;
    v.ai = std::move(a);
    return v;
}
MetaValue uintValue(uint64_t x)
{
    MetaValue v;
    v.type = MetaValue::Type::UInt;
    v.ggufType = 4;
    v.u = x;
    return v;
}
MetaValue boolean(bool b)
{
    MetaValue v;
    v.type = MetaValue::Type::Bool;
    v.ggufType = 7;
    v.b = b;
    return v;
}

// Byte-level vocabulary: ids 0,1 control tokens, 2..257 the byte symbols, then merged tokens.
Checkpoint gpt2Checkpoint(const std::string& pre = "smollm")
{
    Checkpoint c;
    c.path = "synthetic.gguf";
    std::vector<std::string> tokens = {"<|endoftext|>", "<|im_start|>"};
    for (int b = 0; b < 256; ++b)
        tokens.push_back(byteToUnicode(static_cast<unsigned char>(b)));
    tokens.push_back("ĠĠ");
    tokens.push_back("hi");
    std::vector<int64_t> types(tokens.size(), 1);
    types[0] = types[1] = 3;
    c.metadata["tokenizer.ggml.model"] = str("gpt2");
    c.metadata["tokenizer.ggml.pre"] = str(pre);
    c.metadata["tokenizer.ggml.tokens"] = strings(tokens);
    c.metadata["tokenizer.ggml.token_type"] = ints(types);
    c.metadata["tokenizer.ggml.merges"] = strings({"Ġ Ġ", "h i"});
    c.metadata["tokenizer.ggml.bos_token_id"] = uintValue(1);
    c.metadata["tokenizer.ggml.eos_token_id"] = uintValue(0);
    return c;
}

void expectError(const Checkpoint& c, const std::string& keyword)
{
    try {
        makeTokenizerFromGguf(c);
        ADD_FAILURE() << "accepted (expected an error about " << keyword << ")";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(keyword), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("synthetic.gguf"), std::string::npos) << e.what();
    }
}

} // namespace

TEST(TokenizerGguf, SmollmSplitsDigitsBeforeTheGpt2Regex)
{
    auto t = makeTokenizerFromGguf(gpt2Checkpoint("smollm"));
    // Digits first: "a  1" -> "a", "  ", "1", so the double space merges into one token.
    auto r = t->encode("a  1");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(t->tokenBytes(r.ids[1]), "  ");
    // Plain GPT-2 regex: "a", " ", " 1" -> the spaces stay apart.
    auto g = makeTokenizerFromGguf(gpt2Checkpoint("gpt-2"));
    EXPECT_EQ(g->encode("a  1").size(), 4u);
}

TEST(TokenizerGguf, AliasesAndOtherPreIdsLoad)
{
    for (const char* pre : {"starcoder", "refact", "llama-bpe", "qwen2", "gpt-2"})
        EXPECT_NO_THROW(makeTokenizerFromGguf(gpt2Checkpoint(pre))) << pre;
    auto q = makeTokenizerFromGguf(gpt2Checkpoint("qwen2"));
    EXPECT_EQ(q->encode("12").size(), 2u);   // \p{N} one at a time
    auto l = makeTokenizerFromGguf(gpt2Checkpoint("llama-bpe"));
    EXPECT_EQ(l->encode("I'M").size(), 3u);   // case-insensitive contraction: "I", "'", "M" as one piece "'M"
}

TEST(TokenizerGguf, UnknownPreIdIsNamed)
{
    auto c = gpt2Checkpoint("tekken-9000");
    try {
        makeTokenizerFromGguf(c);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("tekken-9000"), std::string::npos);
    }
}

TEST(TokenizerGguf, ControlTokensMatchInRawTextAndBosFollowsTheFlag)
{
    auto c = gpt2Checkpoint();
    auto t = makeTokenizerFromGguf(c);
    auto r = t->encode("<|im_start|>hi");
    EXPECT_EQ(r.ids, (std::vector<int32_t>{1, 259}));
    EXPECT_EQ(r.display[0], "<|im_start|>");
    EXPECT_EQ(t->bosId(), 1);
    c.metadata["tokenizer.ggml.add_bos_token"] = boolean(true);
    c.metadata["tokenizer.ggml.add_eos_token"] = boolean(true);
    auto b = makeTokenizerFromGguf(c);
    EXPECT_EQ(b->encode("hi").ids, (std::vector<int32_t>{1, 259, 0}));
    EXPECT_EQ(b->encode("hi", false).ids, (std::vector<int32_t>{259}));
}

TEST(TokenizerGguf, MalformedMetadataCorpus)
{
    auto c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.token_type"] = ints({1, 1});
    expectError(c, "token_type");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.merges"] = strings({"Ġ Ġ", "q9 zz"});
    expectError(c, "merges[1]");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.merges"] = strings({"nospace"});
    expectError(c, "merges[0]");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.bos_token_id"] = uintValue(1u << 30);
    expectError(c, "bos_token_id");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.model"] = str("t5");
    expectError(c, "t5");
    c = gpt2Checkpoint();
    c.metadata.erase("tokenizer.ggml.pre");
    expectError(c, "tokenizer.ggml.pre");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.tokens"] = str("not an array");
    expectError(c, "tokenizer.ggml.tokens");
    c = gpt2Checkpoint();
    auto types = c.metadata["tokenizer.ggml.token_type"].ai;
    types[5] = 9;
    c.metadata["tokenizer.ggml.token_type"] = ints(types);
    expectError(c, "unknown type");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.scores"] = MetaValue{};
    c.metadata["tokenizer.ggml.scores"].type = MetaValue::Type::ArrayFloat;
    c.metadata["tokenizer.ggml.scores"].af = {0.0};
    expectError(c, "scores");
    c = gpt2Checkpoint();
    c.metadata["tokenizer.ggml.add_bos_token"] = boolean(true);
    c.metadata.erase("tokenizer.ggml.bos_token_id");
    expectError(c, "bos_token_id");
}

TEST(TokenizerGguf, BertVocabularyWithPhantomSpaces)
{
    Checkpoint c;
    c.path = "synthetic.gguf";
    c.metadata["tokenizer.ggml.model"] = str("bert");
    c.metadata["tokenizer.ggml.tokens"] = strings({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\xE2\x96\x81" "play", "ing",
                                                   "\xE2\x96\x81" "!"});
    c.metadata["tokenizer.ggml.token_type"] = ints({3, 2, 3, 3, 1, 1, 1});
    c.metadata["tokenizer.ggml.unknown_token_id"] = uintValue(1);
    c.metadata["tokenizer.ggml.cls_token_id"] = uintValue(2);
    c.metadata["tokenizer.ggml.separator_token_id"] = uintValue(3);
    auto t = makeTokenizerFromGguf(c);
    EXPECT_EQ(t->kind(), "wordpiece");
    EXPECT_EQ(t->encode("Playing! xyz").ids, (std::vector<int32_t>{2, 4, 5, 6, 1, 3}));
    EXPECT_EQ(t->tokenDisplay(5), "##ing");
    c.metadata.erase("tokenizer.ggml.separator_token_id");
    c.metadata["tokenizer.ggml.seperator_token_id"] = uintValue(3);
    EXPECT_EQ(makeTokenizerFromGguf(c)->encode("play").ids, (std::vector<int32_t>{2, 4, 3}));
}

TEST(TokenizerGguf, MakeTokenizerPrefersTokenizerJson)
{
    Checkpoint c = gpt2Checkpoint();
    EXPECT_EQ(makeTokenizer(c)->kind(), "bpe");
    Checkpoint empty;
    empty.path = "synthetic.gguf";
    EXPECT_THROW(makeTokenizer(empty), Error);
}
