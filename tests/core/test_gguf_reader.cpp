// GGUF reader: exact round trips for every tensor type and every metadata value type.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/formats/gguf_reader.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "support/gguf_writer.h"
#include "support/ref_dequant.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <random>

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::shared_ptr<Checkpoint> parse(const std::vector<uint8_t>& bytes)
{
    return readGguf(MappedFile::fromBytes("mem.gguf", bytes));
}

std::vector<uint8_t> randomBytes(std::mt19937& rng, size_t n)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b)
        x = static_cast<uint8_t>(rng());
    return b;
}

const DType kAllGgufTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8, DType::I16, DType::I32,
                               DType::I64, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                               DType::Q4_K, DType::Q5_K, DType::Q6_K};

} // namespace

TEST(GgufReader, RoundTripsEveryTensorType)
{
    std::mt19937 rng(42);
    GgufBuilder g;
    g.str("general.architecture", "llama");
    std::vector<std::vector<uint8_t>> payloads;
    for (DType t : kAllGgufTypes) {
        uint32_t id = 0;
        ASSERT_TRUE(ggmlFromDtype(t, id));
        const DTypeInfo& info = dtypeInfo(t);
        const uint64_t rowElems = 2ull * info.blockElems, rows = 3;
        payloads.push_back(randomBytes(rng, rows * rowElems / info.blockElems * info.blockBytes));
        g.tensor(std::string("t.") + dtypeName(t), {rowElems, rows}, id, payloads.back());
    }
    auto ck = parse(g.build());
    ASSERT_EQ(ck->tensors.size(), std::size(kAllGgufTypes));
    EXPECT_EQ(ck->format, CheckpointFormat::Gguf);
    for (size_t i = 0; i < ck->tensors.size(); ++i) {
        const DType t = kAllGgufTypes[i];
        const DTypeInfo& info = dtypeInfo(t);
        const TensorInfo* ti = ck->find(std::string("t.") + dtypeName(t));
        ASSERT_NE(ti, nullptr);
        EXPECT_EQ(ti->dtype, t);
        EXPECT_EQ(ti->shape, (std::vector<int64_t>{3, int64_t(2 * info.blockElems)})) << "ne reversed to outermost first";
        EXPECT_EQ(ti->nbytes, payloads[i].size());
        EXPECT_EQ(ti->fileOffset % 32, 0u);
        ASSERT_EQ(std::memcmp(ck->data(*ti), payloads[i].data(), ti->nbytes), 0) << dtypeName(t);
        if (!info.dequantizable)
            continue;
        const auto want = refDequant(t, payloads[i].data(), ti->elementCount());
        std::vector<float> got(ti->elementCount());
        dequantizeRows(*ck, *ti, 0, ti->rows(), got.data());
        for (size_t k = 0; k < got.size(); ++k)
            ASSERT_TRUE(sameFloat(got[k], want[k])) << dtypeName(t) << " " << k;
        // A single middle row lands at the right place.
        std::vector<float> row(ti->rowLength());
        dequantizeRows(*ck, *ti, 1, 1, row.data());
        for (int64_t k = 0; k < ti->rowLength(); ++k)
            ASSERT_TRUE(sameFloat(row[k], want[ti->rowLength() + k]));
    }
    const TensorInfo* ints = ck->find("t.I32");
    std::vector<float> out(ints->elementCount());
    try {
        dequantizeRows(*ck, *ints, 0, 1, out.data());
        FAIL() << "integers must not dequantize";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("unsupported dtype I32 for tensor t.I32"), std::string::npos);
    }
    EXPECT_THROW(dequantizeRows(*ck, *ck->find("t.F32"), 2, 2, out.data()), Error);
}

