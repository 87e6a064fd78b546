// Text that remembers, for each of its bytes, which byte range of the user's original text it came from.
// Normalizers and pre-tokenizers rewrite text (lowercasing, accent stripping, prefix spaces); carrying the
// origin per byte is what lets every final token report its byte span in the user's text (HF tokenizers NormalizedString alignments).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

struct SpanText {
    std::string text;
    std::vector<uint32_t> begin;   // per byte of text: original span [begin, end)
    std::vector<uint32_t> end;

    static SpanText fromOriginal(std::string_view original, uint32_t offset)
    {
        SpanText s;
        s.text.assign(original);
        s.begin.resize(original.size());
        s.end.resize(original.size());
        // A multi-byte character maps each of its bytes to itself; spans are unioned per token later.
        for (uint32_t i = 0; i < original.size(); ++i) {
            s.begin[i] = offset + i;
            s.end[i] = offset + i + 1;
        }
        return s;
    }
    /// Appends bytes that all stand for the original range [b, e) (e == b for inserted text).
    void append(std::string_view bytes, uint32_t b, uint32_t e)
    {
        text.append(bytes);
        begin.insert(begin.end(), bytes.size(), b);
        end.insert(end.end(), bytes.size(), e);
    }
    void appendFrom(const SpanText& other, size_t from, size_t to)
    {
        text.append(other.text, from, to - from);
        begin.insert(begin.end(), other.begin.begin() + from, other.begin.begin() + to);
        end.insert(end.end(), other.end.begin() + from, other.end.begin() + to);
    }
    SpanText slice(size_t from, size_t to) const
    {
        SpanText s;
        s.appendFrom(*this, from, to);
        return s;
    }
    /// Original span covered by bytes [from, to): min begin .. max end; empty at the first byte's origin when
    /// all those bytes were inserted.
    void originalSpan(size_t from, size_t to, uint32_t& b, uint32_t& e) const
    {
        b = UINT32_MAX;
        e = 0;
        for (size_t i = from; i < to; ++i) {
            if (end[i] > begin[i]) {
                b = std::min(b, begin[i]);
                e = std::max(e, end[i]);
            }
        }
        if (b == UINT32_MAX) {
            b = from < begin.size() ? begin[from] : 0;
            e = b;
        }
    }
    bool empty() const { return text.empty(); }
};

} // namespace attnscope
