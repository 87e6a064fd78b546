// The captured items of one run, keyed by (quantity, layer, head) (docs/ENGINE.md "Capture schema"). Front ends
// hold results through it instead of one slot per head, so a new quantity needs no new field anywhere.
// Threading: filled by one thread; once published (shared as const) read from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/results/attention_map.h"

#include <map>
#include <vector>

namespace attnscope {

class CaptureStore {
public:
    void add(AttentionMapPtr map);
    void add(CapturedSeriesPtr series);
    /// Adds every item of `other` (replacing items with the same key).
    void merge(const CaptureStore& other);
    void clear();

    /// nullptr when not captured.
    AttentionMapPtr map(Quantity q, int layer, int head) const;
    AttentionMapPtr map(int layer, int head) const { return map(Quantity::AttentionProbs, layer, head); }
    CapturedSeriesPtr series(Quantity q, int layer, int head) const;
    /// All captured maps of quantity q in one layer, indexed by head (entries may be null); `heads` wide.
    std::vector<AttentionMapPtr> layerMaps(Quantity q, int layer, int heads) const;
    /// Every map of quantity q as a layers × heads grid (index layer * heads + head; null = not captured).
    std::vector<AttentionMapPtr> grid(Quantity q, int layers, int heads) const;
    bool has(Quantity q) const;
    size_t mapCount() const { return m_maps.size(); }
    size_t seriesCount() const { return m_series.size(); }
    bool empty() const { return m_maps.empty() && m_series.empty(); }
    /// Bytes held by the captured values (for budgets and the status bar).
    uint64_t bytes() const;

    const std::map<CaptureKey, AttentionMapPtr>& maps() const { return m_maps; }
    const std::map<CaptureKey, CapturedSeriesPtr>& allSeries() const { return m_series; }

private:
    std::map<CaptureKey, AttentionMapPtr> m_maps;
    std::map<CaptureKey, CapturedSeriesPtr> m_series;
};

} // namespace attnscope
