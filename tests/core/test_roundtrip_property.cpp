// Property tests (docs/SECURITY.md): ≥ 10,000 random bounded files per format go writer → reader
// unchanged, and random byte mutations of valid files either parse with every tensor inside the file
// (every byte is touched and dequantised) or throw attnscope::Error — never crash. Fixed seeds.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/gguf_reader.h"
#include "core/formats/safetensors_reader.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "support/gguf_writer.h"
#include "support/safetensors_writer.h"

#include <gtest/gtest.h>
#include <algorithm>
#include <random>

using namespace attnscope;
using namespace attnscope::test;

namespace {

constexpr int kRoundTrips = 10000;
constexpr int kMutations = 20000;

const DType kGgufTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8, DType::I16, DType::I32,
                            DType::I64, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                            DType::Q4_K, DType::Q5_K, DType::Q6_K};
const DType kStTypes[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8, DType::I16, DType::I32,
                          DType::I64, DType::U8, DType::U16, DType::U32, DType::U64, DType::Bool};

struct ExpectedTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
};

struct Generated {
    std::vector<uint8_t> bytes;
    std::vector<ExpectedTensor> tensors;
    std::vector<std::pair<std::string, MetaValue>> meta;
};

std::vector<uint8_t> randomBytes(std::mt19937_64& rng, size_t n)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b)
        x = static_cast<uint8_t>(rng());
    return b;
}

std::string randomString(std::mt19937_64& rng, size_t maxLen)
{
    std::string s(rng() % (maxLen + 1), ' ');
    for (char& c : s)
        c = static_cast<char>('a' + rng() % 26);
    return s;
}

void addRandomKv(GgufBuilder& g, std::mt19937_64& rng, const std::string& key, MetaValue& mv)
{
    const uint32_t type = static_cast<uint32_t>(rng() % 13);
    const uint64_t r = rng();
    mv = MetaValue();
    mv.ggufType = type;
    switch (type) {
    case 0: g.u8(key, uint8_t(r)); mv.type = MetaValue::Type::UInt; mv.u = uint8_t(r); break;
    case 1: g.i8(key, int8_t(r)); mv.type = MetaValue::Type::Int; mv.i = int8_t(r); break;
    case 2: g.u16(key, uint16_t(r)); mv.type = MetaValue::Type::UInt; mv.u = uint16_t(r); break;
    case 3: g.i16(key, int16_t(r)); mv.type = MetaValue::Type::Int; mv.i = int16_t(r); break;
    case 4: g.u32(key, uint32_t(r)); mv.type = MetaValue::Type::UInt; mv.u = uint32_t(r); break;
    case 5: g.i32(key, int32_t(r)); mv.type = MetaValue::Type::Int; mv.i = int32_t(r); break;
    case 6: g.f32(key, float(int32_t(r)) / 64); mv.type = MetaValue::Type::Float; mv.f = float(int32_t(r)) / 64; break;
    case 7: g.boolean(key, r & 1); mv.type = MetaValue::Type::Bool; mv.b = r & 1; break;
    case 8: mv.s = randomString(rng, 12); g.str(key, mv.s); mv.type = MetaValue::Type::String; break;
    case 9: {
        const size_t n = rng() % 6;
        if (rng() & 1) {
            mv.type = MetaValue::Type::ArrayString;
            mv.ggufType = 8;
            for (size_t k = 0; k < n; ++k)
                mv.as.push_back(randomString(rng, 6));
            g.strArray(key, mv.as);
        } else {
            mv.type = MetaValue::Type::ArrayInt;
            mv.ggufType = 5;
            std::vector<int32_t> v;
            for (size_t k = 0; k < n; ++k) {
                v.push_back(int32_t(rng()));
                mv.ai.push_back(v.back());
            }
            g.array<int32_t>(key, 5, v);
        }
        break;
    }
    case 10: g.u64(key, r); mv.type = MetaValue::Type::UInt; mv.u = r; break;
    case 11: g.i64(key, int64_t(r)); mv.type = MetaValue::Type::Int; mv.i = int64_t(r); break;
    default: g.f64(key, double(int64_t(r)) / 3); mv.type = MetaValue::Type::Float; mv.f = double(int64_t(r)) / 3; break;
    }
}

