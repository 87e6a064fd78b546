// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/gguf_reader.h"
#include "core/util/byte_reader.h"
#include "core/util/checked.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <limits>
#include <unordered_set>

namespace attnscope {

namespace {

// Size of one array element on disk, or 0 for strings/arrays (variable) and unknown types.
uint64_t scalarSize(uint32_t t)
{
    switch (t) {
    case GgufUInt8: case GgufInt8: case GgufBool: return 1;
    case GgufUInt16: case GgufInt16: return 2;
    case GgufUInt32: case GgufInt32: case GgufFloat32: return 4;
    case GgufUInt64: case GgufInt64: case GgufFloat64: return 8;
    default: return 0;
    }
}

const char* valueTypeName(uint32_t t)
{
    static const char* names[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                  "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
    return t <= GgufFloat64 ? names[t] : "unknown";
}

class GgufParser {
public:
    GgufParser(std::shared_ptr<const MappedFile> f)
        : m_file(std::move(f)), m_r(m_file->data(), m_file->size(), m_file->path()) {}

    std::shared_ptr<Checkpoint> parse();

private:
    [[noreturn]] void fail(const std::string& field, uint64_t at, const std::string& reason) const
    {
        throw Error::format(m_file->path(), field, static_cast<int64_t>(at), reason);
    }
    [[noreturn]] void unsupported(const std::string& field, uint64_t at, const std::string& reason) const
    {
        throw Error(ErrorKind::Unsupported, m_file->path(), field, static_cast<int64_t>(at), reason);
    }

    std::string readString(const std::string& field, uint64_t cap);
    void readScalar(uint32_t type, MetaValue& v, const std::string& field);
    void readArray(MetaValue& v, const std::string& field);
    void readTensorInfo(size_t index, TensorInfo& t, uint32_t& ggmlType, uint64_t& relOffset);

    std::shared_ptr<const MappedFile> m_file;
    ByteReader m_r;
};

std::string GgufParser::readString(const std::string& field, uint64_t cap)
{
    const uint64_t at = m_r.offset();
    const uint64_t len = m_r.read<uint64_t>(field.c_str());
    if (len > cap)
        fail(field, at, "string length " + std::to_string(len) + " exceeds the cap of " + std::to_string(cap) + " bytes");
    if (len > m_r.remaining())
        fail(field, at, "string length " + std::to_string(len) + " exceeds the " + std::to_string(m_r.remaining()) +
                            " bytes remaining (file truncated or length corrupt)");
    return std::string(m_r.bytes(len, field.c_str()));
}

void GgufParser::readScalar(uint32_t type, MetaValue& v, const std::string& field)
{
    const char* f = field.c_str();
    auto setUnsigned = [&v](uint64_t x) {
        v.type = MetaValue::Type::UInt;
        v.u = x;
        v.i = x <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? static_cast<int64_t>(x) : 0;
        v.f = static_cast<double>(x);
    };
    auto setSigned = [&v](int64_t x) {
        v.type = MetaValue::Type::Int;
        v.i = x;
        v.u = x >= 0 ? static_cast<uint64_t>(x) : 0;
        v.f = static_cast<double>(x);
    };
    v.ggufType = type;
    switch (type) {
    case GgufUInt8: setUnsigned(m_r.read<uint8_t>(f)); break;
    case GgufUInt16: setUnsigned(m_r.read<uint16_t>(f)); break;
    case GgufUInt32: setUnsigned(m_r.read<uint32_t>(f)); break;
    case GgufUInt64: setUnsigned(m_r.read<uint64_t>(f)); break;
    case GgufInt8: setSigned(m_r.read<int8_t>(f)); break;
    case GgufInt16: setSigned(m_r.read<int16_t>(f)); break;
    case GgufInt32: setSigned(m_r.read<int32_t>(f)); break;
    case GgufInt64: setSigned(m_r.read<int64_t>(f)); break;
    case GgufFloat32: v.type = MetaValue::Type::Float; v.f = m_r.read<float>(f); break;
    case GgufFloat64: v.type = MetaValue::Type::Float; v.f = m_r.read<double>(f); break;
    case GgufBool: {
        const uint64_t at = m_r.offset();
        const uint8_t b = m_r.read<uint8_t>(f);
        if (b > 1)
            fail(field, at, "BOOL value " + std::to_string(b) + " is neither 0 nor 1");
        v.type = MetaValue::Type::Bool;
        v.b = b != 0;
        v.u = b;
        break;
    }
    case GgufString: v.type = MetaValue::Type::String; v.s = readString(field, kGgufMaxString); break;
    default: fail(field, m_r.offset(), "internal: not a scalar type");
    }
}

void GgufParser::readArray(MetaValue& v, const std::string& field)
{
    const uint64_t typeAt = m_r.offset();
    const uint32_t et = m_r.read<uint32_t>(field.c_str());
    if (et == GgufArray)
        unsupported(field, typeAt, "nested arrays are not supported (only arrays of scalars or strings)");
    if (et > GgufFloat64)
        fail(field, typeAt, "array element type " + std::to_string(et) + " is not a GGUF value type");
    const uint64_t countAt = m_r.offset();
    const uint64_t count = m_r.read<uint64_t>(field.c_str());
    if (count > kGgufMaxArray)
        fail(field, countAt, "array of " + std::to_string(count) + " elements exceeds the cap of " +
                                 std::to_string(kGgufMaxArray));
    // Check against the bytes left before reserving: a string element needs at least its 8-byte length.
    const uint64_t minElem = et == GgufString ? 8 : scalarSize(et);
    uint64_t need = 0;
    if (!checkedMul(count, minElem, need) || need > m_r.remaining())
        fail(field, countAt, "array of " + std::to_string(count) + " " + valueTypeName(et) + " elements needs at least " +
                                 std::to_string(count) + " x " + std::to_string(minElem) + " bytes but only " +
                                 std::to_string(m_r.remaining()) + " remain");
    v.ggufType = et;
    const size_t n = static_cast<size_t>(count);
    const char* f = field.c_str();
    switch (et) {
    case GgufUInt8: case GgufUInt16: case GgufUInt32: case GgufUInt64: case GgufBool: {
        v.type = et == GgufBool ? MetaValue::Type::ArrayBool : MetaValue::Type::ArrayUInt;
        v.au.resize(n);
        for (size_t k = 0; k < n; ++k) {
            switch (et) {
            case GgufUInt8: v.au[k] = m_r.read<uint8_t>(f); break;
            case GgufUInt16: v.au[k] = m_r.read<uint16_t>(f); break;
            case GgufUInt32: v.au[k] = m_r.read<uint32_t>(f); break;
            case GgufUInt64: v.au[k] = m_r.read<uint64_t>(f); break;
            default: {
                const uint64_t at = m_r.offset();
                const uint8_t b = m_r.read<uint8_t>(f);
                if (b > 1)
                    fail(field + "[" + std::to_string(k) + "]", at, "BOOL value " + std::to_string(b) + " is neither 0 nor 1");
                v.au[k] = b;
            }
            }
        }
        break;
    }
    case GgufInt8: case GgufInt16: case GgufInt32: case GgufInt64:
        v.type = MetaValue::Type::ArrayInt;
        v.ai.resize(n);
        for (size_t k = 0; k < n; ++k) {
            switch (et) {
            case GgufInt8: v.ai[k] = m_r.read<int8_t>(f); break;
            case GgufInt16: v.ai[k] = m_r.read<int16_t>(f); break;
            case GgufInt32: v.ai[k] = m_r.read<int32_t>(f); break;
            default: v.ai[k] = m_r.read<int64_t>(f); break;
            }
        }
        break;
    case GgufFloat32: case GgufFloat64:
        v.type = MetaValue::Type::ArrayFloat;
        v.af.resize(n);
        for (size_t k = 0; k < n; ++k)
            v.af[k] = et == GgufFloat32 ? static_cast<double>(m_r.read<float>(f)) : m_r.read<double>(f);
        break;
    case GgufString:
        v.type = MetaValue::Type::ArrayString;
        v.as.resize(n);
        for (size_t k = 0; k < n; ++k)
            v.as[k] = readString(field, kGgufMaxString);
        break;
    default: break;
    }
}

void GgufParser::readTensorInfo(size_t index, TensorInfo& t, uint32_t& ggmlType, uint64_t& relOffset)
{
    const std::string field = "tensor_infos[" + std::to_string(index) + "]";
    const uint64_t nameAt = m_r.offset();
    const uint64_t nameLen = m_r.read<uint64_t>((field + ".name").c_str());
    if (nameLen > kGgufMaxTensorName)
        fail(field + ".name", nameAt, "tensor name of " + std::to_string(nameLen) + " bytes; the limit is " +
                                          std::to_string(kGgufMaxTensorName));
    t.name = std::string(m_r.bytes(nameLen, (field + ".name").c_str()));
    if (t.name.empty())
        fail(field + ".name", nameAt, "empty tensor name");
    const std::string tf = "tensor " + quotedValue(t.name);

    const uint64_t dimsAt = m_r.offset();
    const uint32_t nDims = m_r.read<uint32_t>((tf + ".n_dims").c_str());
    if (nDims < 1 || nDims > kGgufMaxDims)
        fail(tf + ".n_dims", dimsAt, "n_dims " + std::to_string(nDims) + " is outside 1.." + std::to_string(kGgufMaxDims));
    uint64_t ne[kGgufMaxDims] = {1, 1, 1, 1};
    for (uint32_t d = 0; d < nDims; ++d) {
        const uint64_t at = m_r.offset();
        ne[d] = m_r.read<uint64_t>((tf + ".ne").c_str());
        if (ne[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            fail(tf + ".ne[" + std::to_string(d) + "]", at, "dimension " + std::to_string(ne[d]) + " is 2^63 or more");
    }
    const uint64_t typeAt = m_r.offset();
    ggmlType = m_r.read<uint32_t>((tf + ".type").c_str());
    if (!dtypeFromGgml(ggmlType, t.dtype)) {
        const std::string name = ggmlTypeName(ggmlType);
        if (name == "unknown")
            fail(tf + ".type", typeAt, "unknown ggml type id " + std::to_string(ggmlType) + " for " + tf);
        unsupported(tf + ".type", typeAt, tf + " has ggml type " + std::to_string(ggmlType) + " (" + name +
                                              "), which attnscope cannot decode");
    }
    relOffset = m_r.read<uint64_t>((tf + ".offset").c_str());

    const DTypeInfo& info = dtypeInfo(t.dtype);
    if (ne[0] % info.blockElems != 0)
        fail(tf + ".ne[0]", dimsAt, "row length " + std::to_string(ne[0]) + " is not a multiple of the " + info.name +
                                        " block size " + std::to_string(info.blockElems));
    uint64_t elements = 1, nbytes = 0;
    for (uint32_t d = 0; d < kGgufMaxDims; ++d)
        if (!checkedMul(elements, ne[d], elements))
            fail(tf + ".ne", dimsAt, "element count overflows 64 bits");
    if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(tf + ".ne", dimsAt, "element count is 2^63 or more");
    uint64_t rowBytes = 0;
    if (!bytesForElements(t.dtype, ne[0], rowBytes))
        fail(tf + ".ne[0]", dimsAt, "row size overflows 64 bits");
    nbytes = rowBytes;
    for (uint32_t d = 1; d < kGgufMaxDims; ++d)
        if (!checkedMul(nbytes, ne[d], nbytes))
            fail(tf + ".ne", dimsAt, "byte size overflows 64 bits");
    t.nbytes = nbytes;
    t.shape.clear();
    for (uint32_t d = nDims; d-- > 0;)
        t.shape.push_back(static_cast<int64_t>(ne[d])); // ggml ne[0] is innermost: reverse to outermost first
}

std::shared_ptr<Checkpoint> GgufParser::parse()
{
    const uint64_t size = m_file->size();
    if (size == 0)
        fail("magic", 0, "empty file");
    if (size < 4)
        fail("magic", 0, "file of " + std::to_string(size) + " bytes is too small to be GGUF");
    std::string_view magic = m_r.bytes(4, "magic");
    if (magic != "GGUF")
        fail("magic", 0, "bad magic: not a GGUF file");
    const uint64_t versionAt = m_r.offset();
    const uint32_t version = m_r.read<uint32_t>("version");
    if (version != 0 && (version & 0xFFFFu) == 0)
        unsupported("version", versionAt, "version field is byte-swapped (" + std::to_string(version) +
                                              "): big-endian GGUF files are not supported");
    if (version == 0)
        fail("version", versionAt, "invalid GGUF version 0");
    if (version == 1)
        unsupported("version", versionAt, "GGUF version 1 is not supported (re-convert the model to GGUF v3)");
    if (version > 3)
        unsupported("version", versionAt, "GGUF version " + std::to_string(version) + " is newer than supported (2, 3)");

    const uint64_t ntAt = m_r.offset();
    const uint64_t nTensors = m_r.read<uint64_t>("tensor_count");
    const uint64_t nkAt = m_r.offset();
    const uint64_t nKv = m_r.read<uint64_t>("metadata_kv_count");
    if (nTensors > m_r.remaining() / kGgufMinTensorInfoBytes)
        fail("tensor_count", ntAt, "tensor_count " + std::to_string(nTensors) + " cannot fit in the " +
                                       std::to_string(m_r.remaining()) + " bytes remaining");
    if (nKv > m_r.remaining() / kGgufMinKvBytes)
        fail("metadata_kv_count", nkAt, "metadata_kv_count " + std::to_string(nKv) + " cannot fit in the " +
                                            std::to_string(m_r.remaining()) + " bytes remaining");

    auto ck = std::make_shared<Checkpoint>();
    ck->format = CheckpointFormat::Gguf;
    ck->path = m_file->path();
    ck->files.push_back(m_file);
    ck->totalBytes = size;

    uint64_t alignment = kGgufDefaultAlignment;
    for (uint64_t k = 0; k < nKv; ++k) {
        const std::string kvField = "kv[" + std::to_string(k) + "]";
        const uint64_t keyAt = m_r.offset();
        std::string key = readString(kvField + ".key", kGgufMaxKey);
        if (key.empty())
            fail(kvField + ".key", keyAt, "empty metadata key");
        const std::string field = "metadata " + quotedValue(key);
        if (ck->metadata.count(key))
            fail(field, keyAt, "duplicate metadata key " + quotedValue(key));
        const uint64_t typeAt = m_r.offset();
        const uint32_t type = m_r.read<uint32_t>((field + ".type").c_str());
        if (type > GgufFloat64)
            fail(field, typeAt, "value type " + std::to_string(type) + " is not a GGUF value type");
        MetaValue v;
        if (type == GgufArray)
            readArray(v, field);
        else
            readScalar(type, v, field);
        if (key == "general.alignment") {
            if (type != GgufUInt32)
                fail(field, typeAt, std::string("general.alignment must be UINT32, not ") + valueTypeName(type));
            if (v.u == 0 || v.u > kGgufMaxAlignment || (v.u & (v.u - 1)) != 0)
                fail(field, typeAt, "alignment " + std::to_string(v.u) + " is not a power of two in [1, 1 MiB]");
            alignment = v.u;
        }
        ck->metadata.emplace(std::move(key), std::move(v));
    }

    if (nTensors > m_r.remaining() / kGgufMinTensorInfoBytes)
        fail("tensor_count", ntAt, "tensor_count " + std::to_string(nTensors) + " cannot fit in the " +
                                       std::to_string(m_r.remaining()) + " bytes left after the metadata");
    ck->tensors.resize(static_cast<size_t>(nTensors));
    std::vector<uint64_t> relOffsets(ck->tensors.size());
    std::unordered_set<std::string> names;
    names.reserve(ck->tensors.size());
    for (size_t i = 0; i < ck->tensors.size(); ++i) {
        const uint64_t at = m_r.offset();
        uint32_t ggmlType = 0;
        readTensorInfo(i, ck->tensors[i], ggmlType, relOffsets[i]);
        if (!names.insert(ck->tensors[i].name).second)
            fail("tensor_infos[" + std::to_string(i) + "].name", at, "duplicate tensor name " + quotedValue(ck->tensors[i].name));
    }

    uint64_t dataStart = 0;
    if (!checkedAlignUp(m_r.offset(), alignment, dataStart))
        fail("data", m_r.offset(), "data section offset overflows");
    if (dataStart > size && !ck->tensors.empty())
        fail("data", m_r.offset(), "data section starts at " + std::to_string(dataStart) + ", past the end of the file (" +
                                       std::to_string(size) + " bytes)");

    uint64_t expected = 0;
    for (size_t i = 0; i < ck->tensors.size(); ++i) {
        TensorInfo& t = ck->tensors[i];
        const std::string field = "tensor " + quotedValue(t.name) + ".offset";
        const uint64_t off = relOffsets[i];
        if (off % alignment != 0)
            fail(field, dataStart, "offset " + std::to_string(off) + " is not a multiple of the alignment " +
                                       std::to_string(alignment));
        if (off != expected)
            fail(field, dataStart, "offset " + std::to_string(off) + " is not the expected offset " + std::to_string(expected) +
                                       " (tensors must be laid out in order, each padded to the alignment)");
        uint64_t abs = 0, end = 0;
        if (!checkedAdd(dataStart, off, abs) || !checkedAdd(abs, t.nbytes, end) || end > size)
            fail(field, dataStart + off, "data of " + std::to_string(t.nbytes) + " bytes at offset " + std::to_string(off) +
                                             " extends past the end of the file (" + std::to_string(size) +
                                             " bytes; file truncated?)");
        t.fileIndex = 0;
        t.fileOffset = abs;
        uint64_t next = 0;
        if (!checkedAdd(off, t.nbytes, next) || !checkedAlignUp(next, alignment, expected))
            fail(field, dataStart + off, "cumulative data size overflows 64 bits");
    }
    ck->buildIndex();
    return ck;
}

} // namespace

std::shared_ptr<Checkpoint> readGguf(std::shared_ptr<const MappedFile> file)
{
    if (!file)
        throw Error(ErrorKind::Internal, "", "", -1, "readGguf: no file");
    GgufParser p(std::move(file));
    return p.parse();
}

} // namespace attnscope
