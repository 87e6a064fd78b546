// differenceMap: cell-wise subtraction under the union of the two masks.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/difference_map.h"

namespace attnscope {

AttentionMapPtr differenceMap(const AttentionMapPtr& a, const AttentionMapPtr& b)
{
    if (!a || !b || a->tokens != b->tokens || a->tokens <= 0 || a->probs.size() != b->probs.size())
        return nullptr;
    const int64_t T = a->tokens;
    auto d = std::make_shared<AttentionMap>();
    d->quantity = Quantity::AttentionCombined;
    d->layer = a->layer;
    d->head = a->head;
    d->kvHead = a->kvHead;
    d->tokens = T;
    d->probs.resize(a->probs.size());
    for (size_t k = 0; k < a->probs.size(); ++k)
        d->probs[k] = a->probs[k] - b->probs[k];
    const bool causal = a->mask.isCausal() && b->mask.isCausal();
    if (a->mask == b->mask) {
        d->mask = a->mask;
    } else {
        auto bits = std::make_shared<MaskBits>(T);
        RowKeys keys;
        for (int64_t i = 0; i < T; ++i)
            for (const AttentionMask* m : {&a->mask, &b->mask}) {
                m->rowKeys(i, T, keys);
                for (const KeyRange& r : keys.range)
                    for (int64_t j = r.begin; j < r.end; ++j)
                        bits->set(i, j);
            }
        d->mask = AttentionMask::explicitBits(std::move(bits), "valid in either map", causal);
    }
    d->maskedRows.assign(static_cast<size_t>(T), 0);
    RowKeys keys;
    for (int64_t i = 0; i < T; ++i) {
        d->mask.rowKeys(i, T, keys);
        d->maskedRows[static_cast<size_t>(i)] = keys.range.empty() ? 1 : 0;
    }
    return d;
}

} // namespace attnscope
