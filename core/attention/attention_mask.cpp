// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_mask.h"

#include <algorithm>

namespace attnscope {

int64_t RowKeys::size() const
{
    int64_t n = 0;
    for (const KeyRange& r : range)
        n += r.size();
    return n;
}

MaskBits::MaskBits(int64_t tokens) : m_tokens(tokens), m_stride((tokens + 63) / 64)
{
    m_words.assign(static_cast<size_t>(m_tokens * m_stride), 0);
}

void MaskBits::rowKeys(int64_t i, RowKeys& out) const
{
    int64_t j = 0;
    while (j < m_tokens) {
        while (j < m_tokens && !get(i, j))
            ++j;
        const int64_t b = j;
        while (j < m_tokens && get(i, j))
            ++j;
        if (j > b)
            out.range.push_back({b, j});
    }
}

AttentionMask AttentionMask::bidirectional()
{
    AttentionMask m;
    m.kind = MaskKind::Bidirectional;
    m.requireCausal = false;
    return m;
}

AttentionMask AttentionMask::sliding(int64_t window, bool causal)
{
    AttentionMask m;
    m.kind = MaskKind::Sliding;
    m.window = window;
    m.requireCausal = causal;
    return m;
}

AttentionMask AttentionMask::slidingWithSinks(int64_t window, int64_t sinks, bool causal)
{
    AttentionMask m = sliding(window, causal);
    m.kind = MaskKind::SlidingSinks;
    m.sinks = sinks;
    return m;
}

AttentionMask AttentionMask::longformer(int64_t window, std::vector<int64_t> globals, bool causal)
{
    std::sort(globals.begin(), globals.end());
    globals.erase(std::unique(globals.begin(), globals.end()), globals.end());
    AttentionMask m;
    m.kind = MaskKind::Longformer;
    m.window = window;
    m.requireCausal = causal;
    m.globals = std::make_shared<const std::vector<int64_t>>(std::move(globals));
    return m;
}

AttentionMask AttentionMask::bigbird(std::shared_ptr<const BlockLayout> layout, bool causal)
{
    AttentionMask m;
    m.kind = MaskKind::BigBird;
    m.requireCausal = causal;
    m.block = layout ? layout->block : 0;
    m.blocks = std::move(layout);
    return m;
}

AttentionMask AttentionMask::fixed(int64_t block, int64_t stride, bool causal)
{
    AttentionMask m;
    m.kind = MaskKind::Fixed;
    m.block = block;
    m.stride = stride;
    m.requireCausal = causal;
    return m;
}

AttentionMask AttentionMask::explicitBits(std::shared_ptr<const MaskBits> bits, std::string label, bool causal)
{
    AttentionMask m;
    m.kind = MaskKind::Explicit;
    m.bits = std::move(bits);
    m.label = std::move(label);
    m.requireCausal = causal;
    return m;
}

bool AttentionMask::valid(int64_t i, int64_t j) const
{
    if (kind == MaskKind::Bidirectional)
        return true;
    if (requireCausal && j > i)
        return false;
    switch (kind) {
    case MaskKind::Causal: return true;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return (i > j ? i - j : j - i) < window;
    case MaskKind::SlidingSinks: return j < sinks || (i > j ? i - j : j - i) < window;
    case MaskKind::Longformer: {
        if ((i > j ? i - j : j - i) <= window / 2)
            return true;
        const auto& g = *globals;
        return std::binary_search(g.begin(), g.end(), i) || std::binary_search(g.begin(), g.end(), j);
    }
    case MaskKind::BigBird: {
        const BlockLayout& L = *blocks;
        const size_t bi = static_cast<size_t>(i / L.block);
        if (bi >= L.allowed.size())
            return false;
        const auto& a = L.allowed[bi];
        return std::binary_search(a.begin(), a.end(), j / L.block);
    }
    case MaskKind::Fixed: return j / block == i / block || (j % block) >= block - stride;
    case MaskKind::Explicit: return bits && i < bits->tokens() && j < bits->tokens() && bits->get(i, j);
    }
    return false;
}

namespace {

/// Appends [b, e) to sorted disjoint ranges, merging with the last one when they touch or overlap.
void push(RowKeys& out, int64_t b, int64_t e)
{
    if (e <= b)
        return;
    if (!out.range.empty() && b <= out.range.back().end) {
        out.range.back().end = std::max(out.range.back().end, e);
        return;
    }
    out.range.push_back({b, e});
}

} // namespace

void AttentionMask::rowKeys(int64_t i, int64_t tokens, RowKeys& out) const
{
    out.range.clear();
    if (i < 0 || i >= tokens)
        return;
    const int64_t last = (kind != MaskKind::Bidirectional && requireCausal) ? i + 1 : tokens;   // causal end
    switch (kind) {
    case MaskKind::Causal: push(out, 0, i + 1); break;
    case MaskKind::Bidirectional: push(out, 0, tokens); break;
    case MaskKind::Sliding:
        push(out, std::max<int64_t>(0, i - window + 1), std::min(last, i + window));
        break;
    case MaskKind::SlidingSinks:
        push(out, 0, std::min(sinks, last));
        push(out, std::max<int64_t>(0, i - window + 1), std::min(last, i + window));
        break;
    case MaskKind::Longformer: {
        const auto& g = *globals;
        if (std::binary_search(g.begin(), g.end(), i)) {
            push(out, 0, last);
            break;
        }
        const int64_t lo = std::max<int64_t>(0, i - window / 2), hi = std::min(last, i + window / 2 + 1);
        for (int64_t p : g) {
            if (p >= last)
                break;
            if (p < lo)
                push(out, p, p + 1);
        }
        push(out, lo, hi);
        for (int64_t p : g)
            if (p >= hi && p < last)
                push(out, p, p + 1);
        break;
    }
    case MaskKind::BigBird: {
        const BlockLayout& L = *blocks;
        const size_t bi = static_cast<size_t>(i / L.block);
        if (bi < L.allowed.size())
            for (int64_t b : L.allowed[bi])
                push(out, b * L.block, std::min(last, (b + 1) * L.block));
        break;
    }
    case MaskKind::Fixed: {
        const int64_t own = i / block;
        for (int64_t b = 0; b * block < last; ++b) {
            if (b == own)
                push(out, b * block, std::min(last, (b + 1) * block));
            else
                push(out, b * block + block - stride, std::min(last, (b + 1) * block));
        }
        break;
    }
    case MaskKind::Explicit:
        if (bits && i < bits->tokens()) {
            bits->rowKeys(i, out);
            if (requireCausal)   // clip to j ≤ i
                while (!out.range.empty() && out.range.back().begin > i)
                    out.range.pop_back();
            if (requireCausal && !out.range.empty())
                out.range.back().end = std::min(out.range.back().end, i + 1);
        }
        break;
    }
    // Clip to the sequence (globals or blocks past the end).
    while (!out.range.empty() && out.range.back().begin >= tokens)
        out.range.pop_back();
    if (!out.range.empty())
        out.range.back().end = std::min(out.range.back().end, tokens);
}

RowKeys AttentionMask::rowKeys(int64_t i, int64_t tokens) const
{
    RowKeys r;
    rowKeys(i, tokens, r);
    return r;
}

KeyRange AttentionMask::blockHull(int64_t i0, int64_t i1, int64_t tokens) const
{
    i0 = std::max<int64_t>(i0, 0);
    i1 = std::min(i1, tokens);
    if (i1 <= i0)
        return {};
    const int64_t end = isCausal() ? i1 : tokens;
    switch (kind) {
    case MaskKind::Sliding:
        return {std::max<int64_t>(0, i0 - window + 1), isCausal() ? i1 : std::min(tokens, i1 - 1 + window)};
    case MaskKind::SlidingSinks:
        // The sinks pull the hull down to 0 whenever there are any.
        return {sinks > 0 ? 0 : std::max<int64_t>(0, i0 - window + 1),
                isCausal() ? i1 : std::min(tokens, std::max(i1 - 1 + window, sinks))};
    default:
        return {0, end};
    }
}

std::string AttentionMask::describe() const
{
    const std::string suffix = (kind != MaskKind::Causal && kind != MaskKind::Bidirectional && !requireCausal) ? " (bidirectional)" : "";
    switch (kind) {
    case MaskKind::Causal: return "causal";
    case MaskKind::Bidirectional: return "bidirectional";
    case MaskKind::Sliding: return "sliding window " + std::to_string(window) + suffix;
    case MaskKind::SlidingSinks:
        return "sliding window " + std::to_string(window) + " + " + std::to_string(sinks) + " sink" + (sinks == 1 ? "" : "s") + suffix;
    case MaskKind::Longformer:
        return "Longformer window " + std::to_string(window) + ", " + std::to_string(globals ? globals->size() : 0) + " global" + suffix;
    case MaskKind::BigBird: return "BigBird blocks of " + std::to_string(block) + suffix;
    case MaskKind::Fixed: return "fixed blocks of " + std::to_string(block) + ", " + std::to_string(stride) + " summary" + suffix;
    case MaskKind::Explicit: return (label.empty() ? std::string("selected keys") : label) + suffix;
    }
    return "?";
}

std::string AttentionMask::maskedReason(int64_t i, int64_t j) const
{
    if (valid(i, j))
        return {};
    if (isCausal() && j > i)
        return "causal: a query cannot see later keys";
    switch (kind) {
    case MaskKind::Sliding:
    case MaskKind::SlidingSinks:
        return "outside the sliding window of " + std::to_string(window) + " keys" +
               (kind == MaskKind::SlidingSinks ? " and not one of the " + std::to_string(sinks) + " sink tokens" : "");
    default: return "not selected by the " + describe() + " pattern";
    }
}

bool AttentionMask::operator==(const AttentionMask& o) const
{
    auto samePtr = [](const auto& a, const auto& b) { return a == b || (a && b && *a == *b); };
    return kind == o.kind && requireCausal == o.requireCausal && window == o.window && sinks == o.sinks &&
           block == o.block && stride == o.stride && samePtr(globals, o.globals) && samePtr(blocks, o.blocks) &&
           samePtr(bits, o.bits) && label == o.label;
}

} // namespace attnscope