Generated randomGguf(std::mt19937_64& rng)
{
    Generated out;
    GgufBuilder g;
    const uint64_t aligns[] = {32, 1, 8, 64, 256};
    const uint64_t align = aligns[rng() % 5];
    g.alignment = align;
    if (align != 32 || rng() % 2)
        g.u32("general.alignment", static_cast<uint32_t>(align));
    const int nKv = static_cast<int>(rng() % 6);
    for (int k = 0; k < nKv; ++k) {
        MetaValue mv;
        const std::string key = "k" + std::to_string(k) + "." + randomString(rng, 5);
        addRandomKv(g, rng, key, mv);
        out.meta.emplace_back(key, mv);
    }
    const int nT = static_cast<int>(rng() % 9);
    for (int t = 0; t < nT; ++t) {
        ExpectedTensor e;
        e.name = "blk." + std::to_string(t) + "." + randomString(rng, 8);
        e.dtype = kGgufTypes[rng() % std::size(kGgufTypes)];
        const DTypeInfo& info = dtypeInfo(e.dtype);
        const int rank = 1 + static_cast<int>(rng() % 4);
        std::vector<uint64_t> ne(rank);
        // dims ≤ 8, except that a block type's rows hold 0..2 whole blocks.
        ne[0] = info.blockElems > 1 ? info.blockElems * (rng() % 3) : rng() % 9;
        for (int d = 1; d < rank; ++d)
            ne[d] = rng() % 9;
        uint64_t elems = 1;
        for (uint64_t d : ne)
            elems *= d;
        e.data = randomBytes(rng, elems / info.blockElems * info.blockBytes);
        for (int d = rank; d-- > 0;)
            e.shape.push_back(static_cast<int64_t>(ne[d]));
        uint32_t id = 0;
        ggmlFromDtype(e.dtype, id);
        g.tensor(e.name, ne, id, e.data);
        out.tensors.push_back(std::move(e));
    }
    g.padLastTensor = rng() % 2;
    out.bytes = g.build();
    return out;
}

Generated randomSafetensors(std::mt19937_64& rng)
{
    Generated out;
    SafetensorsBuilder b;
    const int nMeta = static_cast<int>(rng() % 4);
    for (int k = 0; k < nMeta; ++k) {
        MetaValue mv;
        mv.type = MetaValue::Type::String;
        mv.s = randomString(rng, 10);
        const std::string key = "m" + std::to_string(k);
        b.metadata.emplace_back(key, mv.s);
        out.meta.emplace_back(key, mv);
    }
    b.writeMetadata = rng() % 2;
    b.padHeaderTo = rng() % 2 ? 8 : 1;
    const int nT = static_cast<int>(rng() % 9);
    for (int t = 0; t < nT; ++t) {
        ExpectedTensor e;
        e.name = randomString(rng, 3) + "." + std::to_string(t);
        e.dtype = kStTypes[rng() % std::size(kStTypes)];
        const int rank = static_cast<int>(rng() % 5);
        uint64_t elems = 1;
        for (int d = 0; d < rank; ++d) {
            e.shape.push_back(static_cast<int64_t>(rng() % 9));
            elems *= static_cast<uint64_t>(e.shape.back());
        }
        e.data = randomBytes(rng, elems * dtypeInfo(e.dtype).blockBytes);
        b.tensor(e.name, safetensorsName(e.dtype), e.shape, e.data);
        out.tensors.push_back(std::move(e));
    }
    out.bytes = b.build();
    return out;
}

