// PCRE2 wrapper for pre-tokenizer patterns taken from untrusted files: UTF + UCP (Unicode classes such as
// \p{L} and lookahead are needed, docs/FORMATS.md), JIT when available, and a step limit per match plus the
// encode() call's time budget, so hostile patterns end in an Error instead of hanging (docs/SECURITY.md).
// Threading: a compiled Regex is immutable; forEachMatch may run concurrently.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace attnscope {

class EncodeBudget;

class Regex {
public:
    /// Throws Error(Tokenizer) naming `where` (file and field) when the pattern does not compile.
    Regex(std::string_view pattern, std::string where);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    /// Calls fn(begin, end) for every non-empty match, left to right. Throws Error(Tokenizer) when the step
    /// limit per match or the call's time budget (charged to `stage`) is exceeded, or the subject is not
    /// valid UTF-8.
    void forEachMatch(std::string_view text, const std::function<void(size_t, size_t)>& fn, EncodeBudget& budget,
                      const char* stage) const;
    const std::string& pattern() const { return m_pattern; }

    /// Escapes a literal string (Split {"String": ...}) into a pattern.
    static std::string escape(std::string_view literal);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::string m_pattern;
    std::string m_where;
};

} // namespace attnscope
