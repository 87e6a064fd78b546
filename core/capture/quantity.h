// The capture schema (docs/ENGINE.md "Capture schema"): every quantity a run can capture is one row of a table
// with its shape, value domain and the kind of view that suits it. Observers ask for quantities by key, results
// are stored by (quantity, layer, head), colour scales follow the value domain. Adding a quantity is a row here
// plus the forward code that produces it: no new observer virtual, no new result slot, no new session field.
// Threading: immutable table; any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace attnscope {

/// Series shapes, per (layer, head): Gate [T] (headwise) or [T, d] (elementwise); SinkProb [T]; AttnOutNormPre/Post
/// [T] (the L2 norm of the head's d-dim SDPA output per token); Lambda [1] (DIFF V1, one λ per head) or [T]
/// (DIFF V2, per token). Gated DeltaNet layers (no softmax map) are keyed by value head: DeltaBeta and DeltaDecay
/// [T], DeltaOutputGate [T, d_v].
enum class Quantity : uint8_t {
    AttentionProbs,     // softmax probabilities of a head, T × T (the baseline map, or a variant's effective map)
    AttentionProbs2,    // the second softmax map of a differential head (A2), T × T
    AttentionCombined,  // the effective map of a combined head (A1 − λ·A2), T × T, signed
    Gate,               // output-gate values σ(x W) of a head: T (headwise) or T × d (elementwise)
    SinkProb,           // per-row mass taken by a (learned or virtual) sink column, T
    AttnOutNormPre,     // |SDPA output| per token before the output gate, T
    AttnOutNormPost,    // |SDPA output| per token after the output gate, T
    Lambda,             // differential λ of a head (V1: scalar; V2: per token, T)
    HiddenState,        // the residual stream after a layer, T × d_model (head = −1)
    FinalHidden,        // the model's output hidden state (after the final norm where there is one), T × d_model
                        // (layer = −1, head = −1): what BERT-style encoders produce instead of next-token logits
    Queries,            // a layer's queries as the attention sees them (after q-norm and RoPE), T × heads·d
    Keys,               // a layer's keys as the attention sees them (after k-norm and RoPE), T × kv_heads·d
    // Long prompts (docs/LONG-CONTEXT.md): what a head keeps instead of its T × T map.
    RowLogSumExp,       // per-row normaliser of a head, [2, T]: row 0 the max m_i of the row's logits (+inf on a
                        // masked row), row 1 log Σ_j exp(s_ij − m_i); with Queries and Keys any tile of the map is
                        // recomputed exactly as exp((scale·q·k − m) − logΣ)
    HeadScores,         // the head's overview scores computed row by row (HeadMetric order), [count]
    CoarseMax,          // the map max-pooled to at most 256 × 256 cells, [C, C] (NaN: every cell masked)
    CoarseMean,         // the map mean-pooled over its unmasked cells to the same grid, [C, C]
    DeltaBeta,          // Gated DeltaNet β_t = σ(b_t) of a value head: how strongly token t writes the state, T
    DeltaDecay,         // Gated DeltaNet exp(g_t) of a value head: the share of the state kept at token t, T
    DeltaOutputGate,    // Gated DeltaNet output gate SiLU(z) of a value head, T × d_v (signed: SiLU dips below 0)
    Count
};

/// How the values are laid out per captured item.
enum class QuantityShape : uint8_t {
    HeadMap,      // one T × T map per (layer, head), rows = queries, columns = keys, carries its mask
    HeadSeries,   // one vector (or T × k matrix) per (layer, head)
    LayerSeries,  // one T × k matrix per layer (head = −1), or per model (layer = −1)
};

/// What the numbers mean; chooses the colour scale (sequential for probabilities and gates, diverging and
/// zero-centred for signed values).
enum class ValueDomain : uint8_t {
    Probability,  // [0, 1], rows sum to ≤ 1
    Signed,       // any sign; centred at 0
    Gate,         // [0, 1], independent values
    NonNegative,  // [0, ∞): norms
};

/// The view a quantity suits best.
enum class ViewHint : uint8_t { Heatmap, DivergingHeatmap, Series };

struct QuantityInfo {
    Quantity quantity;
    const char* key;        // stable id for sessions, CLI and exports: "attention.probs", "gate", …
    const char* label;      // human-readable
    QuantityShape shape;
    ValueDomain domain;
    ViewHint view;
};

/// The schema, one row per quantity in enum order.
std::span<const QuantityInfo> quantitySchema();
const QuantityInfo& quantityInfo(Quantity q);
/// Parses a key ("attention.probs"); returns false when unknown.
bool quantityFromKey(const std::string& key, Quantity& out);

/// (quantity, layer, head): where a captured item lives. head = −1 for per-layer items.
struct CaptureKey {
    Quantity quantity = Quantity::AttentionProbs;
    int layer = 0;
    int head = 0;
    auto operator<=>(const CaptureKey&) const = default;
};

} // namespace attnscope
