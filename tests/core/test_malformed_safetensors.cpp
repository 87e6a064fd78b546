// The safetensors malformed-file corpus (docs/SECURITY.md; docs/FORMATS.md for the rules).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/safetensors_reader.h"
#include "core/util/error.h"
#include "support/safetensors_writer.h"

#include <gtest/gtest.h>

using namespace attnscope;
using namespace attnscope::test;

namespace {

void expectError(const std::vector<uint8_t>& bytes, const std::string& reason, ErrorKind kind = ErrorKind::Format)
{
    try {
        readSafetensors(MappedFile::fromBytes("bad.safetensors", bytes));
        ADD_FAILURE() << "parsed, expected an error containing '" << reason << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_NE(e.reason().find(reason), std::string::npos) << "reason was: " << e.what();
        EXPECT_EQ(e.file(), "bad.safetensors");
    }
}

SafetensorsBuilder base()
{
    SafetensorsBuilder b;
    b.tensor("a", "F32", {2}, std::vector<uint8_t>(8, 0));
    b.tensor("b", "F16", {2, 2}, std::vector<uint8_t>(8, 0));
    return b;
}

SafetensorsBuilder withHeader(const std::string& h)
{
    SafetensorsBuilder b;
    b.headerOverride = h;
    return b;
}

} // namespace

