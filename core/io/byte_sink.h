// Where core serialisers write (docs/EXPORT.md): front ends supply atomic file sinks (QSaveFile), tests use
// in-memory sinks. A sink is committed once at the end; an aborted or destroyed-uncommitted sink leaves the
// previous file untouched (docs/EXPORT.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace attnscope {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    /// Appends bytes; returns false after a write error (remembered until commit fails).
    virtual bool write(const void* data, size_t n) = 0;
    /// Publishes the complete output; false (and nothing published) on any earlier or final error.
    virtual bool commit() = 0;
    virtual std::string errorString() const = 0;
};

class MemorySink final : public ByteSink {
public:
    bool write(const void* data, size_t n) override
    {
        const auto* p = static_cast<const char*>(data);
        m_bytes.insert(m_bytes.end(), p, p + n);
        return true;
    }
    bool commit() override { return true; }
    std::string errorString() const override { return {}; }
    const std::vector<char>& bytes() const { return m_bytes; }

private:
    std::vector<char> m_bytes;
};

} // namespace attnscope