TEST(GgufReader, MetadataOfEveryValueType)
{
    GgufBuilder g;
    g.u8("a.u8", 200).i8("a.i8", -100).u16("a.u16", 60000).i16("a.i16", -30000).u32("a.u32", 4000000000u)
        .i32("a.i32", -2000000000).f32("a.f32", 1.5f).boolean("a.bool", true).str("a.str", "héllo")
        .u64("a.u64", 1ull << 63).i64("a.i64", -(1ll << 62)).f64("a.f64", -0.125);
    g.array<uint8_t>("arr.u8", 0, {1, 2, 255}).array<int8_t>("arr.i8", 1, {-1, 5})
        .array<uint16_t>("arr.u16", 2, {65535}).array<int16_t>("arr.i16", 3, {-7})
        .array<uint32_t>("arr.u32", 4, {7, 8}).array<int32_t>("arr.i32", 5, {-9})
        .array<float>("arr.f32", 6, {0.5f, -2.0f}).array<uint8_t>("arr.bool", 7, {1, 0, 1})
        .array<uint64_t>("arr.u64", 10, {~0ull}).array<int64_t>("arr.i64", 11, {-5, 6})
        .array<double>("arr.f64", 12, {3.25}).strArray("arr.str", {"a", "", "c d"}).array<uint32_t>("arr.empty", 4, {});
    auto ck = parse(g.build());
    auto m = [&](const char* k) {
        const MetaValue* v = ck->meta(k);
        EXPECT_NE(v, nullptr) << k;
        return v;
    };
    EXPECT_EQ(m("a.u8")->u, 200u);
    EXPECT_EQ(m("a.u8")->ggufType, 0u);
    EXPECT_EQ(m("a.i8")->i, -100);
    EXPECT_EQ(m("a.i8")->type, MetaValue::Type::Int);
    EXPECT_EQ(m("a.u16")->u, 60000u);
    EXPECT_EQ(m("a.i16")->i, -30000);
    EXPECT_EQ(m("a.u32")->u, 4000000000u);
    EXPECT_EQ(m("a.u32")->i, 4000000000);
    EXPECT_EQ(m("a.i32")->i, -2000000000);
    EXPECT_EQ(m("a.f32")->f, 1.5);
    EXPECT_EQ(m("a.bool")->type, MetaValue::Type::Bool);
    EXPECT_TRUE(m("a.bool")->b);
    EXPECT_EQ(m("a.str")->s, "héllo");
    EXPECT_EQ(m("a.str")->ggufType, 8u);
    EXPECT_EQ(m("a.u64")->u, 1ull << 63);
    EXPECT_EQ(m("a.i64")->i, -(1ll << 62));
    EXPECT_EQ(m("a.f64")->f, -0.125);
    EXPECT_EQ(m("arr.u8")->au, (std::vector<uint64_t>{1, 2, 255}));
    EXPECT_EQ(m("arr.u8")->type, MetaValue::Type::ArrayUInt);
    EXPECT_EQ(m("arr.i8")->ai, (std::vector<int64_t>{-1, 5}));
    EXPECT_EQ(m("arr.u16")->au, (std::vector<uint64_t>{65535}));
    EXPECT_EQ(m("arr.i16")->ai, (std::vector<int64_t>{-7}));
    EXPECT_EQ(m("arr.u32")->au, (std::vector<uint64_t>{7, 8}));
    EXPECT_EQ(m("arr.i32")->ai, (std::vector<int64_t>{-9}));
    EXPECT_EQ(m("arr.f32")->af, (std::vector<double>{0.5, -2.0}));
    EXPECT_EQ(m("arr.bool")->type, MetaValue::Type::ArrayBool);
    EXPECT_EQ(m("arr.bool")->au, (std::vector<uint64_t>{1, 0, 1}));
    EXPECT_EQ(m("arr.u64")->au, (std::vector<uint64_t>{~0ull}));
    EXPECT_EQ(m("arr.i64")->ai, (std::vector<int64_t>{-5, 6}));
    EXPECT_EQ(m("arr.f64")->af, (std::vector<double>{3.25}));
    EXPECT_EQ(m("arr.str")->as, (std::vector<std::string>{"a", "", "c d"}));
    EXPECT_EQ(m("arr.str")->arraySize(), 3u);
    EXPECT_EQ(m("arr.str")->ggufType, 8u);
    EXPECT_TRUE(m("arr.empty")->isArray());
    EXPECT_EQ(m("arr.empty")->arraySize(), 0u);
    EXPECT_EQ(ck->meta("missing"), nullptr);
}

TEST(GgufReader, CustomAlignmentVersion2AndZeroSizedDims)
{
    GgufBuilder g;
    g.version = 2;
    g.alignment = 64;
    g.u32("general.alignment", 64);
    g.tensor("a", {4}, 0, std::vector<uint8_t>(16, 1));
    g.tensor("empty", {0, 3}, 0, {});
    g.tensor("b", {2, 2}, 1, std::vector<uint8_t>(8, 2));
    auto ck = parse(g.build());
    ASSERT_EQ(ck->tensors.size(), 3u);
    EXPECT_EQ(ck->tensors[0].fileOffset % 64, 0u);
    EXPECT_EQ(ck->tensors[1].nbytes, 0u);
    EXPECT_EQ(ck->tensors[1].shape, (std::vector<int64_t>{3, 0}));
    EXPECT_EQ(ck->tensors[2].fileOffset - ck->tensors[0].fileOffset, 64u);
    EXPECT_EQ(ck->data(ck->tensors[2])[0], 2);
}

TEST(GgufReader, AlignmentOneAndNoTensors)
{
    GgufBuilder g;
    g.alignment = 1;
    g.u32("general.alignment", 1);
    g.tensor("a", {3}, 1, {1, 2, 3, 4, 5, 6});
    g.tensor("b", {1}, 24, {9});
    auto ck = parse(g.build());
    EXPECT_EQ(ck->tensors[1].fileOffset, ck->tensors[0].fileOffset + 6);
    GgufBuilder empty;
    empty.str("general.architecture", "llama");
    auto e = parse(empty.build());
    EXPECT_TRUE(e->tensors.empty());
    EXPECT_EQ(e->meta("general.architecture")->s, "llama");
}

TEST(GgufReader, OpenCheckpointDispatchesOnExtensionAndMagic)
{
    TempDir dir;
    GgufBuilder g;
    g.str("general.architecture", "gpt2");
    g.tensor("w", {2}, 0, std::vector<uint8_t>(8, 0));
    const auto bytes = g.build();
    auto a = openCheckpoint(dir.write("m.gguf", bytes));
    EXPECT_EQ(a->format, CheckpointFormat::Gguf);
    EXPECT_EQ(a->totalBytes, bytes.size());
    EXPECT_STREQ(checkpointFormatName(a->format), "GGUF");
    auto b = openCheckpoint(dir.write("renamed.dat", bytes));
    EXPECT_EQ(b->meta("general.architecture")->s, "gpt2");
    ASSERT_NE(b->find("w"), nullptr);
}

TEST(GgufReader, EmptyTensorWithHugeOuterDimsHasNoRows)
{
    // ne[0] = 0 makes the element count 0 whatever the other dims are; rows() must not overflow.
    GgufBuilder g;
    g.tensor("e", {0, 1ull << 62, 1ull << 62}, 0, {});
    auto ck = parse(g.build());
    EXPECT_EQ(ck->tensors[0].elementCount(), 0u);
    EXPECT_EQ(ck->tensors[0].rows(), 0);
    EXPECT_EQ(ck->tensors[0].nbytes, 0u);
}
