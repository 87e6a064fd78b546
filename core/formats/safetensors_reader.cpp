// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/safetensors_reader.h"
#include "core/formats/json_strict.h"
#include "core/util/checked.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

namespace attnscope {

namespace {

using json = nlohmann::json;

// Bits per element of every dtype string the format defines (safetensors README), readable or not, so that the
// size and tiling rules are checked for all of them before we refuse the unreadable ones.
struct StDtype {
    const char* name;
    uint32_t bits;
};
constexpr StDtype kStDtypes[] = {
    {"BOOL", 8}, {"U8", 8},   {"I8", 8},   {"I16", 16}, {"U16", 16}, {"F16", 16}, {"BF16", 16},
    {"I32", 32}, {"U32", 32}, {"F32", 32}, {"C64", 64}, {"F64", 64}, {"I64", 64}, {"U64", 64},
    {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
    {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

uint32_t dtypeBits(const std::string& s)
{
    for (const StDtype& d : kStDtypes)
        if (s == d.name)
            return d.bits;
    return 0;
}

struct Entry {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0, nbytes = 0;
};

uint64_t readOffset(const json& v, const std::string& file, const std::string& field, int64_t at)
{
    if (!v.is_number_unsigned())
        throw Error::format(file, field, at, v.is_number_integer() ? "negative value" : "not a non-negative integer");
    return v.get<uint64_t>();
}

} // namespace

void appendSafetensorsFile(Checkpoint& ckpt, const std::shared_ptr<const MappedFile>& file, uint32_t fileIndex)
{
    const std::string& path = file->path();
    const uint64_t size = file->size();
    if (size < 8)
        throw Error::format(path, "header length", 0, "file of " + std::to_string(size) +
                                                          " bytes is too small to be safetensors (needs an 8-byte header length)");
    uint64_t n = 0;
    std::memcpy(&n, file->data(), 8);
    uint64_t headerEnd = 0;
    if (!checkedAdd(8, n, headerEnd))
        throw Error::format(path, "header length", 0, "header length " + std::to_string(n) + " overflows 8 + N");
    if (n > kSafetensorsMaxHeader)
        throw Error::format(path, "header length", 0, "header length " + std::to_string(n) + " exceeds the cap of " +
                                                          std::to_string(kSafetensorsMaxHeader) + " bytes");
    if (headerEnd > size)
        throw Error::format(path, "header length", 0, "header length " + std::to_string(n) +
                                                          " extends past the end of the file (" + std::to_string(size) + " bytes)");
    std::string_view header(reinterpret_cast<const char*>(file->data() + 8), static_cast<size_t>(n));
    if (header.empty() || header[0] != '{')
        throw Error::format(path, "header", 8, "header does not start with '{'");
    const json doc = parseJsonStrict(header, path, "header", 8);
    if (!doc.is_object())
        throw Error::format(path, "header", 8, "header is not a JSON object");

    std::vector<Entry> entries;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string& key = it.key();
        const json& v = it.value();
        if (key == "__metadata__") {
            if (!v.is_object())
                throw Error::format(path, "__metadata__", 8, "__metadata__ is not an object of strings");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    throw Error::format(path, "__metadata__." + shortened(m.key(), kMaxQuotedBytes), 8,
                                        "__metadata__ value is not a string");
                MetaValue mv;
                mv.type = MetaValue::Type::String;
                mv.ggufType = 8;
                mv.s = m.value().get<std::string>();
                ckpt.metadata.emplace(m.key(), std::move(mv));
            }
            continue;
        }
        const std::string field = "tensor " + quotedValue(key);
        if (key.empty())
            throw Error::format(path, "header", 8, "empty tensor name");
        if (!v.is_object())
            throw Error::format(path, field, 8, "tensor entry is not an object");
        for (auto f = v.begin(); f != v.end(); ++f)
            if (f.key() != "dtype" && f.key() != "shape" && f.key() != "data_offsets")
                throw Error::format(path, field, 8, "unexpected field " + quotedValue(f.key()));
        if (!v.contains("dtype") || !v["dtype"].is_string())
            throw Error::format(path, field + ".dtype", 8, "missing or not a string");
        if (!v.contains("shape") || !v["shape"].is_array())
            throw Error::format(path, field + ".shape", 8, "missing or not an array");
        if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
            throw Error::format(path, field + ".data_offsets", 8, "missing or not an array of two integers");
        Entry e;
        e.name = key;
        e.dtype = v["dtype"].get<std::string>();
        const uint32_t bits = dtypeBits(e.dtype);
        if (bits == 0)
            throw Error::format(path, field + ".dtype", 8, "unknown dtype " + quotedValue(e.dtype) + " for tensor " + quotedValue(key));
        const json& shape = v["shape"];
        if (shape.size() > kSafetensorsMaxRank)
            throw Error::format(path, field + ".shape", 8, "rank " + std::to_string(shape.size()) + " exceeds the cap of " +
                                                               std::to_string(kSafetensorsMaxRank));
        uint64_t elements = 1;
        for (const json& d : shape) {
            const uint64_t dim = readOffset(d, path, field + ".shape", 8);
            if (!checkedMul(elements, dim, elements))
                throw Error::format(path, field + ".shape", 8, "element count overflows 64 bits");
            e.shape.push_back(0);
            if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                throw Error::format(path, field + ".shape", 8, "dimension is 2^63 or more");
            e.shape.back() = static_cast<int64_t>(dim);
        }
        if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throw Error::format(path, field + ".shape", 8, "element count is 2^63 or more");
        uint64_t nbits = 0;
        if (!checkedMul(elements, bits, nbits))
            throw Error::format(path, field + ".shape", 8, "bit count overflows 64 bits");
        if (nbits % 8 != 0)
            throw Error::format(path, field + ".shape", 8, std::to_string(elements) + " " + e.dtype +
                                                               " elements are not a whole number of bytes");
        e.nbytes = nbits / 8;
        e.begin = readOffset(v["data_offsets"][0], path, field + ".data_offsets", 8);
        e.end = readOffset(v["data_offsets"][1], path, field + ".data_offsets", 8);
        if (e.begin > e.end)
            throw Error::format(path, field + ".data_offsets", 8, "begin " + std::to_string(e.begin) + " > end " +
                                                                      std::to_string(e.end));
        if (e.end - e.begin != e.nbytes)
            throw Error::format(path, field + ".data_offsets", 8, "extent of " + std::to_string(e.end - e.begin) +
                                                                      " bytes does not match the " + std::to_string(e.nbytes) +
                                                                      " bytes of its dtype and shape");
        entries.push_back(std::move(e));
    }

    // Exact tiling of the buffer: sorted by begin, each tensor starts where the previous ended.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    for (const Entry& e : entries) {
        const std::string field = "tensor " + quotedValue(e.name) + ".data_offsets";
        if (e.begin > expected)
            throw Error::format(path, field, static_cast<int64_t>(headerEnd), "gap of " + std::to_string(e.begin - expected) +
                                                                                  " bytes before this tensor in the data buffer");
        if (e.begin < expected)
            throw Error::format(path, field, static_cast<int64_t>(headerEnd), "overlaps the previous tensor in the data buffer");
        expected = e.end;
    }
    const uint64_t bufferSize = size - headerEnd;
    if (expected < bufferSize)
        throw Error::format(path, "data", static_cast<int64_t>(headerEnd + expected),
                            std::to_string(bufferSize - expected) + " trailing bytes after the last tensor");
    if (expected > bufferSize)
        throw Error::format(path, "data", static_cast<int64_t>(size), "tensors need " + std::to_string(expected) +
                                                                          " bytes of data but the file holds " +
                                                                          std::to_string(bufferSize) + " (file truncated?)");

