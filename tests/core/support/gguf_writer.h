// Test-side GGUF writer: builds files in memory with full control over every header field, so that tests
// can produce valid files of every value and tensor type as well as deliberately broken ones.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::test {

class Bytes {
public:
    std::vector<uint8_t> data;
    template <typename T>
    void put(T v)
    {
        uint8_t b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        data.insert(data.end(), b, b + sizeof(T));
    }
    void putRaw(const void* p, size_t n)
    {
        const auto* b = static_cast<const uint8_t*>(p);
        data.insert(data.end(), b, b + n);
    }
    void putString(const std::string& s)
    {
        put<uint64_t>(s.size());
        putRaw(s.data(), s.size());
    }
    size_t size() const { return data.size(); }
};

struct GgufKv {
    std::string key;
    uint32_t type = 0;
    std::vector<uint8_t> payload; // the value bytes exactly as they follow the type id
    std::optional<uint64_t> keyLengthOverride;
};

struct GgufTensor {
    std::string name;
    std::vector<uint64_t> ne;   // ggml order: ne[0] innermost
    uint32_t ggmlType = 0;
    std::vector<uint8_t> data;  // the tensor's bytes
    std::optional<uint64_t> offsetOverride;
    std::optional<uint32_t> nDimsOverride;
    std::optional<uint64_t> nameLengthOverride;
};

/// Builds a GGUF file. Defaults produce a valid v3 file; every override makes a specific defect.
class GgufBuilder {
public:
    uint32_t version = 3;
    std::string magic = "GGUF";
    uint64_t alignment = 32;                 // used for layout; add a general.alignment KV to declare it
    std::optional<uint64_t> tensorCountOverride, kvCountOverride;
    std::vector<GgufKv> kvs;
    std::vector<GgufTensor> tensors;
    bool padLastTensor = true;               // pad the data section to the alignment after the last tensor

    template <typename T>
    GgufBuilder& scalar(const std::string& key, uint32_t type, T v)
    {
        Bytes b;
        b.put<T>(v);
        kvs.push_back({key, type, b.data, {}});
        return *this;
    }
    GgufBuilder& u8(const std::string& k, uint8_t v) { return scalar(k, 0, v); }
    GgufBuilder& i8(const std::string& k, int8_t v) { return scalar(k, 1, v); }
    GgufBuilder& u16(const std::string& k, uint16_t v) { return scalar(k, 2, v); }
    GgufBuilder& i16(const std::string& k, int16_t v) { return scalar(k, 3, v); }
    GgufBuilder& u32(const std::string& k, uint32_t v) { return scalar(k, 4, v); }
    GgufBuilder& i32(const std::string& k, int32_t v) { return scalar(k, 5, v); }
    GgufBuilder& f32(const std::string& k, float v) { return scalar(k, 6, v); }
    GgufBuilder& boolean(const std::string& k, bool v) { return scalar(k, 7, static_cast<uint8_t>(v)); }
    GgufBuilder& u64(const std::string& k, uint64_t v) { return scalar(k, 10, v); }
    GgufBuilder& i64(const std::string& k, int64_t v) { return scalar(k, 11, v); }
    GgufBuilder& f64(const std::string& k, double v) { return scalar(k, 12, v); }
    GgufBuilder& str(const std::string& k, const std::string& v)
    {
        Bytes b;
        b.putString(v);
        kvs.push_back({k, 8, b.data, {}});
        return *this;
    }
    template <typename T>
    GgufBuilder& array(const std::string& k, uint32_t elemType, const std::vector<T>& v)
    {
        Bytes b;
        b.put<uint32_t>(elemType);
        b.put<uint64_t>(v.size());
        for (const T& x : v)
            b.put<T>(x);
        kvs.push_back({k, 9, b.data, {}});
        return *this;
    }
    GgufBuilder& strArray(const std::string& k, const std::vector<std::string>& v)
    {
        Bytes b;
        b.put<uint32_t>(8);
        b.put<uint64_t>(v.size());
        for (const auto& s : v)
            b.putString(s);
        kvs.push_back({k, 9, b.data, {}});
        return *this;
    }
    GgufBuilder& raw(const std::string& k, uint32_t type, std::vector<uint8_t> payload)
    {
        kvs.push_back({k, type, std::move(payload), {}});
        return *this;
    }
    GgufBuilder& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t ggmlType, std::vector<uint8_t> data)
    {
        tensors.push_back({name, std::move(ne), ggmlType, std::move(data), {}, {}, {}});
        return *this;
    }

    static uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

    /// Byte offset where tensor i's info starts, valid after build().
    std::vector<size_t> tensorInfoAt;
    size_t dataStart = 0;

    std::vector<uint8_t> build()
    {
        Bytes b;
        b.putRaw(magic.data(), magic.size());
        b.put<uint32_t>(version);
        b.put<uint64_t>(tensorCountOverride.value_or(tensors.size()));
        b.put<uint64_t>(kvCountOverride.value_or(kvs.size()));
        for (const GgufKv& kv : kvs) {
            b.put<uint64_t>(kv.keyLengthOverride.value_or(kv.key.size()));
            b.putRaw(kv.key.data(), kv.key.size());
            b.put<uint32_t>(kv.type);
            b.putRaw(kv.payload.data(), kv.payload.size());
        }
        std::vector<uint64_t> offsets;
        uint64_t off = 0;
        for (const GgufTensor& t : tensors) {
            offsets.push_back(off);
            off = alignUp(off + t.data.size(), alignment);
        }
        tensorInfoAt.clear();
        for (size_t i = 0; i < tensors.size(); ++i) {
            const GgufTensor& t = tensors[i];
            tensorInfoAt.push_back(b.size());
            b.put<uint64_t>(t.nameLengthOverride.value_or(t.name.size()));
            b.putRaw(t.name.data(), t.name.size());
            b.put<uint32_t>(t.nDimsOverride.value_or(static_cast<uint32_t>(t.ne.size())));
            for (uint64_t d : t.ne)
                b.put<uint64_t>(d);
            b.put<uint32_t>(t.ggmlType);
            b.put<uint64_t>(t.offsetOverride.value_or(offsets[i]));
        }
        dataStart = alignUp(b.size(), alignment);
        if (!tensors.empty())
            b.data.resize(dataStart, 0);
        for (size_t i = 0; i < tensors.size(); ++i) {
            b.data.resize(dataStart + offsets[i], 0);
            b.putRaw(tensors[i].data.data(), tensors[i].data.size());
        }
        if (padLastTensor && !tensors.empty())
            b.data.resize(alignUp(b.size(), alignment), 0);
        return std::move(b.data);
    }
};

} // namespace attnscope::test
