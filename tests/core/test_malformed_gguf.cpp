// The GGUF malformed-file corpus (docs/SECURITY.md): each defect gives a clean attnscope::Error of
// the expected kind whose reason names the problem; caps are tested at cap (accepted) and cap + 1.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/gguf_reader.h"
#include "core/util/error.h"
#include "support/gguf_writer.h"

#include <gtest/gtest.h>

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::shared_ptr<Checkpoint> parse(const std::vector<uint8_t>& bytes)
{
    return readGguf(MappedFile::fromBytes("bad.gguf", bytes));
}

void expectError(const std::vector<uint8_t>& bytes, ErrorKind kind, const std::string& reason)
{
    try {
        parse(bytes);
        ADD_FAILURE() << "parsed, expected an error containing '" << reason << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_NE(e.reason().find(reason), std::string::npos) << "reason was: " << e.what();
        EXPECT_EQ(e.file(), "bad.gguf");
    }
}

GgufBuilder base()
{
    GgufBuilder g;
    g.str("general.architecture", "llama");
    g.tensor("w", {32, 2}, 0, std::vector<uint8_t>(256, 0));
    return g;
}

GgufBuilder withArrayHeader(uint32_t elemType, uint64_t count)
{
    Bytes b;
    b.put<uint32_t>(elemType);
    b.put<uint64_t>(count);
    GgufBuilder g;
    g.raw("arr", 9, b.data);
    return g;
}

GgufBuilder withDims(std::vector<uint64_t> ne, uint32_t type = 0)
{
    GgufBuilder g;
    g.tensor("t", std::move(ne), type, {});
    return g;
}

const auto F = ErrorKind::Format;
const auto U = ErrorKind::Unsupported;

} // namespace

TEST(MalformedGguf, ValidBaseParses) { EXPECT_EQ(parse(base().build())->tensors.size(), 1u); }
TEST(MalformedGguf, EmptyFile) { expectError({}, F, "empty file"); }
TEST(MalformedGguf, TooShortForMagic) { expectError({'G', 'G'}, F, "too small"); }
TEST(MalformedGguf, BadMagic) { auto g = base(); g.magic = "GGUG"; expectError(g.build(), F, "bad magic"); }
TEST(MalformedGguf, Version0) { auto g = base(); g.version = 0; expectError(g.build(), F, "version 0"); }
TEST(MalformedGguf, Version1) { auto g = base(); g.version = 1; expectError(g.build(), U, "version 1"); }
TEST(MalformedGguf, FutureVersion) { auto g = base(); g.version = 4; expectError(g.build(), U, "newer"); }
TEST(MalformedGguf, ByteSwappedVersion) { auto g = base(); g.version = 0x03000000; expectError(g.build(), U, "big-endian"); }
TEST(MalformedGguf, TruncatedHeader) { auto b = base().build(); b.resize(12); expectError(b, F, "remain"); }

TEST(MalformedGguf, TensorCountMax) { auto g = base(); g.tensorCountOverride = ~0ull; expectError(g.build(), F, "cannot fit"); }
TEST(MalformedGguf, KvCountMax) { auto g = base(); g.kvCountOverride = ~0ull; expectError(g.build(), F, "cannot fit"); }
TEST(MalformedGguf, TensorCountTooLargeAfterMetadata)
{
    GgufBuilder g;
    g.str("pad", std::string(200, 'p'));
    g.tensorCountOverride = 3; // 99 bytes fit the bytes counted before the KVs, not those left after them
    expectError(g.build(), F, "left after the metadata");
}

