// Earlier occurrences of each position's token in a token sequence, built once per run and shared by every
// head's duplicate-token and induction scores (core/metrics/head_metrics.h). Stored as one flat list per
// position (CSR), ascending; a text of T equal tokens holds T(T−1)/2 entries, the size of one map's triangle.
// Threading: immutable after construction.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace attnscope {

class TokenRepeats {
public:
    TokenRepeats() = default;
    explicit TokenRepeats(std::span<const int32_t> ids);

    int64_t size() const { return static_cast<int64_t>(m_ids.size()); }
    int32_t id(int64_t position) const { return m_ids[static_cast<size_t>(position)]; }
    /// Positions k < i with id_k = id_i, ascending.
    std::span<const int32_t> earlier(int64_t i) const;

private:
    std::vector<int32_t> m_ids;
    std::vector<int64_t> m_offsets;   // size() + 1
    std::vector<int32_t> m_earlier;
};

} // namespace attnscope
