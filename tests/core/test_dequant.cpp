// Bit-pattern tests for every decoder: each nibble, each high bit and each scale slot is set on its own
// and the result compared with values worked out by hand; random blocks are compared bit-exactly with
// the per-element reference in support/ref_dequant.h.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "support/ref_dequant.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace attnscope;
using attnscope::test::refDequant;
using attnscope::test::sameFloat;

namespace {

constexpr uint16_t kHalfOne = 0x3C00, kHalfHalf = 0x3800, kHalfTwo = 0x4000, kHalfQuarter = 0x3400;

void putHalf(std::vector<uint8_t>& b, size_t at, uint16_t h) { std::memcpy(b.data() + at, &h, 2); }

std::vector<float> deq(DType t, const std::vector<uint8_t>& b)
{
    const uint64_t n = b.size() / dtypeInfo(t).blockBytes * dtypeInfo(t).blockElems;
    std::vector<float> out(n);
    dequantize(t, b.data(), out.data(), n);
    return out;
}

// Independent half decoder from the IEEE definition, for the exhaustive check.
double halfByDefinition(uint16_t h)
{
    const int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = std::ldexp(m, -24);
    else if (e == 31)
        v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    else
        v = std::ldexp(1024 + m, e - 25);
    return sign ? -v : v;
}

} // namespace

TEST(Half, AllBitPatternsMatchTheDefinition)
{
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = halfToFloat(static_cast<uint16_t>(h));
        const double want = halfByDefinition(static_cast<uint16_t>(h));
        if (std::isnan(want)) {
            ASSERT_TRUE(std::isnan(f)) << h;
            ASSERT_EQ(std::signbit(f), (h >> 15) != 0) << h;
            ASSERT_TRUE(std::isnan(halfToFloat(floatToHalf(f)))) << h;
        } else {
            ASSERT_EQ(static_cast<double>(f), want) << h;
            ASSERT_EQ(std::signbit(f), (h >> 15) != 0) << h;
            ASSERT_EQ(floatToHalf(f), h) << "round trip of " << h;
        }
    }
}

TEST(Half, EdgeCases)
{
    EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));        // smallest subnormal
    EXPECT_EQ(halfToFloat(0x03FF), std::ldexp(1023.0f, -24));     // largest subnormal
    EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));        // smallest normal
    EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
    EXPECT_EQ(halfToFloat(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(halfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
    EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);     // tie -> even (down)
    EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02); // tie -> even (up)
    EXPECT_EQ(floatToHalf(65519.0f), 0x7BFF);
    EXPECT_EQ(floatToHalf(65520.0f), 0x7C00);                         // rounds to Inf
    EXPECT_EQ(floatToHalf(-1e10f), 0xFC00);
    EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);            // tie with 0 -> 0
    EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25) * 1.0001f), 0x0001);
    EXPECT_EQ(floatToHalf(3 * std::ldexp(1.0f, -25)), 0x0002);        // 1.5 ulp ties to 2
    EXPECT_EQ(floatToHalf(std::ldexp(1023.5f, -24)), 0x0400);         // subnormal rounding carries into normal
    EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -30)), 0x0000);
    EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
    const uint16_t nan = floatToHalf(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7C00, 0x7C00);
    EXPECT_NE(nan & 0x03FF, 0);
}

#if defined(__FLT16_MAX__)
TEST(Half, RandomFloatsRoundLikeTheCompiler)
{
    std::mt19937 rng(7);
    for (int k = 0; k < 200000; ++k) {
        uint32_t bits = rng();
        float f;
        std::memcpy(&f, &bits, 4);
        if (std::isnan(f))
            continue;
        const _Float16 h = static_cast<_Float16>(f);
        uint16_t want;
        std::memcpy(&want, &h, 2);
        ASSERT_EQ(floatToHalf(f), want) << f;
    }
}
#endif