TEST(MalformedGguf, KeyLengthMax)
{
    auto g = base();
    g.kvs[0].keyLengthOverride = ~0ull;
    expectError(g.build(), F, "exceeds the cap");
}
TEST(MalformedGguf, KeyLengthAtAndOverCap)
{
    GgufBuilder ok;
    ok.u8(std::string(65535, 'k'), 1);
    EXPECT_NO_THROW(parse(ok.build()));
    GgufBuilder bad;
    bad.u8(std::string(65536, 'k'), 1);
    expectError(bad.build(), F, "exceeds the cap of 65535");
}
TEST(MalformedGguf, EmptyKey) { GgufBuilder g; g.u8("", 1).str("x", "padding"); expectError(g.build(), F, "empty metadata key"); }
TEST(MalformedGguf, ValueType13) { GgufBuilder g; g.raw("k", 13, {0, 0, 0, 0}); expectError(g.build(), F, "value type 13"); }
TEST(MalformedGguf, ValueTypeMax) { GgufBuilder g; g.raw("k", 0xFFFFFFFFu, {0}); expectError(g.build(), F, "value type 4294967295"); }
TEST(MalformedGguf, DuplicateKey) { auto g = base(); g.u32("x", 1).u32("x", 2); expectError(g.build(), F, "duplicate metadata key 'x'"); }
TEST(MalformedGguf, BoolNotZeroOrOne) { GgufBuilder g; g.scalar<uint8_t>("b", 7, 2); expectError(g.build(), F, "neither 0 nor 1"); }

TEST(MalformedGguf, Alignment0) { auto g = base(); g.u32("general.alignment", 0); expectError(g.build(), F, "power of two"); }
TEST(MalformedGguf, Alignment13) { auto g = base(); g.u32("general.alignment", 13); expectError(g.build(), F, "power of two"); }
TEST(MalformedGguf, Alignment2Pow31) { auto g = base(); g.u32("general.alignment", 1u << 31); expectError(g.build(), F, "power of two"); }
TEST(MalformedGguf, Alignment2MiB) { auto g = base(); g.u32("general.alignment", 2u << 20); expectError(g.build(), F, "power of two"); }
TEST(MalformedGguf, Alignment1MiBAccepted)
{
    auto g = base();
    g.alignment = 1u << 20;
    g.u32("general.alignment", 1u << 20);
    EXPECT_EQ(parse(g.build())->tensors[0].fileOffset, 1u << 20);
}
TEST(MalformedGguf, AlignmentTypedInt32) { auto g = base(); g.i32("general.alignment", 32); expectError(g.build(), F, "must be UINT32"); }

TEST(MalformedGguf, StringLongerThanRemaining)
{
    GgufBuilder g;
    Bytes b;
    b.put<uint64_t>(1000);
    b.putRaw("abc", 3);
    g.raw("s", 8, b.data);
    expectError(g.build(), F, "remaining");
}
TEST(MalformedGguf, StringAtAndOverCap)
{
    GgufBuilder ok;
    ok.str("s", std::string(1 << 20, 'x'));
    EXPECT_EQ(parse(ok.build())->meta("s")->s.size(), 1u << 20);
    GgufBuilder bad;
    bad.str("s", std::string((1 << 20) + 1, 'x'));
    expectError(bad.build(), F, "exceeds the cap");
}
TEST(MalformedGguf, ArrayCountTimesSizeOverflows) { expectError(withArrayHeader(10, 1ull << 61).build(), F, "exceeds the cap"); }
TEST(MalformedGguf, ArrayCountOverCap) { expectError(withArrayHeader(0, (16ull << 20) + 1).build(), F, "exceeds the cap"); }
TEST(MalformedGguf, ArrayCountBeyondRemaining) { expectError(withArrayHeader(11, 1000).build(), F, "remain"); }
TEST(MalformedGguf, ArrayOfStringsBeyondRemaining) { expectError(withArrayHeader(8, 1ull << 20).build(), F, "remain"); }
TEST(MalformedGguf, ArrayAtCapAccepted)
{
    GgufBuilder g;
    g.array<uint8_t>("a", 0, std::vector<uint8_t>(16u << 20, 1));
    EXPECT_EQ(parse(g.build())->meta("a")->arraySize(), 16u << 20);
}
TEST(MalformedGguf, NestedArray) { expectError(withArrayHeader(9, 1).build(), U, "nested"); }
TEST(MalformedGguf, ArrayOfUnknownType) { expectError(withArrayHeader(13, 1).build(), F, "element type 13"); }

