// safetensors reader, sharded indexes and HF folders: exact round trips for every dtype.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/formats/hf_folder.h"
#include "core/formats/safetensors_reader.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "support/ref_dequant.h"
#include "support/safetensors_writer.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <functional>
#include <random>

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::vector<uint8_t> randomBytes(std::mt19937& rng, size_t n)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b)
        x = static_cast<uint8_t>(rng());
    return b;
}

const DType kPlainTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8, DType::I16, DType::I32,
                             DType::I64, DType::U8, DType::U16, DType::U32, DType::U64, DType::Bool};

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

} // namespace

TEST(SafetensorsReader, RoundTripsEveryDtype)
{
    std::mt19937 rng(5);
    SafetensorsBuilder b;
    b.metadata = {{"format", "pt"}, {"note", "ünïcode"}};
    for (DType t : kPlainTypes)
        b.tensor(std::string("t.") + safetensorsName(t), safetensorsName(t), {2, 3},
                 randomBytes(rng, 6 * dtypeInfo(t).blockBytes));
    b.tensor("scalar", "F32", {}, {0, 0, 0x80, 0x3F});
    b.tensor("empty", "F16", {4, 0}, {});
    auto ck = readSafetensors(MappedFile::fromBytes("mem.safetensors", b.build()));
    EXPECT_EQ(ck->format, CheckpointFormat::Safetensors);
    ASSERT_EQ(ck->tensors.size(), std::size(kPlainTypes) + 2);
    for (size_t i = 0; i < std::size(kPlainTypes); ++i) {
        const DType t = kPlainTypes[i];
        const TensorInfo* ti = ck->find(std::string("t.") + safetensorsName(t));
        ASSERT_NE(ti, nullptr);
        EXPECT_EQ(ti->dtype, t);
        EXPECT_EQ(ti->shape, (std::vector<int64_t>{2, 3}));
        EXPECT_EQ(std::memcmp(ck->data(*ti), b.tensors[i].data.data(), ti->nbytes), 0);
        if (dtypeInfo(t).dequantizable) {
            std::vector<float> got(6);
            dequantizeRows(*ck, *ti, 0, 2, got.data());
            auto want = refDequant(t, b.tensors[i].data.data(), 6);
            for (int k = 0; k < 6; ++k)
                ASSERT_TRUE(sameFloat(got[k], want[k])) << safetensorsName(t);
        }
    }
    const TensorInfo* s = ck->find("scalar");
    EXPECT_TRUE(s->shape.empty());
    EXPECT_EQ(s->rows(), 1);
    EXPECT_EQ(s->rowLength(), 1);
    float one = 0;
    dequantizeRows(*ck, *s, 0, 1, &one);
    EXPECT_EQ(one, 1.0f);
    EXPECT_EQ(ck->find("empty")->nbytes, 0u);
    EXPECT_EQ(ck->meta("format")->s, "pt");
    EXPECT_EQ(ck->meta("note")->s, "ünïcode");
}

TEST(SafetensorsReader, UnreadableDtypesAreNamed)
{
    for (const char* dt : {"F8_E4M3", "F8_E5M2", "C64", "F8_E8M0"}) {
        SafetensorsBuilder b;
        b.tensor("w", dt, {2}, std::vector<uint8_t>(std::string(dt) == "C64" ? 16 : 2, 0));
        ErrorKind k{};
        const std::string msg = errorOf([&] { readSafetensors(MappedFile::fromBytes("m.safetensors", b.build())); }, &k);
        EXPECT_EQ(k, ErrorKind::Unsupported);
        EXPECT_NE(msg.find(std::string("unsupported dtype ") + dt + " for tensor w"), std::string::npos) << msg;
    }
    SafetensorsBuilder f4;
    f4.tensor("w", "F4", {4}, {0, 0}); // 4 × 4 bits = 2 bytes: valid layout, unreadable dtype
    ErrorKind k{};
    errorOf([&] { readSafetensors(MappedFile::fromBytes("m.safetensors", f4.build())); }, &k);
    EXPECT_EQ(k, ErrorKind::Unsupported);
}

TEST(SafetensorsReader, ShardedIndex)
{
    TempDir dir;
    SafetensorsBuilder s1, s2;
    s1.tensor("a", "F32", {2}, {0, 0, 0x80, 0x3F, 0, 0, 0, 0x40});
    s1.tensor("b", "BF16", {1}, {0x80, 0x3F});
    s2.tensor("c", "F16", {1}, {0x00, 0x3C});
    dir.write("model-00001-of-00002.safetensors", s1.build());
    dir.write("model-00002-of-00002.safetensors", s2.build());
    const std::string index = R"({"metadata": {"total_size": 14}, "weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
        "c": "model-00002-of-00002.safetensors"}})";
    auto ck = openCheckpoint(dir.write("model.safetensors.index.json", index));
    ASSERT_EQ(ck->tensors.size(), 3u);
    EXPECT_EQ(ck->files.size(), 2u);
    EXPECT_EQ(ck->find("c")->fileIndex, 1u);
    float v[2];
    dequantizeRows(*ck, *ck->find("a"), 0, 1, v);
    EXPECT_EQ(v[1], 2.0f);
    dequantizeRows(*ck, *ck->find("c"), 0, 1, v);
    EXPECT_EQ(v[0], 1.0f);
}

