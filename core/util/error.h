// Typed errors carried from parsers and the engine to the front ends.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace attnscope {

enum class ErrorKind {
    Io,            // cannot open/read/map a file
    Format,        // the file violates its format (header, extents, types)
    Unsupported,   // valid file but a feature we do not handle (architecture, dtype, pickle)
    Model,         // the model-level description is inconsistent (shapes, counts)
    Tokenizer,     // tokenizer description or input rejected
    Cancelled,     // the user cancelled
    Resource,      // out of memory / over a budget
    Usage,         // bad arguments from a front end
    Internal,
};

const char* errorKindName(ErrorKind k);

/// One error value: which file, which field, which byte offset, and why.
/// Thrown inside core, caught at API boundaries; front ends print what(). Every part is stored escaped
/// (no control characters, valid UTF-8: core/util/text_escape.h) and bounded in length, whatever the
/// caller passed in.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string file, std::string field, int64_t offset, std::string reason);
    static Error format(const std::string& file, const std::string& field, int64_t offset, const std::string& reason)
    {
        return Error(ErrorKind::Format, file, field, offset, reason);
    }
    ErrorKind kind() const { return m_kind; }
    const std::string& file() const { return m_file; }
    const std::string& field() const { return m_field; }
    int64_t offset() const { return m_offset; }      // -1 when not applicable
    const std::string& reason() const { return m_reason; }

private:
    struct Sanitized {};
    Error(ErrorKind kind, std::string file, std::string field, int64_t offset, std::string reason, Sanitized);
    ErrorKind m_kind;
    std::string m_file, m_field, m_reason;
    int64_t m_offset;
};

} // namespace attnscope
