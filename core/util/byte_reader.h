// A cursor over a byte span that can never move past its end (docs/SECURITY.md).
// Every read either succeeds or throws a Format error naming the file, field and offset.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/util/error.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace attnscope {

class ByteReader {
public:
    ByteReader(const uint8_t* data, uint64_t size, std::string fileName)
        : m_data(data), m_size(size), m_file(std::move(fileName)) {}

    uint64_t offset() const { return m_pos; }
    uint64_t size() const { return m_size; }
    uint64_t remaining() const { return m_size - m_pos; }
    const std::string& fileName() const { return m_file; }
    const uint8_t* data() const { return m_data; }

    /// Little-endian scalar (unaligned-safe via memcpy).
    template <typename T>
    T read(const char* field)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        require(sizeof(T), field);
        T v;
        std::memcpy(&v, m_data + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }

    /// A view of the next n bytes; fails before touching anything if n exceeds what is left.
    std::string_view bytes(uint64_t n, const char* field)
    {
        require(n, field);
        std::string_view v(reinterpret_cast<const char*>(m_data + m_pos), static_cast<size_t>(n));
        m_pos += n;
        return v;
    }

    void skip(uint64_t n, const char* field) { require(n, field); m_pos += n; }

    void seek(uint64_t pos, const char* field)
    {
        if (pos > m_size)
            fail(field, "offset " + std::to_string(pos) + " is past the end of the file (" + std::to_string(m_size) + " bytes)");
        m_pos = pos;
    }

    void require(uint64_t n, const char* field) const
    {
        if (n > remaining())
            fail(field, "needs " + std::to_string(n) + " bytes but only " + std::to_string(remaining()) +
                            " remain (file truncated or length field corrupt)");
    }

    [[noreturn]] void fail(const std::string& field, const std::string& reason) const
    {
        throw Error::format(m_file, field, static_cast<int64_t>(m_pos), reason);
    }

private:
    const uint8_t* m_data;
    uint64_t m_size;
    uint64_t m_pos = 0;
    std::string m_file;
};

} // namespace attnscope
