// The attention mask as a value (docs/ENGINE.md "Masks"): which keys j a query i may attend to. One predicate
// and one "valid keys of row i" function, used by the kernels, the fp64 reference, the captured maps, the
// metrics, the renderer and the hover text alike, so no consumer re-derives the mask on its own.
//
// Kinds (decoders are causal, j ≤ i, in every kind except Bidirectional):
//   Causal         valid(i, j) = j ≤ i
//   Bidirectional  valid(i, j) = true                       (BERT: no causal mask anywhere in the path)
//   Sliding        valid(i, j) = j ≤ i ∧ i − j < W         (W keys including self; Mistral, Gemma local layers)
//   SlidingSinks   valid(i, j) = j ≤ i ∧ (j < S ∨ i − j < W) (StreamingLLM: S sink tokens + W recent keys)
// The valid keys of a row are returned as at most two half-open ranges; consumers never assume a prefix.
// A row with no valid key is a *masked row*: kernels write zeros and flag it (never NaN).
// Threading: a plain value; copy it freely.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <string>

namespace attnscope {

struct KeyRange {
    int64_t begin = 0;   // first valid key
    int64_t end = 0;     // one past the last
    int64_t size() const { return end > begin ? end - begin : 0; }
};

/// At most two disjoint ranges of valid keys of one row, in increasing key order.
struct RowKeys {
    KeyRange range[2];
    int count = 0;
    int64_t size() const { return (count > 0 ? range[0].size() : 0) + (count > 1 ? range[1].size() : 0); }
};

enum class MaskKind : uint8_t { Causal, Bidirectional, Sliding, SlidingSinks };

struct AttentionMask {
    MaskKind kind = MaskKind::Causal;
    int64_t window = 0;   // Sliding, SlidingSinks: keys i−W+1 … i (W ≥ 1)
    int64_t sinks = 0;    // SlidingSinks: keys 0 … S−1 always valid (for j ≤ i)

    static AttentionMask causal() { return {}; }
    static AttentionMask bidirectional() { return {MaskKind::Bidirectional, 0, 0}; }
    static AttentionMask sliding(int64_t window) { return {MaskKind::Sliding, window, 0}; }
    static AttentionMask slidingWithSinks(int64_t window, int64_t sinks) { return {MaskKind::SlidingSinks, window, sinks}; }

    bool isCausal() const { return kind != MaskKind::Bidirectional; }

    /// Can query i attend to key j (0 ≤ i, j < tokens)?
    bool valid(int64_t i, int64_t j) const;
    /// The valid keys of row i in a sequence of `tokens`.
    RowKeys rowKeys(int64_t i, int64_t tokens) const;
    int64_t validCount(int64_t i, int64_t tokens) const { return rowKeys(i, tokens).size(); }
    /// Smallest key range that covers the valid keys of every row in [i0, i1) (what a row block must read).
    KeyRange blockHull(int64_t i0, int64_t i1, int64_t tokens) const;
    /// Short stable description for hover text, info and exports: "causal", "bidirectional",
    /// "sliding window 512", "sliding window 64 + 4 sinks".
    std::string describe() const;
    /// Why cell (i, j) is masked, for hover text ("causal: a query cannot see later keys", "outside the
    /// sliding window of 512 keys"). Empty when the cell is valid.
    std::string maskedReason(int64_t i, int64_t j) const;

    bool operator==(const AttentionMask&) const = default;
};

} // namespace attnscope
