// ZIP container (PKWARE APPNOTE 6.3: local headers with bit 3 set, data descriptors, central directory).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/zip_writer.h"

#include <zlib.h>

#include <array>
#include <limits>

namespace attnscope {

namespace {

constexpr uint64_t kZip32Max = 0xFFFFFFFFull;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;   // 1980-01-01
constexpr uint16_t kFlagDescriptor = 0x0008;
constexpr uint16_t kFlagUtf8 = 0x0800;

void put16(std::string& s, uint32_t v)
{
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>((v >> 8) & 0xFF);
}

void put32(std::string& s, uint32_t v)
{
    put16(s, v & 0xFFFF);
    put16(s, v >> 16);
}

uint16_t methodOf(bool deflate)
{
    return deflate ? 8 : 0;
}

} // namespace

struct ZipWriter::ZState {
    z_stream z{};
    bool open = false;
    std::vector<unsigned char> out = std::vector<unsigned char>(1 << 16);
    ~ZState()
    {
        if (open)
            deflateEnd(&z);
    }
};

ZipWriter::ZipWriter(ByteSink& sink, bool deflate, int level)
    : m_sink(sink)
    , m_deflate(deflate)
    , m_level(level)
    , m_z(std::make_unique<ZState>())
{
}

ZipWriter::~ZipWriter() = default;

bool ZipWriter::fail(const std::string& why)
{
    if (m_error.empty())
        m_error = why;
    return false;
}

bool ZipWriter::emit(const void* data, size_t n)
{
    if (!m_error.empty())
        return false;
    if (!m_sink.write(data, n))
        return fail("write failed: " + m_sink.errorString());
    m_offset += n;
    return true;
}

bool ZipWriter::beginMember(const std::string& name)
{
    if (m_inMember)
        return fail("zip: member '" + m_current.name + "' is still open");
    if (name.empty() || name.size() > 0xFFFF)
        return fail("zip: invalid member name");
    if (m_entries.size() >= 0xFFFF)
        return fail("zip: more than 65535 members (use HDF5 for runs this large)");
    if (m_offset > kZip32Max)
        return fail("the archive is over 4 GiB, which .npz files written here do not support (use HDF5)");
    m_current = Entry{name, 0, 0, 0, m_offset};
    std::string h;
    put32(h, 0x04034b50);
    put16(h, 20);
    put16(h, kFlagDescriptor | kFlagUtf8);
    put16(h, methodOf(m_deflate));
    put16(h, 0);
    put16(h, kDosDate1980);
    put32(h, 0);
    put32(h, 0);
    put32(h, 0);
    put16(h, static_cast<uint32_t>(name.size()));
    put16(h, 0);
    h += name;
    if (!emit(h.data(), h.size()))
        return false;
    if (m_deflate) {
        m_z = std::make_unique<ZState>();
        if (deflateInit2(&m_z->z, m_level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return fail("zlib: deflateInit2 failed");
        m_z->open = true;
    }
    m_inMember = true;
    return true;
}

bool ZipWriter::deflateChunk(const void* data, size_t n, bool finish)
{
    z_stream& z = m_z->z;
    const auto* p = static_cast<const unsigned char*>(data);
    // zlib's avail_in is 32-bit: feed large buffers in pieces.
    constexpr size_t kPiece = size_t(1) << 30;
    do {
        const size_t take = std::min(n, kPiece);
        z.next_in = const_cast<unsigned char*>(p);
        z.avail_in = static_cast<uInt>(take);
        const bool last = finish && take == n;
        int rc = Z_OK;
        do {
            z.next_out = m_z->out.data();
            z.avail_out = static_cast<uInt>(m_z->out.size());
            rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
            if (rc == Z_STREAM_ERROR)
                return fail("zlib: deflate failed");
            const size_t produced = m_z->out.size() - z.avail_out;
            m_current.compressed += produced;
            if (produced && !emit(m_z->out.data(), produced))
                return false;
        } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
        p += take;
        n -= take;
    } while (n > 0);
    return true;
}

bool ZipWriter::write(const void* data, size_t n)
{
    if (!m_inMember)
        return fail("zip: write outside a member");
    if (n == 0)
        return true;
    m_current.size += n;
    if (m_current.size > kZip32Max)
        return fail("member '" + m_current.name + "' is over 4 GiB, which .npz files written here do not support (use HDF5)");
    // crc32's length is 32-bit as well.
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t done = 0; done < n;) {
        const size_t take = std::min<size_t>(n - done, size_t(1) << 30);
        m_current.crc = static_cast<uint32_t>(crc32(m_current.crc, p + done, static_cast<uInt>(take)));
        done += take;
    }
    if (m_deflate)
        return deflateChunk(data, n, false);
    m_current.compressed += n;
    return emit(data, n);
}

bool ZipWriter::endMember()
{
    if (!m_inMember)
        return fail("zip: no member is open");
    if (m_deflate) {
        if (!deflateChunk(nullptr, 0, true))
            return false;
        deflateEnd(&m_z->z);
        m_z->open = false;
    }
    m_inMember = false;
    if (m_current.compressed > kZip32Max)
        return fail("member '" + m_current.name + "' is over 4 GiB compressed (use HDF5)");
    std::string d;
    put32(d, 0x08074b50);
    put32(d, m_current.crc);
    put32(d, static_cast<uint32_t>(m_current.compressed));
    put32(d, static_cast<uint32_t>(m_current.size));
    if (!emit(d.data(), d.size()))
        return false;
    m_entries.push_back(m_current);
    return true;
}

bool ZipWriter::finish()
{
    if (m_inMember)
        return fail("zip: member '" + m_current.name + "' is still open");
    const uint64_t cdStart = m_offset;
    std::string cd;
    for (const Entry& e : m_entries) {
        put32(cd, 0x02014b50);
        put16(cd, (3 << 8) | 20);   // made by: Unix, spec 2.0
        put16(cd, 20);
        put16(cd, kFlagDescriptor | kFlagUtf8);
        put16(cd, methodOf(m_deflate));
        put16(cd, 0);
        put16(cd, kDosDate1980);
        put32(cd, e.crc);
        put32(cd, static_cast<uint32_t>(e.compressed));
        put32(cd, static_cast<uint32_t>(e.size));
        put16(cd, static_cast<uint32_t>(e.name.size()));
        put16(cd, 0);
        put16(cd, 0);
        put16(cd, 0);
        put16(cd, 0);
        put32(cd, 0100644u << 16);   // regular file, rw-r--r--
        put32(cd, static_cast<uint32_t>(e.offset));
        cd += e.name;
    }
    if (cdStart + cd.size() > kZip32Max)
        return fail("the archive is over 4 GiB, which .npz files written here do not support (use HDF5)");
    std::string end;
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, static_cast<uint32_t>(m_entries.size()));
    put16(end, static_cast<uint32_t>(m_entries.size()));
    put32(end, static_cast<uint32_t>(cd.size()));
    put32(end, static_cast<uint32_t>(cdStart));
    put16(end, 0);
    return emit(cd.data(), cd.size()) && emit(end.data(), end.size());
}

bool addNpyMember(ZipWriter& zip, const std::string& key, const NpyArray& a)
{
    uint64_t count = 1;
    for (int64_t d : a.shape)
        count *= static_cast<uint64_t>(std::max<int64_t>(0, d));
    if (npyItemSize(a.descr) == 0 || count * npyItemSize(a.descr) != a.bytes)
        return false;
    const std::string header = npyHeader(a.descr, a.shape);
    return zip.beginMember(key + ".npy") && zip.write(header.data(), header.size()) &&
           (a.bytes == 0 || zip.write(a.data, static_cast<size_t>(a.bytes))) && zip.endMember();
}

} // namespace attnscope
