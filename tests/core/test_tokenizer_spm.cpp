// SentencePiece BPE (GGUF tokenizer.ggml.model = "llama") on a tiny vocabulary written as a real GGUF file:
// merges by piece score (not leftmost first), ties to the leftmost pair, resegmentation of unused pieces, byte
// fallback, user-defined and control tokens, the space prefix, BOS/EOS flags, display strings, byte spans, and
// the malformed-vocabulary corpus. Every expectation is worked out by hand in the comments.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "tests/core/support/gguf_writer.h"
#include "tests/core/support/temp_dir.h"

#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>
#include <optional>

using namespace attnscope;
using attnscope::test::GgufBuilder;
using attnscope::test::TempDir;

namespace {

// Ids: 0 <unk> (unknown), 1 <s>, 2 </s> (control), 3..258 <0x00>..<0xFF> (byte), then the pieces below.
constexpr int32_t kByte0 = 3;
constexpr int32_t kSpace = 259, kA = 260, kB = 261, kC = 262, kAB = 263, kBC = 264, kSpaceA = 265, kAA = 266,
                  kTwoSpaces = 267, kEAcute = 268, kCAB = 269;

struct Vocab {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    std::optional<uint32_t> unk = 0, bos = 1, eos = 2;
    std::optional<bool> addBos, addEos, addSpacePrefix = false;
    bool writeScores = true, writeTypes = true;
    bool scoresAsInts = false;
};

Vocab tinyVocab()
{
    Vocab v;
    auto add = [&](std::string t, float score, int32_t type) {
        v.tokens.push_back(std::move(t));
        v.scores.push_back(score);
        v.types.push_back(type);
    };
    add("<unk>", 0, 2);
    add("<s>", 0, 3);
    add("</s>", 0, 3);
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        add(buf, 0, 6);
    }
    add("\xE2\x96\x81", -1, 1);         // 259 ▁
    add("a", -2, 1);                    // 260
    add("b", -3, 1);                    // 261
    add("c", -4, 1);                    // 262
    add("ab", -6, 1);                   // 263
    add("bc", -5, 1);                   // 264 scores higher than "ab"
    add("\xE2\x96\x81" "a", -7, 1);     // 265 ▁a
    add("aa", -8, 1);                   // 266
    add("  ", 0, 4);                    // 267 user-defined, written with spaces as llama.cpp's converter does
    add("\xC3\xA9", -9, 1);             // 268 é
    add("cab", -0.5f, 5);               // 269 unused: formed by a merge, then split back
    return v;
}

std::vector<uint8_t> gguf(const Vocab& v)
{
    GgufBuilder g;
    g.str("general.architecture", "llama");
    g.str("tokenizer.ggml.model", "llama");
    g.strArray("tokenizer.ggml.tokens", v.tokens);
    if (v.writeScores) {
        if (v.scoresAsInts)
            g.array<int32_t>("tokenizer.ggml.scores", 5, std::vector<int32_t>(v.scores.size(), 0));
        else
            g.array<float>("tokenizer.ggml.scores", 6, v.scores);
    }
    if (v.writeTypes)
        g.array<int32_t>("tokenizer.ggml.token_type", 5, v.types);
    if (v.unk)
        g.u32("tokenizer.ggml.unknown_token_id", *v.unk);
    if (v.bos)
        g.u32("tokenizer.ggml.bos_token_id", *v.bos);
    if (v.eos)
        g.u32("tokenizer.ggml.eos_token_id", *v.eos);
    if (v.addBos)
        g.boolean("tokenizer.ggml.add_bos_token", *v.addBos);
    if (v.addEos)
        g.boolean("tokenizer.ggml.add_eos_token", *v.addEos);
    if (v.addSpacePrefix)
        g.boolean("tokenizer.ggml.add_space_prefix", *v.addSpacePrefix);
    return g.build();
}

std::unique_ptr<Tokenizer> open(const Vocab& v)
{
    TempDir dir;
    auto ckpt = openCheckpoint(dir.write("spm.gguf", gguf(v)));
    return makeTokenizer(*ckpt);
}