TEST(MalformedSafetensors, ValidBaseParses) { EXPECT_EQ(readSafetensors(MappedFile::fromBytes("ok", base().build()))->tensors.size(), 2u); }
TEST(MalformedSafetensors, ShorterThanLengthField) { expectError({1, 2, 3}, "too small"); }
TEST(MalformedSafetensors, HeaderLengthPastFileSize) { auto b = base(); b.lengthOverride = 5000; expectError(b.build(), "past the end"); }
TEST(MalformedSafetensors, HeaderLengthOverCap) { auto b = base(); b.lengthOverride = 100000001; expectError(b.build(), "exceeds the cap"); }
TEST(MalformedSafetensors, HeaderLengthOverflows) { auto b = base(); b.lengthOverride = ~0ull; expectError(b.build(), "overflows"); }
TEST(MalformedSafetensors, HeaderAtCapAccepted)
{
    SafetensorsBuilder b;
    std::string h = "{}";
    h.resize(100000000, ' ');
    b.headerOverride = h;
    EXPECT_TRUE(readSafetensors(MappedFile::fromBytes("cap", b.build()))->tensors.empty());
}
TEST(MalformedSafetensors, EmptyHeader) { expectError(withHeader("").build(), "does not start with '{'"); }
TEST(MalformedSafetensors, HeaderNotStartingWithBrace) { expectError(withHeader(" {}").build(), "does not start with '{'"); }
TEST(MalformedSafetensors, InvalidUtf8) { expectError(withHeader("{\"a\xC3\x28\": 1}").build(), "invalid UTF-8"); }
TEST(MalformedSafetensors, OverlongUtf8) { expectError(withHeader("{\"\xC0\xAF\": 1}").build(), "invalid UTF-8"); }
TEST(MalformedSafetensors, InvalidJson) { expectError(withHeader("{\"a\": }").build(), "invalid JSON"); }
TEST(MalformedSafetensors, TrailingGarbageInHeader) { expectError(withHeader("{} x").build(), "invalid JSON"); }
TEST(MalformedSafetensors, DuplicateTensorKeys)
{
    SafetensorsBuilder b;
    b.tensor("a", "F32", {1}, std::vector<uint8_t>(4, 0));
    b.tensor("a", "F32", {1}, std::vector<uint8_t>(4, 0));
    expectError(b.build(), "duplicate key \"a\"");
}
TEST(MalformedSafetensors, DuplicateFieldInsideEntry)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","dtype":"F16","shape":[],"data_offsets":[0,4]}})").build(), "duplicate key \"dtype\"");
}
TEST(MalformedSafetensors, UnknownDtype) { auto b = base(); b.tensors[0].dtype = "F12"; expectError(b.build(), "unknown dtype 'F12'"); }
TEST(MalformedSafetensors, NegativeShape)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})").build(), "negative");
}
TEST(MalformedSafetensors, NonIntegerShape)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}})").build(), "not a non-negative integer");
}
TEST(MalformedSafetensors, HugeShapeNumber)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,0]}})").build(), "not a non-negative integer");
}
TEST(MalformedSafetensors, BeginAfterEnd) { auto b = base(); b.tensors[0].offsetsOverride = {{8, 0}}; expectError(b.build(), "begin 8 > end 0"); }
TEST(MalformedSafetensors, Gap)
{
    SafetensorsBuilder b;
    b.tensor("a", "F32", {1}, std::vector<uint8_t>(4, 0));
    b.tensors[0].offsetsOverride = {{4, 8}};
    b.trailing.resize(4);
    expectError(b.build(), "gap of 4 bytes");
}
TEST(MalformedSafetensors, Overlap)
{
    auto b = base();
    b.tensors[1].offsetsOverride = {{4, 12}};
    b.trailing.resize(4);
    expectError(b.build(), "overlaps");
}
TEST(MalformedSafetensors, TrailingBytesPolyglot) { auto b = base(); b.trailing = {'P', 'K', 3, 4}; expectError(b.build(), "4 trailing bytes"); }
TEST(MalformedSafetensors, BufferTwoBytesShort)
{
    auto bytes = base().build();
    bytes.resize(bytes.size() - 2);
    expectError(bytes, "truncated");
}
TEST(MalformedSafetensors, ExtentDoesNotMatchDtypeAndShape)
{
    auto b = base();
    b.tensors[0].shape = {3};
    expectError(b.build(), "does not match");
}
TEST(MalformedSafetensors, ElementCountOverflow)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,0]}})").build(),
                "element count overflows");
}
TEST(MalformedSafetensors, BitCountOverflow)
{
    expectError(withHeader(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})").build(),
                "bit count overflows");
}
TEST(MalformedSafetensors, SubByteTotalNotWholeByte)
{
    SafetensorsBuilder b;
    b.tensor("a", "F4", {3}, std::vector<uint8_t>(2, 0));
    expectError(b.build(), "not a whole number of bytes");
}
TEST(MalformedSafetensors, MetadataWithNonStringValue)
{
    auto b = base();
    b.extraMembers = R"("__metadata__": {"format": 1})";
    expectError(b.build(), "not a string");
}
TEST(MalformedSafetensors, MetadataNotAnObject)
{
    auto b = base();
    b.extraMembers = R"("__metadata__": "pt")";
    expectError(b.build(), "not an object");
}
TEST(MalformedSafetensors, NestingBomb)
{
    std::string h = "{\"a\":";
    h += std::string(100000, '[');
    h += std::string(100000, ']');
    expectError(withHeader(h + "}").build(), "nesting deeper than 64");
}
TEST(MalformedSafetensors, RankAtAndOverCap)
{
    SafetensorsBuilder ok;
    ok.tensor("a", "U8", {1, 1, 1, 1, 1, 1, 1, 2}, {0, 0});
    EXPECT_EQ(readSafetensors(MappedFile::fromBytes("ok", ok.build()))->tensors[0].shape.size(), 8u);
    SafetensorsBuilder bad;
    bad.tensor("a", "U8", {1, 1, 1, 1, 1, 1, 1, 1, 2}, {0, 0});
    expectError(bad.build(), "rank 9 exceeds");
}
TEST(MalformedSafetensors, UnexpectedField)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"strides":[1]}})").build(), "unexpected field 'strides'");
}
TEST(MalformedSafetensors, DataOffsetsNotAPair)
{
    expectError(withHeader(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0]}})").build(), "array of two integers");
}
TEST(MalformedSafetensors, TensorEntryNotAnObject) { expectError(withHeader(R"({"a": [1]})").build(), "not an object"); }
TEST(MalformedSafetensors, MissingDtype) { expectError(withHeader(R"({"a":{"shape":[],"data_offsets":[0,0]}})").build(), "missing"); }