TEST(BFloat16, ConversionAndRounding)
{
    EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
    EXPECT_EQ(bf16ToFloat(0xC040), -3.0f);
    EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
    uint32_t tieDown = 0x3F808000u, tieUp = 0x3F818000u, above = 0x3F808001u;
    float f;
    std::memcpy(&f, &tieDown, 4);
    EXPECT_EQ(floatToBf16(f), 0x3F80);
    std::memcpy(&f, &tieUp, 4);
    EXPECT_EQ(floatToBf16(f), 0x3F82);
    std::memcpy(&f, &above, 4);
    EXPECT_EQ(floatToBf16(f), 0x3F81);
    EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
    std::vector<uint8_t> b = {0x80, 0x3F, 0x00, 0xC0};
    EXPECT_EQ(deq(DType::BF16, b), (std::vector<float>{1.0f, -2.0f}));
}

TEST(Dequant, F16AndF64)
{
    std::vector<uint8_t> b(6);
    putHalf(b, 0, 0x3C00);
    putHalf(b, 2, 0x0001);
    putHalf(b, 4, 0xFC00);
    auto y = deq(DType::F16, b);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[1], std::ldexp(1.0f, -24));
    EXPECT_EQ(y[2], -std::numeric_limits<float>::infinity());
    std::vector<uint8_t> d(8);
    const double v = -2.5;
    std::memcpy(d.data(), &v, 8);
    EXPECT_EQ(deq(DType::F64, d), std::vector<float>{-2.5f});
}

TEST(Dequant, Q4_0EachNibble)
{
    for (int e = 0; e < 32; ++e) {
        std::vector<uint8_t> b(18, 0x88); // every code 8 -> value 0
        putHalf(b, 0, kHalfHalf);
        b[2 + e % 16] = e < 16 ? 0x8F : 0xF8; // code 15 -> (15 - 8) * 0.5 = 3.5
        auto y = deq(DType::Q4_0, b);
        for (int k = 0; k < 32; ++k)
            ASSERT_EQ(y[k], k == e ? 3.5f : 0.0f) << "element " << k << " with nibble " << e;
    }
    std::vector<uint8_t> b(18, 0x00); // code 0 -> -8 * d
    putHalf(b, 0, kHalfTwo);
    for (float v : deq(DType::Q4_0, b))
        EXPECT_EQ(v, -16.0f);
}

TEST(Dequant, Q4_1EachNibbleAndMin)
{
    for (int e = 0; e < 32; ++e) {
        std::vector<uint8_t> b(20, 0x00);
        putHalf(b, 0, kHalfQuarter); // d = 0.25
        putHalf(b, 2, 0xC000);       // m = -2
        b[4 + e % 16] = e < 16 ? 0x0A : 0xA0; // code 10 -> 2.5 - 2 = 0.5
        auto y = deq(DType::Q4_1, b);
        for (int k = 0; k < 32; ++k)
            ASSERT_EQ(y[k], k == e ? 0.5f : -2.0f) << k << " " << e;
    }
}

TEST(Dequant, Q5_0EachHighBitAndNibble)
{
    for (int e = 0; e < 32; ++e) {
        std::vector<uint8_t> b(22, 0x00); // code 0 -> -16 * d
        putHalf(b, 0, kHalfOne);
        const uint32_t qh = 1u << e; // fifth bit of element e -> code 16 -> 0
        std::memcpy(b.data() + 2, &qh, 4);
        auto y = deq(DType::Q5_0, b);
        for (int k = 0; k < 32; ++k)
            ASSERT_EQ(y[k], k == e ? 0.0f : -16.0f) << k << " " << e;
        std::vector<uint8_t> c(22, 0x00);
        putHalf(c, 0, kHalfOne);
        c[6 + e % 16] = e < 16 ? 0x03 : 0x30; // code 3 -> -13
        auto z = deq(DType::Q5_0, c);
        for (int k = 0; k < 32; ++k)
            ASSERT_EQ(z[k], k == e ? -13.0f : -16.0f) << k << " " << e;
    }
}

TEST(Dequant, Q5_1EachHighBitAndNibble)
{
    for (int e = 0; e < 32; ++e) {
        std::vector<uint8_t> b(24, 0x00);
        putHalf(b, 0, kHalfHalf); // d = 0.5
        putHalf(b, 2, kHalfOne);  // m = 1
        const uint32_t qh = 1u << e;
        std::memcpy(b.data() + 4, &qh, 4);
        b[8 + e % 16] = e < 16 ? 0x01 : 0x10; // code 17 -> 8.5 + 1
        auto y = deq(DType::Q5_1, b);
        for (int k = 0; k < 32; ++k)
            ASSERT_EQ(y[k], k == e ? 9.5f : 1.0f) << k << " " << e;
    }
}