void expectError(const Vocab& v, const std::string& key, const std::string& words)
{
    try {
        open(v);
        ADD_FAILURE() << "accepted (expected an error naming " << key << ")";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(key), std::string::npos) << what;
        EXPECT_NE(what.find(words), std::string::npos) << what;
        EXPECT_NE(what.find("spm.gguf"), std::string::npos) << what;
    }
}

using Ids = std::vector<int32_t>;

} // namespace

TEST(TokenizerSpm, MergesByPieceScoreNotLeftmostFirst)
{
    auto t = open(tinyVocab());
    EXPECT_EQ(t->kind(), "sentencepiece-bpe");
    EXPECT_EQ(t->vocabSize(), 270);
    EXPECT_EQ(t->bosId(), 1);
    EXPECT_EQ(t->eosId(), 2);
    // "abc": pairs "ab" (-6) and "bc" (-5); "bc" scores higher, so a + bc, although "ab" is further left.
    EXPECT_EQ(t->encode("abc", false).ids, (Ids{kA, kBC}));
    // "aaa": both pairs are "aa" with one score; the leftmost merges first -> aa + a.
    EXPECT_EQ(t->encode("aaa", false).ids, (Ids{kAA, kA}));
    // Spaces become U+2581 and merge like any character: " a" -> ▁a; "a b" -> a ▁ b (no "a▁" or "▁b" piece).
    EXPECT_EQ(t->encode(" a", false).ids, (Ids{kSpaceA}));
    EXPECT_EQ(t->encode("a b", false).ids, (Ids{kA, kSpace, kB}));
}

