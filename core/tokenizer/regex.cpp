// PCRE2-based matching for pre-tokenizer regexes (see regex.h for the safety limits).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/regex.h"
#include "core/tokenizer/encode_budget.h"
#include "core/util/error.h"

#include <cstdio>
#include <pcre2.h>

namespace attnscope {
namespace {

// Steps per single match attempt: ordinary tokenizer patterns use a few hundred per match; catastrophic
// backtracking needs exponentially many. 2M keeps a hostile match attempt to ~milliseconds.
constexpr uint32_t kMatchStepLimit = 2'000'000;
constexpr uint32_t kDepthLimit = 100'000;
// A match attempt may cost up to the step limit, so the call's time budget is read every 256 attempts: a
// pattern that burns just under the limit at every position still ends within about a second of it.
constexpr uint64_t kAttemptsPerClockRead = 256;

} // namespace

struct Regex::Impl {
    pcre2_code* code = nullptr;
    ~Impl()
    {
        if (code)
            pcre2_code_free(code);
    }
};

Regex::Regex(std::string_view pattern, std::string where)
    : m_impl(std::make_unique<Impl>())
    , m_pattern(pattern)
    , m_where(std::move(where))
{
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    m_impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
    if (!m_impl->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errorCode, msg, sizeof msg);
        throw Error(ErrorKind::Tokenizer, m_where, "regex", static_cast<int64_t>(errorOffset),
                    "pattern does not compile: " + std::string(reinterpret_cast<const char*>(msg)));
    }
    // JIT is an optimisation only: when unavailable (or refused by the platform) the interpreter is used.
    pcre2_jit_compile(m_impl->code, PCRE2_JIT_COMPLETE);
}

Regex::~Regex() = default;

void Regex::forEachMatch(std::string_view text, const std::function<void(size_t, size_t)>& fn, EncodeBudget& budget,
                         const char* stage) const
{
    std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> ctx(pcre2_match_context_create(nullptr),
                                                                                  &pcre2_match_context_free);
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
        pcre2_match_data_create_from_pattern(m_impl->code, nullptr), &pcre2_match_data_free);
    if (!ctx || !md)
        throw Error(ErrorKind::Resource, m_where, "regex", -1, "out of memory for regex matching");
    pcre2_set_match_limit(ctx.get(), kMatchStepLimit);
    pcre2_set_depth_limit(ctx.get(), kDepthLimit);

    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0;
    uint32_t options = 0;   // UTF validity is checked on the first call only
    while (pos <= text.size()) {
        const int rc = pcre2_match(m_impl->code, subject, text.size(), pos, options, md.get(), ctx.get());
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            const bool limit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
                || rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
            throw Error(ErrorKind::Tokenizer, m_where, "regex", static_cast<int64_t>(pos),
                        std::string(limit ? "pre-tokenizer pattern exceeded its step limit (catastrophic "
                                            "backtracking?): "
                                          : "regex match failed: ")
                            + reinterpret_cast<const char*>(msg));
        }
        options = PCRE2_NO_UTF_CHECK;
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
        const size_t b = ov[0], e = ov[1];
        if (e > b) {
            fn(b, e);
            pos = e;
        } else {
            // Empty match: step over one whole character so the next attempt starts on a boundary.
            if (b >= text.size())
                break;
            size_t next = b + 1;
            while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80)
                ++next;
            pos = next;
        }
        budget.tick(stage, EncodeBudget::kUnitsPerClockRead / kAttemptsPerClockRead);
    }
}

std::string Regex::escape(std::string_view literal)
{
    std::string out;
    for (char c : literal) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
                          || u >= 0x80)) {
            if (u < 0x20 || u == 0x7F) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x{%02x}", u);
                out += buf;
                continue;
            }
            out += '\\';
        }
        out += c;
    }
    return out;
}

} // namespace attnscope