TEST(Dequant, Q8_0SignedCodes)
{
    std::vector<uint8_t> b(34);
    putHalf(b, 0, kHalfHalf);
    for (int j = 0; j < 32; ++j)
        b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
    auto y = deq(DType::Q8_0, b);
    for (int j = 0; j < 32; ++j)
        EXPECT_EQ(y[j], (j * 8 - 128) * 0.5f);
}

namespace {

// Packs 6-bit scales and mins of the eight Q4_K/Q5_K sub-blocks into the 12-byte layout.
void packScalesK4(uint8_t* S, const int sc[8], const int m[8])
{
    std::memset(S, 0, 12);
    for (int s = 0; s < 4; ++s) {
        S[s] = static_cast<uint8_t>((sc[s] & 63) | ((sc[s + 4] >> 4) << 6));
        S[s + 4] = static_cast<uint8_t>((m[s] & 63) | ((m[s + 4] >> 4) << 6));
        S[s + 8] = static_cast<uint8_t>((sc[s + 4] & 0xF) | ((m[s + 4] & 0xF) << 4));
    }
}

} // namespace

TEST(Dequant, Q4_KEachScaleSlotAndNibble)
{
    // Scales 1, 2, ... 63-ish and mins 0.., one per sub-block; every code 1: x = sc - m (d = dmin = 1).
    const int sc[8] = {1, 5, 17, 33, 40, 63, 2, 48};
    const int mn[8] = {0, 3, 16, 63, 1, 32, 47, 5};
    std::vector<uint8_t> b(144, 0);
    putHalf(b, 0, kHalfOne);
    putHalf(b, 2, kHalfOne);
    packScalesK4(b.data() + 4, sc, mn);
    for (int i = 0; i < 128; ++i)
        b[16 + i] = 0x11;
    auto y = deq(DType::Q4_K, b);
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(y[i], static_cast<float>(sc[i / 32] - mn[i / 32])) << i;
    // Each nibble: element 64c + l uses the low nibble of qs[32c + l], element 64c + 32 + l the high one.
    for (int e : {0, 31, 32, 63, 64, 100, 191, 200, 255}) {
        std::vector<uint8_t> c = b;
        for (int i = 0; i < 128; ++i)
            c[16 + i] = 0;
        const int chunk = e / 64, r = e % 64;
        c[16 + 32 * chunk + r % 32] = r < 32 ? 0x0F : 0xF0;
        auto z = deq(DType::Q4_K, c);
        for (int i = 0; i < 256; ++i)
            ASSERT_EQ(z[i], static_cast<float>((i == e ? 15 * sc[i / 32] : 0) - mn[i / 32])) << i << " " << e;
    }
}

TEST(Dequant, Q5_KEachHighBit)
{
    const int sc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const int mn[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int e = 0; e < 256; e += 7) {
        std::vector<uint8_t> b(176, 0);
        putHalf(b, 0, kHalfTwo);
        putHalf(b, 2, kHalfOne);
        packScalesK4(b.data() + 4, sc, mn);
        // Element 64c + l takes bit 2c of qh[l]; element 64c + 32 + l bit 2c + 1.
        const int chunk = e / 64, r = e % 64;
        b[16 + r % 32] = static_cast<uint8_t>(1u << (2 * chunk + (r >= 32)));
        auto y = deq(DType::Q5_K, b);
        for (int i = 0; i < 256; ++i)
            ASSERT_EQ(y[i], i == e ? 32.0f : 0.0f) << i << " " << e;
    }
}