void expectSameMeta(const MetaValue& got, const MetaValue& want, const std::string& key)
{
    ASSERT_EQ(got.type, want.type) << key;
    switch (want.type) {
    case MetaValue::Type::UInt: ASSERT_EQ(got.u, want.u) << key; break;
    case MetaValue::Type::Int: ASSERT_EQ(got.i, want.i) << key; break;
    case MetaValue::Type::Float: ASSERT_EQ(got.f, want.f) << key; break;
    case MetaValue::Type::Bool: ASSERT_EQ(got.b, want.b) << key; break;
    case MetaValue::Type::String: ASSERT_EQ(got.s, want.s) << key; break;
    case MetaValue::Type::ArrayInt: ASSERT_EQ(got.ai, want.ai) << key; break;
    case MetaValue::Type::ArrayString: ASSERT_EQ(got.as, want.as) << key; break;
    default: FAIL() << "unexpected type";
    }
}

void expectIdentity(const Checkpoint& ck, const Generated& g, std::vector<ExpectedTensor> want)
{
    // safetensors lists tensors in buffer order, GGUF in file order: both are the writer's order.
    ASSERT_EQ(ck.tensors.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        const TensorInfo& t = ck.tensors[i];
        ASSERT_EQ(t.name, want[i].name);
        ASSERT_EQ(t.dtype, want[i].dtype);
        ASSERT_EQ(t.shape, want[i].shape);
        ASSERT_EQ(t.nbytes, want[i].data.size());
        ASSERT_EQ(ck.find(t.name), &t);
        ASSERT_TRUE(t.nbytes == 0 || std::memcmp(ck.data(t), want[i].data.data(), t.nbytes) == 0) << t.name;
    }
    size_t expectedMeta = g.meta.size();
    for (const auto& [key, mv] : g.meta) {
        const MetaValue* got = ck.meta(key);
        ASSERT_NE(got, nullptr) << key;
        expectSameMeta(*got, mv, key);
    }
    if (ck.meta("general.alignment") && !std::any_of(g.meta.begin(), g.meta.end(), [](auto& p) { return p.first == "general.alignment"; }))
        ++expectedMeta;
    ASSERT_EQ(ck.metadata.size(), expectedMeta);
}

// Reads every byte of every tensor and dequantises the convertible ones: with in-memory files of exact
// size, any extent the reader let through outside the file is caught by ASan.
uint64_t touchEverything(const Checkpoint& ck)
{
    uint64_t sum = 0;
    std::vector<float> buf;
    for (const TensorInfo& t : ck.tensors) {
        const uint8_t* p = ck.data(t);
        for (uint64_t k = 0; k < t.nbytes; ++k)
            sum += p[k];
        if (dtypeInfo(t.dtype).dequantizable && t.elementCount() <= (1u << 20)) {
            buf.resize(t.elementCount());
            dequantizeRows(ck, t, 0, t.rows(), buf.data());
            for (float f : buf)
                sum += f == f;
        }
    }
    return sum;
}

std::vector<uint8_t> mutate(std::vector<uint8_t> b, std::mt19937_64& rng)
{
    const int kind = static_cast<int>(rng() % 4);
    if (b.empty())
        return b;
    if (kind == 0) {
        b.resize(rng() % b.size());
    } else if (kind == 1 && b.size() >= 8) {
        // Overwrite an aligned 8-byte field with an extreme value: counts, lengths, dims, offsets.
        const uint64_t extremes[] = {0, 1, ~0ull, 1ull << 63, (1ull << 42) + 1, 0x7FFFFFFFFFFFFFC0ull, 33, 64};
        const uint64_t v = extremes[rng() % std::size(extremes)];
        const size_t at = (rng() % (b.size() / 8)) * 8;
        std::memcpy(b.data() + at, &v, 8);
    } else {
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k)
            b[rng() % b.size()] = static_cast<uint8_t>(rng());
    }
    return b;
}

} // namespace

