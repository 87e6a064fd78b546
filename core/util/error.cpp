// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/error.h"
#include "core/util/text_escape.h"

namespace attnscope {

const char* errorKindName(ErrorKind k)
{
    switch (k) {
    case ErrorKind::Io: return "io";
    case ErrorKind::Format: return "format";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Model: return "model";
    case ErrorKind::Tokenizer: return "tokenizer";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Resource: return "resource";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::Internal: return "internal";
    }
    return "unknown";
}

static std::string composeMessage(const std::string& file, const std::string& field, int64_t offset,
                                  const std::string& reason)
{
    std::string m;
    if (!file.empty())
        m += file + ": ";
    if (!field.empty())
        m += field + ": ";
    m += reason;
    if (offset >= 0)
        m += " (at byte " + std::to_string(offset) + ")";
    return m;
}

// Every part may carry text from a hostile file (a key, a tensor name, a path from an index): escaped for
// terminals and widgets, and bounded so no file can produce a megabyte-long message (docs/SECURITY.md).
// Call sites quote values with quotedValue() already; this is the backstop for the ones that do not.
constexpr size_t kMaxErrorFileBytes = 1024;

Error::Error(ErrorKind kind, std::string file, std::string field, int64_t offset, std::string reason)
    : Error(kind, elideMiddle(file, kMaxErrorFileBytes), shortened(field, kMaxErrorFieldBytes), offset,
            elideMiddle(reason, kMaxErrorReasonBytes), Sanitized{})
{
}

Error::Error(ErrorKind kind, std::string file, std::string field, int64_t offset, std::string reason, Sanitized)
    : std::runtime_error(composeMessage(file, field, offset, reason))
    , m_kind(kind)
    , m_file(std::move(file))
    , m_field(std::move(field))
    , m_reason(std::move(reason))
    , m_offset(offset)
{
}

} // namespace attnscope