TEST(Dequant, Q6_KEachScaleSlot)
{
    std::vector<uint8_t> b(210, 0);
    // Every q = 33 (q - 32 = 1): low nibble 1, high bits 2 in each 2-bit field.
    for (int i = 0; i < 128; ++i)
        b[i] = 0x11;
    for (int i = 0; i < 64; ++i)
        b[128 + i] = 0xAA;
    for (int k = 0; k < 16; ++k)
        b[192 + k] = static_cast<uint8_t>(static_cast<int8_t>(k % 2 ? -(k + 1) : k + 1));
    putHalf(b, 208, kHalfOne);
    auto y = deq(DType::Q6_K, b);
    // Hand table: element -> scale slot. Within each 128-half, quarter q (32 elements) of l < 16 uses slot
    // 2q, l ≥ 16 slot 2q + 1; the second half adds 8.
    const int elementToSlot[][2] = {{0, 0}, {15, 0}, {16, 1}, {31, 1}, {32, 2}, {48, 3}, {64, 4}, {80, 5},
                                    {96, 6}, {127, 7}, {128, 8}, {144, 9}, {160, 10}, {200, 12}, {240, 15}, {255, 15}};
    for (const auto& es : elementToSlot) {
        const int k = es[1];
        ASSERT_EQ(y[es[0]], static_cast<float>(k % 2 ? -(k + 1) : k + 1)) << "element " << es[0];
    }
    // Lowest and highest codes: q = 0 -> -32, q = 63 -> 31 with scale 1.
    std::vector<uint8_t> c(210, 0);
    for (int k = 0; k < 16; ++k)
        c[192 + k] = 1;
    putHalf(c, 208, kHalfOne);
    for (float v : deq(DType::Q6_K, c))
        ASSERT_EQ(v, -32.0f);
    std::fill(c.begin(), c.begin() + 192, 0xFF);
    for (float v : deq(DType::Q6_K, c))
        ASSERT_EQ(v, 31.0f);
}

TEST(Dequant, RandomBlocksMatchReferenceBitExactly)
{
    std::mt19937 rng(1234);
    const DType types[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                           DType::Q5_1, DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};
    for (DType t : types) {
        const DTypeInfo& info = dtypeInfo(t);
        for (int trial = 0; trial < 50; ++trial) {
            const uint64_t blocks = 1 + rng() % 4;
            std::vector<uint8_t> b(blocks * info.blockBytes);
            for (auto& x : b)
                x = static_cast<uint8_t>(rng());
            auto got = deq(t, b);
            auto want = refDequant(t, b.data(), blocks * info.blockElems);
            for (size_t i = 0; i < got.size(); ++i)
                ASSERT_TRUE(sameFloat(got[i], want[i])) << dtypeName(t) << " element " << i << ": " << got[i] << " vs " << want[i];
        }
    }
}

TEST(Dequant, RefusesIntegerTypesByName)
{
    std::vector<uint8_t> b(4);
    float out[4];
    try {
        dequantize(DType::I32, b.data(), out, 1);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("I32"), std::string::npos);
    }
    EXPECT_THROW(dequantize(DType::Q4_0, b.data(), out, 3), Error);
}

TEST(DType, TablesAreConsistent)
{
    for (uint32_t id = 0; id < 64; ++id) {
        DType t;
        if (dtypeFromGgml(id, t)) {
            uint32_t back = 999;
            ASSERT_TRUE(ggmlFromDtype(t, back));
            EXPECT_EQ(back, id);
            EXPECT_STREQ(ggmlTypeName(id), dtypeName(t));
        }
    }
    DType t;
    EXPECT_FALSE(dtypeFromGgml(10, t));
    EXPECT_STREQ(ggmlTypeName(10), "Q2_K");
    EXPECT_STREQ(ggmlTypeName(39), "MXFP4");
    EXPECT_STREQ(ggmlTypeName(1000), "unknown");
    uint32_t none = 0;
    EXPECT_FALSE(ggmlFromDtype(DType::U8, none)); // ggml has no unsigned types
    ASSERT_TRUE(dtypeFromSafetensors("BF16", t));
    EXPECT_EQ(t, DType::BF16);
    EXPECT_FALSE(dtypeFromSafetensors("F8_E4M3", t));
    EXPECT_EQ(safetensorsName(DType::Q4_0), nullptr);
    uint64_t bytes = 0;
    EXPECT_TRUE(bytesForElements(DType::Q4_K, 512, bytes));
    EXPECT_EQ(bytes, 288u);
    EXPECT_FALSE(bytesForElements(DType::Q4_K, 100, bytes));
    EXPECT_FALSE(bytesForElements(DType::F64, 1ull << 62, bytes));
}