    for (const Entry& e : entries) {
        TensorInfo t;
        if (!dtypeFromSafetensors(e.dtype, t.dtype))
            throw Error(ErrorKind::Unsupported, path, "tensor " + quotedValue(e.name) + ".dtype", 8,
                        "unsupported dtype " + e.dtype + " for tensor " + shortened(e.name, kMaxQuotedBytes));
        t.name = e.name;
        t.shape = e.shape;
        t.fileIndex = fileIndex;
        t.fileOffset = headerEnd + e.begin;
        t.nbytes = e.nbytes;
        ckpt.tensors.push_back(std::move(t));
    }
}

std::shared_ptr<Checkpoint> readSafetensors(std::shared_ptr<const MappedFile> file)
{
    auto ck = std::make_shared<Checkpoint>();
    ck->format = CheckpointFormat::Safetensors;
    ck->path = file->path();
    ck->totalBytes = file->size();
    ck->files.push_back(file);
    appendSafetensorsFile(*ck, file, 0);
    ck->buildIndex();
    return ck;
}

std::shared_ptr<Checkpoint> readSafetensorsIndex(const std::string& indexPath)
{
    namespace fs = std::filesystem;
    const fs::path p(indexPath);
    return readSafetensorsIndex(*diskFolder(p.parent_path().string()), p.filename().string());
}

std::shared_ptr<Checkpoint> readSafetensorsIndex(const ModelFolder& folder, const std::string& indexName)
{
    auto index = folder.open(indexName);
    const std::string& indexPath = index->path();
    if (index->size() > kMaxJsonBytes)
        throw Error::format(indexPath, "", -1, "index file of " + std::to_string(index->size()) + " bytes exceeds the 64 MiB cap");
    const json doc = parseJsonStrict(
        std::string_view(reinterpret_cast<const char*>(index->data()), static_cast<size_t>(index->size())), indexPath, "index");
    if (!doc.is_object() || !doc.contains("weight_map") || !doc["weight_map"].is_object())
        throw Error::format(indexPath, "weight_map", -1, "index has no weight_map object");

    std::map<std::string, std::string> tensorToShard;
    std::vector<std::string> shards; // in order of first appearance
    std::set<std::string> shardSet;
    for (auto it = doc["weight_map"].begin(); it != doc["weight_map"].end(); ++it) {
        const std::string field = "weight_map." + shortened(it.key(), kMaxQuotedBytes);
        if (!it.value().is_string())
            throw Error::format(indexPath, field, -1, "shard name is not a string");
        const std::string shard = it.value().get<std::string>();
        if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos ||
            shard.find("..") != std::string::npos || shard.find('\0') != std::string::npos)
            throw Error::format(indexPath, field, -1, "shard name " + quotedValue(shard) +
                                                          " must be a plain file name in the index's folder (no path separators or '..')");
        tensorToShard.emplace(it.key(), shard); // JSON keys are unique (strict parser): one shard per tensor
        if (shardSet.insert(shard).second)
            shards.push_back(shard);
        if (shards.size() > kSafetensorsMaxShards)
            throw Error::format(indexPath, "weight_map", -1, "more than " + std::to_string(kSafetensorsMaxShards) +
                                                                 " shards (the cap)");
    }
    if (shards.empty())
        throw Error::format(indexPath, "weight_map", -1, "weight_map is empty: the index names no tensors");

