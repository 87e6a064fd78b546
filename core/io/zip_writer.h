// A streaming ZIP writer over a ByteSink, for NumPy .npz archives (a zip of .npy members, STORED or DEFLATE):
// members are written once, front to back (sizes and CRC follow each member in a data descriptor), then the
// central directory. Timestamps are fixed (1980-01-01) so the same arrays give the same bytes. No ZIP64: an
// archive or member over 4 GiB is refused with a message (use HDF5 for runs that large).
// Threading: one writer per thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"
#include "core/io/npy.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

class ZipWriter {
public:
    /// deflate = true compresses members (numpy.savez_compressed); false stores them (numpy.savez).
    explicit ZipWriter(ByteSink& sink, bool deflate = true, int level = 6);
    ~ZipWriter();
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    bool beginMember(const std::string& name);
    bool write(const void* data, size_t n);
    bool endMember();
    /// Writes the central directory. The sink is not committed here.
    bool finish();
    /// Why the last call failed ("" when none did).
    const std::string& error() const { return m_error; }

private:
    struct Entry {
        std::string name;
        uint32_t crc = 0;
        uint64_t compressed = 0, size = 0, offset = 0;
    };
    bool emit(const void* data, size_t n);
    bool fail(const std::string& why);
    bool deflateChunk(const void* data, size_t n, bool finish);

    ByteSink& m_sink;
    bool m_deflate;
    int m_level;
    uint64_t m_offset = 0;
    std::vector<Entry> m_entries;
    bool m_inMember = false;
    Entry m_current;
    struct ZState;
    std::unique_ptr<ZState> m_z;
    std::string m_error;
};

/// Adds `key`.npy holding the array (np.load(path)[key] returns it).
bool addNpyMember(ZipWriter& zip, const std::string& key, const NpyArray& a);

} // namespace attnscope
