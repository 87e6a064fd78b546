// The attention mask as a value (docs/ENGINE.md "Masks", docs/VARIANTS.md): which keys j a query i may attend
// to. One predicate and one "valid keys of row i" function, used by the kernels, the fp64 reference, the captured
// maps, the metrics, the renderer and the hover text alike, so no consumer re-derives the mask on its own.
//
// Kinds (`requireCausal` adds j ≤ i to every kind except Bidirectional, which is never causal):
//   Causal         valid(i, j) = j ≤ i
//   Bidirectional  valid(i, j) = true                              (BERT)
//   Sliding        causal: i − j < W;  bidirectional: |i − j| < W  (W keys including self; Mistral, Gemma local layers)
//   SlidingSinks   Sliding ∨ j < S                                 (StreamingLLM: S sink tokens + W recent keys)
//   Longformer     |i − j| ≤ W/2 ∨ i ∈ Γ ∨ j ∈ Γ                  (global tokens Γ)
//   BigBird        block(j) ∈ allowed(block(i)) for blocks of B tokens: sliding, global and seeded random blocks
//   Fixed          block(j) = block(i) ∨ (j mod B) ≥ B − C        (Sparse Transformer "fixed" pattern)
//   Explicit       a T × T bit matrix (data-dependent selections: top-k, threshold, LSH buckets, clusters, NSA)
// The valid keys of a row are returned as disjoint increasing ranges; consumers never assume a prefix.
// A row with no valid key is a *masked row*: kernels write zeros and flag it (never NaN).
// Threading: an immutable value (shared parts are shared_ptr<const>); copy it freely.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

struct KeyRange {
    int64_t begin = 0;   // first valid key
    int64_t end = 0;     // one past the last
    int64_t size() const { return end > begin ? end - begin : 0; }
    bool operator==(const KeyRange&) const = default;
};

/// The valid keys of one row: disjoint, non-empty ranges in increasing key order.
struct RowKeys {
    std::vector<KeyRange> range;
    int count() const { return static_cast<int>(range.size()); }
    int64_t size() const;
};

enum class MaskKind : uint8_t { Causal, Bidirectional, Sliding, SlidingSinks, Longformer, BigBird, Fixed, Explicit };

/// A T × T bit matrix (row-major, rows padded to 64-bit words).
class MaskBits {
public:
    MaskBits(int64_t tokens);
    int64_t tokens() const { return m_tokens; }
    bool get(int64_t i, int64_t j) const { return (m_words[size_t(i * m_stride + j / 64)] >> (j % 64)) & 1u; }
    void set(int64_t i, int64_t j) { m_words[size_t(i * m_stride + j / 64)] |= uint64_t(1) << (j % 64); }
    void rowKeys(int64_t i, RowKeys& out) const;
    bool operator==(const MaskBits& o) const { return m_tokens == o.m_tokens && m_words == o.m_words; }
    /// The raw storage (row i starts at word i·wordsPerRow(); bit j % 64 of word j / 64), for copying the mask
    /// to a device.
    int64_t wordsPerRow() const { return m_stride; }
    const std::vector<uint64_t>& words() const { return m_words; }

private:
    int64_t m_tokens, m_stride;
    std::vector<uint64_t> m_words;
};

/// BigBird's block layout: for each query block, the sorted key blocks it may see.
struct BlockLayout {
    int64_t block = 0;
    std::vector<std::vector<int64_t>> allowed;
    bool operator==(const BlockLayout&) const = default;
};

struct AttentionMask {
    MaskKind kind = MaskKind::Causal;
    bool requireCausal = true;   // Sliding … Explicit: also require j ≤ i
    int64_t window = 0;   // Sliding, SlidingSinks: W keys; Longformer: W (|i − j| ≤ W/2)
    int64_t sinks = 0;    // SlidingSinks: keys 0 … S−1 always valid
    int64_t block = 0;    // Fixed: block B
    int64_t stride = 0;   // Fixed: the last C positions of every block are summary columns
    std::shared_ptr<const std::vector<int64_t>> globals;   // Longformer: sorted global positions
    std::shared_ptr<const BlockLayout> blocks;             // BigBird
    std::shared_ptr<const MaskBits> bits;                  // Explicit
    std::string label;    // Explicit: what made it ("top-8", "LSH 4 buckets × 2 rounds", …)

    static AttentionMask causal() { return {}; }
    static AttentionMask bidirectional();
    static AttentionMask sliding(int64_t window, bool causal = true);
    static AttentionMask slidingWithSinks(int64_t window, int64_t sinks, bool causal = true);
    static AttentionMask longformer(int64_t window, std::vector<int64_t> globals, bool causal);
    static AttentionMask bigbird(std::shared_ptr<const BlockLayout> layout, bool causal);
    static AttentionMask fixed(int64_t block, int64_t stride, bool causal);
    static AttentionMask explicitBits(std::shared_ptr<const MaskBits> bits, std::string label, bool causal);

    bool isCausal() const { return kind != MaskKind::Bidirectional && requireCausal; }

    /// Can query i attend to key j (0 ≤ i, j < tokens)?
    bool valid(int64_t i, int64_t j) const;
    /// The valid keys of row i in a sequence of `tokens` (out is cleared first; reuse it in loops).
    void rowKeys(int64_t i, int64_t tokens, RowKeys& out) const;
    RowKeys rowKeys(int64_t i, int64_t tokens) const;
    int64_t validCount(int64_t i, int64_t tokens) const { return rowKeys(i, tokens).size(); }
    /// Smallest key range that covers the valid keys of every row in [i0, i1) (what a row block must read).
    KeyRange blockHull(int64_t i0, int64_t i1, int64_t tokens) const;
    /// Short stable description for hover text, info and exports: "causal", "bidirectional",
    /// "sliding window 512", "sliding window 64 + 4 sinks", "Longformer window 64, 2 global", …
    std::string describe() const;
    /// Why cell (i, j) is masked, for hover text. Empty when the cell is valid.
    std::string maskedReason(int64_t i, int64_t j) const;

    bool operator==(const AttentionMask& o) const;
};

} // namespace attnscope