TEST(TokenizerSpm, UnusedPiecesAreSplitBackIntoThePairThatFormedThem)
{
    auto t = open(tinyVocab());
    // "cab": "ab" merges (-6), then "c"+"ab" forms the unused piece "cab" (-0.5), which resegments into c + ab.
    auto r = t->encode("cab", false);
    EXPECT_EQ(r.ids, (Ids{kC, kAB}));
    EXPECT_EQ(r.byteBegin, (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(r.byteEnd, (std::vector<uint32_t>{1, 3}));
}

TEST(TokenizerSpm, ByteFallbackForCharactersOutsideTheVocabulary)
{
    auto t = open(tinyVocab());
    // "é" (C3 A9) is a piece; "è" (C3 A8) is not: its two bytes become <0xC3> <0xA8>, one byte span each.
    EXPECT_EQ(t->encode("\xC3\xA9", false).ids, (Ids{kEAcute}));
    auto r = t->encode("\xC3\xA8" "a", false);
    EXPECT_EQ(r.ids, (Ids{kByte0 + 0xC3, kByte0 + 0xA8, kA}));
    EXPECT_EQ(r.byteBegin, (std::vector<uint32_t>{0, 1, 2}));
    EXPECT_EQ(r.byteEnd, (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(r.display[0], "<0xC3>");   // half a character: escaped
    EXPECT_EQ(r.display[1], "<0xA8>");
    EXPECT_EQ(t->tokenBytes(kByte0 + 0xC3), "\xC3");
    // A byte piece of a printable byte shows the character; a newline shows as ↵.
    EXPECT_EQ(t->encode("x", false).ids, (Ids{kByte0 + 'x'}));
    EXPECT_EQ(t->tokenDisplay(kByte0 + 'x'), "x");
    EXPECT_EQ(t->tokenDisplay(kByte0 + '\n'), "\xE2\x86\xB5");
    // Typing a byte piece's spelling is just text: "<0x41>" is never the byte piece for "A".
    for (int32_t id : t->encode("<0x41>", false).ids)
        EXPECT_NE(id, kByte0 + 0x41);
}

TEST(TokenizerSpm, WithoutBytePiecesUnknownCharactersFuseIntoOneUnknown)
{
    Vocab v = tinyVocab();
    for (int b = 0; b < 256; ++b)
        v.types[kByte0 + b] = 1;             // now ordinary pieces spelled "<0xNN>", no byte fallback
    auto t = open(v);
    // "xxa": x and x are no pieces -> one <unk> over both; then a.
    auto r = t->encode("xxa", false);
    EXPECT_EQ(r.ids, (Ids{0, kA}));
    EXPECT_EQ(r.byteBegin, (std::vector<uint32_t>{0, 2}));
    EXPECT_EQ(r.byteEnd, (std::vector<uint32_t>{2, 3}));
}

TEST(TokenizerSpm, FileWithoutTokenTypesFindsBytePiecesBySpelling)
{
    Vocab v = tinyVocab();
    v.writeTypes = false;   // llama.cpp then treats every token as normal and finds byte pieces by "<0xNN>"
    auto t = open(v);
    EXPECT_EQ(t->encode("x", false).ids, (Ids{kByte0 + 'x'}));
    // Without types, "<s>" is no control token: typed, it is text (< s >, three byte pieces).
    EXPECT_EQ(t->encode("<s>", false).ids, (Ids{kByte0 + '<', kByte0 + 's', kByte0 + '>'}));
}

TEST(TokenizerSpm, UserDefinedAndControlTokensAreMatchedWhole)
{
    auto t = open(tinyVocab());
    // The user-defined "  " (stored with spaces) is matched before the merges; x and y fall back to bytes.
    auto r = t->encode("x  y", false);
    EXPECT_EQ(r.ids, (Ids{kByte0 + 'x', kTwoSpaces, kByte0 + 'y'}));
    EXPECT_EQ(r.byteBegin, (std::vector<uint32_t>{0, 1, 3}));
    EXPECT_EQ(r.byteEnd, (std::vector<uint32_t>{1, 3, 4}));
    EXPECT_EQ(r.display[1], "\xE2\x90\xA3\xE2\x90\xA3");   // ␣␣
    // Three spaces: the longest match first ("  "), then one ▁.
    EXPECT_EQ(t->encode("a   ", false).ids, (Ids{kA, kTwoSpaces, kSpace}));
    // Control tokens typed in the text; BOS added by default (add_bos_token absent means true).
    auto c = t->encode("<s>ab</s>");
    EXPECT_EQ(c.ids, (Ids{1, 1, kAB, 2}));
    EXPECT_EQ(c.byteBegin, (std::vector<uint32_t>{0, 0, 3, 5}));
    EXPECT_EQ(c.byteEnd, (std::vector<uint32_t>{0, 3, 5, 9}));
    EXPECT_EQ(c.display[1], "<s>");
}

TEST(TokenizerSpm, SpacePrefixAfterTheStartAndEachControlToken)
{
    Vocab v = tinyVocab();
    v.addSpacePrefix.reset();   // absent: llama.cpp's default for SentencePiece is true
    auto t = open(v);
    // "ab" -> "▁ab": pairs ▁a (-7) and ab (-6); ab wins, and "▁ab" is no piece -> ▁ + ab.
    auto r = t->encode("ab");
    EXPECT_EQ(r.ids, (Ids{1, kSpace, kAB}));
    EXPECT_EQ(r.byteBegin[1], r.byteEnd[1]);   // the inserted ▁ stands for no text
    // After a control token the next stretch of text gets the prefix again: "<s>a" -> <s> ▁a.
    auto c = t->encode("<s>a", false);
    EXPECT_EQ(c.ids, (Ids{1, kSpaceA}));
    EXPECT_EQ(c.byteBegin[1], 3u);   // ▁a covers only the "a" the user typed
    EXPECT_EQ(c.byteEnd[1], 4u);
    // A leading space plus the prefix: "▁▁a" -> the user-defined "▁▁" then a.
    EXPECT_EQ(t->encode(" a", false).ids, (Ids{kTwoSpaces, kA}));
}

TEST(TokenizerSpm, BosAndEosFollowTheFlags)
{
    Vocab v = tinyVocab();
    auto t = open(v);
    EXPECT_EQ(t->encode("").ids, (Ids{1}));
    EXPECT_TRUE(t->encode("", false).ids.empty());
    v.addBos = false;
    v.addEos = true;
    auto e = open(v);
    auto r = e->encode("a");
    EXPECT_EQ(r.ids, (Ids{kA, 2}));
    EXPECT_EQ(r.byteBegin[1], 1u);   // EOS sits at the end of the text, with an empty span
    EXPECT_EQ(r.byteEnd[1], 1u);
    EXPECT_EQ(e->encode("a", false).ids, (Ids{kA}));
}

TEST(TokenizerSpm, DisplayAndBytes)
{
    auto t = open(tinyVocab());
    EXPECT_EQ(t->tokenDisplay(kSpace), "\xE2\x90\xA3");          // ␣
    EXPECT_EQ(t->tokenDisplay(kSpaceA), "\xE2\x90\xA3" "a");     // ␣a
    EXPECT_EQ(t->tokenBytes(kSpaceA), " a");
    EXPECT_EQ(t->tokenBytes(kTwoSpaces), "  ");
    EXPECT_EQ(t->tokenDisplay(0), "<unk>");
    EXPECT_EQ(t->tokenDisplay(1), "<s>");
    EXPECT_EQ(t->tokenDisplay(kByte0 + 0xFF), "<0xFF>");
}

TEST(TokenizerSpm, MalformedVocabularyCorpus)
{
    Vocab v = tinyVocab();
    v.tokens[kByte0 + 0x4F] = "<0x4G>";
    expectError(v, "tokenizer.ggml.tokens[82]", "<0xNN>");
    v = tinyVocab();
    v.tokens[kByte0 + 1] = "<0x001>";
    expectError(v, "tokenizer.ggml.tokens[4]", "two hex digits");
    v = tinyVocab();
    v.tokens[kByte0 + 1] = "<0x1>";
    expectError(v, "tokenizer.ggml.tokens[4]", "two hex digits");
    v = tinyVocab();
    v.scores.pop_back();
    expectError(v, "tokenizer.ggml.scores", "entries");
    v = tinyVocab();
    v.scores[kBC] = std::nanf("");
    expectError(v, "tokenizer.ggml.scores[264]", "finite");
    v = tinyVocab();
    v.scores[kA] = INFINITY;
    expectError(v, "tokenizer.ggml.scores[260]", "finite");
    v = tinyVocab();
    v.scoresAsInts = true;
    expectError(v, "tokenizer.ggml.scores", "floats");
    v = tinyVocab();
    v.types.pop_back();
    expectError(v, "tokenizer.ggml.token_type", "entries");
    v = tinyVocab();
    v.types[kA] = 7;
    expectError(v, "tokenizer.ggml.token_type", "unknown type");
    v = tinyVocab();
    v.bos = 270;   // one past the end
    expectError(v, "tokenizer.ggml.bos_token_id", "outside the vocabulary");
    v = tinyVocab();
    v.bos.reset();   // add_bos_token defaults to true
    expectError(v, "tokenizer.ggml.bos_token_id", "add_bos_token");
    v = tinyVocab();
    v.unk = 1u << 30;
    expectError(v, "tokenizer.ggml.unknown_token_id", "outside the vocabulary");
    v = tinyVocab();
    v.unk.reset();
    v.types[kByte0 + 0x80] = 1;   // no unknown token and one byte piece missing
    expectError(v, "tokenizer.ggml.unknown_token_id", "byte piece 128");
    v = tinyVocab();
    v.tokens[1] = "";
    expectError(v, "tokenizer.ggml.tokens[1]", "empty");
    v = tinyVocab();
    v.tokens[kA] = std::string(2000, 'a');
    expectError(v, "tokenizer.ggml.tokens[260]", "longer than");
    // Without an unknown token but with all byte pieces the vocabulary is complete: accepted.
    v = tinyVocab();
    v.unk.reset();
    EXPECT_EQ(open(v)->encode("x", false).ids, (Ids{kByte0 + 'x'}));
}