TEST(MalformedGguf, TensorName64Bytes)
{
    GgufBuilder ok;
    ok.tensor(std::string(63, 'n'), {1}, 0, {0, 0, 0, 0});
    EXPECT_NO_THROW(parse(ok.build()));
    GgufBuilder bad;
    bad.tensor(std::string(64, 'n'), {1}, 0, {0, 0, 0, 0});
    expectError(bad.build(), F, "limit is 63");
}
TEST(MalformedGguf, TensorNameLengthMax)
{
    auto g = base();
    g.tensors[0].nameLengthOverride = ~0ull;
    expectError(g.build(), F, "tensor name of 18446744073709551615 bytes");
}
TEST(MalformedGguf, NDims0) { auto g = base(); g.tensors[0].nDimsOverride = 0; expectError(g.build(), F, "n_dims 0"); }
TEST(MalformedGguf, NDims5) { auto g = withDims({1, 1, 1, 1, 1}); expectError(g.build(), F, "n_dims 5"); }
TEST(MalformedGguf, NDimsMax) { auto g = base(); g.tensors[0].nDimsOverride = 0xFFFFFFFFu; expectError(g.build(), F, "n_dims 4294967295"); }
TEST(MalformedGguf, DimsProductWraps) { expectError(withDims({(1ull << 42) + 1, 1ull << 22}).build(), F, "overflows"); }
TEST(MalformedGguf, DimsBytesWrapToSmall) { expectError(withDims({(1ull << 42) + 1, 1ull << 20}).build(), F, "byte size overflows"); }
TEST(MalformedGguf, DimAtLeast2Pow63) { expectError(withDims({1ull << 63}).build(), F, "2^63"); }
TEST(MalformedGguf, UnknownTypeId) { expectError(withDims({4}, 1000).build(), F, "unknown ggml type id 1000 for tensor 't'"); }
TEST(MalformedGguf, NegativeTypeId) { expectError(withDims({4}, 0xFFFFFFFFu).build(), F, "unknown ggml type id 4294967295"); }
TEST(MalformedGguf, KnownButUndecodedType) { expectError(withDims({256}, 10).build(), U, "ggml type 10 (Q2_K)"); }
TEST(MalformedGguf, RowNotMultipleOfBlock) { expectError(withDims({33}, 2).build(), F, "not a multiple of the Q4_0 block size 32"); }
TEST(MalformedGguf, MisalignedOffset)
{
    auto g = base();
    g.tensors[0].offsetOverride = 8;
    expectError(g.build(), F, "not a multiple of the alignment");
}
TEST(MalformedGguf, OffsetNotExpected)
{
    auto g = base();
    g.tensor("w2", {8}, 0, std::vector<uint8_t>(32, 0));
    g.tensors[1].offsetOverride = 0; // aliases the first tensor
    expectError(g.build(), F, "expected offset");
}
TEST(MalformedGguf, DuplicateTensorName)
{
    auto g = base();
    g.tensor("w", {8}, 0, std::vector<uint8_t>(32, 0));
    expectError(g.build(), F, "duplicate tensor name 'w'");
}
TEST(MalformedGguf, TwoHugeI8TensorsCumulativeOverflow)
{
    GgufBuilder g;
    g.tensor("a", {0x7FFFFFFFFFFFFFC0ull}, 24, {});
    g.tensor("b", {0x7FFFFFFFFFFFFFC0ull}, 24, {});
    g.tensors[1].offsetOverride = 0x7FFFFFFFFFFFFFC0ull;
    expectError(g.build(), F, "extends past the end");
}
TEST(MalformedGguf, TensorDataOneByteShort)
{
    auto g = base();
    g.padLastTensor = false;
    auto b = g.build();
    b.pop_back();
    expectError(b, F, "extends past the end");
}
TEST(MalformedGguf, TruncationAtEvery64th)
{
    auto g = base();
    g.u32("general.alignment", 32).strArray("tok", {"a", "bb", "ccc"}).array<float>("sc", 6, {1, 2, 3});
    g.tensor("v", {64}, 8, std::vector<uint8_t>(68, 1));
    g.padLastTensor = false; // the file ends exactly at the last tensor, so every cut removes needed bytes
    const auto full = g.build();
    ASSERT_NO_THROW(parse(full));
    for (int k = 0; k < 64; ++k) {
        auto b = full;
        b.resize(full.size() * k / 64);
        try {
            parse(b);
            ADD_FAILURE() << "truncation to " << b.size() << " bytes parsed";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Format) << e.what();
            EXPECT_FALSE(e.reason().empty());
        }
    }
}
