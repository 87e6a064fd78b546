// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/formats/gguf_reader.h"
#include "core/formats/hf_folder.h"
#include "core/formats/safetensors_reader.h"
#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

namespace attnscope {

const char* checkpointFormatName(CheckpointFormat f)
{
    switch (f) {
    case CheckpointFormat::Gguf: return "GGUF";
    case CheckpointFormat::Safetensors: return "safetensors";
    case CheckpointFormat::HfFolder: return "Hugging Face folder";
    }
    return "unknown";
}

size_t MetaValue::arraySize() const
{
    switch (type) {
    case Type::ArrayUInt: case Type::ArrayBool: return au.size();
    case Type::ArrayInt: return ai.size();
    case Type::ArrayFloat: return af.size();
    case Type::ArrayString: return as.size();
    default: return 0;
    }
}

uint64_t TensorInfo::elementCount() const
{
    uint64_t n = 1;
    for (int64_t d : shape)
        n *= static_cast<uint64_t>(d); // readers rejected shapes whose product overflows
    return n;
}

int64_t TensorInfo::rows() const
{
    // An empty tensor has no rows. Checked first because the readers bound the product of *all* dims,
    // and with a zero among them the product of the leading dims alone may not fit (GGUF ne = [0, 2^62, 2^62]).
    for (int64_t d : shape)
        if (d == 0)
            return 0;
    int64_t r = 1;
    for (size_t i = 0; i + 1 < shape.size(); ++i)
        r *= shape[i];
    return r;
}

int64_t TensorInfo::rowLength() const { return shape.empty() ? 1 : shape.back(); }

const TensorInfo* Checkpoint::find(const std::string& name) const
{
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &tensors[it->second];
}

const MetaValue* Checkpoint::meta(const std::string& key) const
{
    auto it = metadata.find(key);
    return it == metadata.end() ? nullptr : &it->second;
}

void Checkpoint::buildIndex()
{
    m_index.clear();
    m_index.reserve(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i)
        m_index.emplace(tensors[i].name, i);
}

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool endsWith(const std::string& s, const char* suffix)
{
    const size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Zip (PyTorch ≥ 1.6), a pickle PROTO opcode (0x80, protocol 2..5), or the legacy torch magic number
// pickled as a protocol-2 long: never parsed, only recognised so that we can refuse them by content too.
bool looksLikePickleOrZip(const MappedFile& f)
{
    const uint8_t* p = f.data();
    if (f.size() >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
        return true;
    if (f.size() >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
        return true;
    return false;
}

[[noreturn]] void refusePickle(const std::string& path)
{
    throw Error(ErrorKind::Unsupported, path, "", -1, pickleRefusalMessage());
}

} // namespace

std::shared_ptr<const Checkpoint> openCheckpoint(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st))
        throw Error(ErrorKind::Io, path, "", -1, "no such file or folder");
    if (fs::is_directory(st))
        return readHfFolder(path);

    const std::string name = lower(fs::path(path).filename().string());
    if (endsWith(name, ".bin") || endsWith(name, ".pt") || endsWith(name, ".pth") || endsWith(name, ".ckpt") ||
        endsWith(name, ".bin.index.json"))
        refusePickle(path);
    if (endsWith(name, ".index.json"))
        return readSafetensorsIndex(path);

    auto file = MappedFile::open(path);
    if (looksLikePickleOrZip(*file))
        refusePickle(path);
    const bool ggufMagic = file->size() >= 4 && std::memcmp(file->data(), "GGUF", 4) == 0;
    if (ggufMagic || endsWith(name, ".gguf"))
        return readGguf(file);
    if (endsWith(name, ".safetensors") || (file->size() >= 9 && file->data()[8] == '{'))
        return readSafetensors(file);
    throw Error::format(path, "", 0, "unrecognised file type (expected .gguf, .safetensors, an index or a model folder)");
}

} // namespace attnscope