TEST(SafetensorsReader, ShardIndexDefects)
{
    TempDir dir;
    SafetensorsBuilder s1;
    s1.tensor("a", "F32", {1}, {0, 0, 0, 0});
    dir.write("s1.safetensors", s1.build());
    auto open = [&](const std::string& weightMap) {
        return errorOf([&] { openCheckpoint(dir.write("model.safetensors.index.json", R"({"weight_map": )" + weightMap + "}")); });
    };
    EXPECT_NE(open(R"({"a": "../s1.safetensors"})").find("no path separators"), std::string::npos);
    EXPECT_NE(open(R"({"a": "/etc/passwd"})").find("no path separators"), std::string::npos);
    EXPECT_NE(open(R"({"a": "s1.safetensors", "zz": "s1.safetensors"})").find("'zz' is missing from shard"), std::string::npos);
    EXPECT_NE(open(R"({"a": "s1.safetensors", "a": "s1.safetensors"})").find("duplicate key"), std::string::npos);
    EXPECT_NE(open(R"({})").find("weight_map is empty"), std::string::npos);
    SafetensorsBuilder s3;
    s3.tensor("a", "F32", {1}, {0, 0, 0, 0}).tensor("extra", "F32", {1}, {0, 0, 0, 0});
    dir.write("s3.safetensors", s3.build());
    EXPECT_NE(open(R"({"a": "s3.safetensors"})").find("'extra'"), std::string::npos);
    EXPECT_NE(open(R"({"a": "s3.safetensors"})").find("not listed in the index"), std::string::npos);
    EXPECT_NE(open(R"({"a": "missing.safetensors"})").find("cannot open"), std::string::npos);
    EXPECT_NE(open(R"([])").find("weight_map"), std::string::npos);
    SafetensorsBuilder s2;
    s2.tensor("a", "F32", {1}, {0, 0, 0, 0});
    dir.write("s2.safetensors", s2.build());
    EXPECT_NE(open(R"({"a": "s2.safetensors", "b": "s1.safetensors"})").find("places this tensor in shard"), std::string::npos);
}

TEST(HfFolder, ConfigTokenizerAndWeights)
{
    TempDir dir;
    SafetensorsBuilder s;
    s.tensor("model.embed_tokens.weight", "BF16", {2, 2}, {0x80, 0x3F, 0, 0x40, 0, 0, 0x80, 0xBF});
    dir.write("model.safetensors", s.build());
    dir.write("config.json", R"({"model_type": "llama", "hidden_size": 2, "rope_scaling": null})");
    dir.write("tokenizer.json", R"({"model": {"type": "BPE"}})");
    dir.write("tokenizer_config.json", R"({"bos_token": "<s>"})");
    auto ck = openCheckpoint(dir.path().string());
    EXPECT_EQ(ck->format, CheckpointFormat::HfFolder);
    EXPECT_EQ(ck->config["model_type"], "llama");
    EXPECT_EQ(ck->config["hidden_size"], 2);
    EXPECT_EQ(ck->tokenizerJson, R"({"model": {"type": "BPE"}})");
    EXPECT_EQ(ck->tokenizerConfigJson, R"({"bos_token": "<s>"})");
    ASSERT_NE(ck->find("model.embed_tokens.weight"), nullptr);
    EXPECT_EQ(ck->path, dir.path().string());
}

TEST(HfFolder, ShardedFolderAndDefects)
{
    TempDir dir;
    SafetensorsBuilder s;
    s.tensor("w", "F32", {1}, {0, 0, 0, 0});
    dir.write("model-00001-of-00001.safetensors", s.build());
    dir.write("model.safetensors.index.json", R"({"weight_map": {"w": "model-00001-of-00001.safetensors"}})");
    ErrorKind k{};
    EXPECT_NE(errorOf([&] { openCheckpoint(dir.path().string()); }, &k).find("config.json is missing"), std::string::npos);
    dir.write("config.json", R"({"a": 1, "a": 2})");
    EXPECT_NE(errorOf([&] { openCheckpoint(dir.path().string()); }).find("duplicate key"), std::string::npos);
    std::string deep(65, '[');
    deep += std::string(65, ']');
    dir.write("config.json", "{\"x\": " + deep + "}");
    EXPECT_NE(errorOf([&] { openCheckpoint(dir.path().string()); }).find("nesting deeper than 64"), std::string::npos);
    dir.write("config.json", "[1]");
    EXPECT_NE(errorOf([&] { openCheckpoint(dir.path().string()); }).find("not a JSON object"), std::string::npos);
    dir.write("config.json", R"({"model_type": "gpt2"})");
    auto ck = openCheckpoint(dir.path().string());
    EXPECT_EQ(ck->format, CheckpointFormat::HfFolder);
    EXPECT_TRUE(ck->tokenizerJson.empty());
    EXPECT_EQ(ck->find("w")->fileIndex, 0u);
}

TEST(HfFolder, TextCapIsEnforced)
{
    TempDir dir;
    const std::string p = dir.write("big.json", std::string(100, ' '));
    EXPECT_EQ(readTextFileCapped(p, 100).size(), 100u);
    ErrorKind k{};
    EXPECT_NE(errorOf([&] { readTextFileCapped(p, 99); }, &k).find("exceeds the cap of 99"), std::string::npos);
    EXPECT_EQ(k, ErrorKind::Format);
}