    auto ck = std::make_shared<Checkpoint>();
    ck->format = CheckpointFormat::Safetensors;
    ck->path = indexPath;
    ck->totalBytes = index->size();
    for (const std::string& shard : shards) {
        auto f = folder.open(shard);
        const auto fileIndex = static_cast<uint32_t>(ck->files.size());
        ck->files.push_back(f);
        ck->totalBytes += f->size();
        const size_t before = ck->tensors.size();
        appendSafetensorsFile(*ck, f, fileIndex);
        for (size_t i = before; i < ck->tensors.size(); ++i) {
            const std::string& name = ck->tensors[i].name;
            auto it = tensorToShard.find(name);
            if (it == tensorToShard.end())
                throw Error::format(f->path(), "tensor " + quotedValue(name), -1, "tensor is not listed in the index " + indexPath);
            if (it->second != shard)
                throw Error::format(f->path(), "tensor " + quotedValue(name), -1, "the index places this tensor in shard " +
                                                                                      quotedValue(it->second));
        }
    }
    // Every listed tensor must be present in its shard; duplicates across shards were caught above.
    std::set<std::string> present;
    for (const TensorInfo& t : ck->tensors)
        present.insert(t.name);
    for (const auto& [name, shard] : tensorToShard)
        if (!present.count(name))
            throw Error::format(indexPath, "weight_map." + shortened(name, kMaxQuotedBytes), -1,
                                "tensor " + quotedValue(name) + " is missing from shard " + quotedValue(shard));
    ck->buildIndex();
    return ck;
}

} // namespace attnscope