TEST(RoundTripProperty, GgufWriterReaderIdentity)
{
    std::mt19937_64 rng(20240601);
    for (int i = 0; i < kRoundTrips; ++i) {
        const Generated g = randomGguf(rng);
        std::shared_ptr<Checkpoint> ck;
        try {
            ck = readGguf(MappedFile::fromBytes("rt.gguf", g.bytes));
        } catch (const Error& e) {
            FAIL() << "file " << i << ": " << e.what();
        }
        expectIdentity(*ck, g, g.tensors);
        if (HasFatalFailure())
            FAIL() << "file " << i;
        touchEverything(*ck);
    }
}

TEST(RoundTripProperty, SafetensorsWriterReaderIdentity)
{
    std::mt19937_64 rng(777);
    for (int i = 0; i < kRoundTrips; ++i) {
        const Generated g = randomSafetensors(rng);
        std::shared_ptr<Checkpoint> ck;
        try {
            ck = readSafetensors(MappedFile::fromBytes("rt.safetensors", g.bytes));
        } catch (const Error& e) {
            FAIL() << "file " << i << ": " << e.what();
        }
        // Zero-byte tensors share their begin with a neighbour; the reader orders by (begin, end), so
        // compare as the reader orders: stable by begin offset with empty ones first at equal begins.
        std::vector<std::pair<std::pair<uint64_t, uint64_t>, size_t>> order;
        uint64_t off = 0;
        for (size_t k = 0; k < g.tensors.size(); ++k) {
            order.push_back({{off, off + g.tensors[k].data.size()}, k});
            off += g.tensors[k].data.size();
        }
        std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first < b.first; });
        // Ties (several empty tensors at one offset) are ordered by name inside the header (std::map order).
        std::vector<ExpectedTensor> want;
        for (auto& o : order)
            want.push_back(g.tensors[o.second]);
        for (size_t a = 0; a < want.size();) {
            size_t e = a + 1;
            while (e < want.size() && want[e].data.empty() && want[a].data.empty() && order[e].first == order[a].first)
                ++e;
            std::sort(want.begin() + a, want.begin() + e, [](auto& x, auto& y) { return x.name < y.name; });
            a = e;
        }
        expectIdentity(*ck, g, want);
        if (HasFatalFailure())
            FAIL() << "file " << i;
        touchEverything(*ck);
    }
}

/// Random byte mutations of valid files either parse — and then every tensor lies inside the file and can be
/// touched — or are refused with a reason; nothing else (no crash, no out-of-bounds read under ASan).
template <typename MakeFile, typename Read>
void expectMutationsNeverCrash(uint64_t seed, const char* name, MakeFile makeFile, Read read)
{
    std::mt19937_64 rng(seed);
    int parsed = 0, refused = 0;
    for (int i = 0; i < kMutations; ++i) {
        const auto bytes = mutate(makeFile(rng).bytes, rng);
        try {
            auto ck = read(MappedFile::fromBytes(name, bytes));
            for (const TensorInfo& t : ck->tensors)
                ASSERT_LE(t.fileOffset + t.nbytes, bytes.size());
            touchEverything(*ck);
            ++parsed;
        } catch (const Error& e) {
            ASSERT_FALSE(e.reason().empty());
            ++refused;
        }
    }
    EXPECT_GT(parsed, 0);
    EXPECT_GT(refused, 0);
}

TEST(RoundTripProperty, MutatedGgufNeverCrashes)
{
    expectMutationsNeverCrash(99, "mut.gguf", [](auto& rng) { return randomGguf(rng); },
                              [](auto file) { return readGguf(file); });
}

TEST(RoundTripProperty, MutatedSafetensorsNeverCrashes)
{
    expectMutationsNeverCrash(4242, "mut.safetensors", [](auto& rng) { return randomSafetensors(rng); },
                              [](auto file) { return readSafetensors(file); });
}
