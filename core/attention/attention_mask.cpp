// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_mask.h"

#include <algorithm>

namespace attnscope {

bool AttentionMask::valid(int64_t i, int64_t j) const
{
    switch (kind) {
    case MaskKind::Causal: return j <= i;
    case MaskKind::Bidirectional: return true;
    case MaskKind::Sliding: return j <= i && i - j < window;
    case MaskKind::SlidingSinks: return j <= i && (j < sinks || i - j < window);
    }
    return false;
}

RowKeys AttentionMask::rowKeys(int64_t i, int64_t tokens) const
{
    RowKeys r;
    if (i < 0 || i >= tokens)
        return r;
    auto add = [&r](int64_t b, int64_t e) {
        if (e > b)
            r.range[r.count++] = {b, e};
    };
    switch (kind) {
    case MaskKind::Causal: add(0, i + 1); break;
    case MaskKind::Bidirectional: add(0, tokens); break;
    case MaskKind::Sliding: add(std::max<int64_t>(0, i - window + 1), i + 1); break;
    case MaskKind::SlidingSinks: {
        const int64_t winBegin = std::max<int64_t>(0, i - window + 1);
        const int64_t sinkEnd = std::min(sinks, i + 1);
        if (sinkEnd >= winBegin) {
            add(0, i + 1);   // the sinks touch or overlap the window: one range
        } else {
            add(0, sinkEnd);
            add(winBegin, i + 1);
        }
        break;
    }
    }
    return r;
}

KeyRange AttentionMask::blockHull(int64_t i0, int64_t i1, int64_t tokens) const
{
    i0 = std::max<int64_t>(i0, 0);
    i1 = std::min(i1, tokens);
    if (i1 <= i0)
        return {};
    switch (kind) {
    case MaskKind::Causal: return {0, i1};
    case MaskKind::Bidirectional: return {0, tokens};
    case MaskKind::Sliding: return {std::max<int64_t>(0, i0 - window + 1), i1};
    case MaskKind::SlidingSinks: {
        // The sinks pull the hull down to 0 whenever any row of the block has one.
        const bool anySink = sinks > 0;
        return {anySink ? 0 : std::max<int64_t>(0, i0 - window + 1), i1};
    }
    }
    return {};
}

std::string AttentionMask::describe() const
{
    switch (kind) {
    case MaskKind::Causal: return "causal";
    case MaskKind::Bidirectional: return "bidirectional";
    case MaskKind::Sliding: return "sliding window " + std::to_string(window);
    case MaskKind::SlidingSinks:
        return "sliding window " + std::to_string(window) + " + " + std::to_string(sinks) + " sink" + (sinks == 1 ? "" : "s");
    }
    return "?";
}

std::string AttentionMask::maskedReason(int64_t i, int64_t j) const
{
    if (valid(i, j))
        return {};
    if (isCausal() && j > i)
        return "causal: a query cannot see later keys";
    return "outside the sliding window of " + std::to_string(window) + " keys" +
           (kind == MaskKind::SlidingSinks ? " and not one of the " + std::to_string(sinks) + " sink tokens" : "");
}

} // namespace attnscope
