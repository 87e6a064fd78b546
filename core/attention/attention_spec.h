// An attention variant as a value (docs/VARIANTS.md): what replaces a layer's attention in a what-if run, on all
// layers or a layer set. It round-trips through a string `NAME[:key=value,...][@layers=SET]` used by the CLI,
// sessions and the GUI editor alike, e.g.
//   sliding:window=64,sinks=4@layers=20-29     longformer:window=32,global=0;5;9     topk:k=8
// The parameter table (names, types, defaults, ranges) is in attention_spec.cpp; a malformed spec is refused with
// one message naming the bad key. Every variant keeps the model's own causality: a causal model never sees the
// future under any variant, and BERT stays bidirectional.
// Threading: a plain value.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace attnscope {

enum class VariantKind : uint8_t {
    Full,        // the model's own attention (the baseline, with its own sliding-window layers)
    Sliding,     // sliding window of W keys (+ S sink tokens: StreamingLLM)
    Longformer,  // band |i − j| ≤ W/2 plus global tokens
    BigBird,     // blocks: sliding blocks, global blocks, seeded random blocks
    Fixed,       // Sparse Transformer fixed pattern
    Hier,        // local window + mean-pooled region summaries + global tokens
    TopK,        // the K largest logits of each row
    Threshold,   // drop weights below p and renormalise
    Lsh,         // Reformer: attend within shared hash buckets
    Cluster,     // Routing Transformer: k-means over queries and keys, attend within a cluster
    Nsa,         // NSA-style: compressed blocks + selected blocks + sliding window, equal weights
    Linear,      // linear attention, φ = elu + 1
    Performer,   // FAVOR+ positive random features
    Linformer,   // keys/values mean-pooled to K segments
    OffByOne,    // a sink column with logit 0 ("softmax off by one")
    Sink,        // a sink column with logit b
    Gqa,         // K/V heads regrouped into G groups by averaging their projections
    Mqa,         // one K/V head (G = 1)
    Count
};

/// A set of layers: empty = every layer. Parsed from "20-29", "0,5,10-12".
struct LayerSet {
    std::vector<std::pair<int, int>> ranges;   // inclusive, sorted, disjoint
    bool all() const { return ranges.empty(); }
    bool contains(int layer) const;
    /// Smallest layer in the set (0 when all).
    int first() const { return ranges.empty() ? 0 : ranges.front().first; }
    int last() const { return ranges.empty() ? INT32_MAX : ranges.back().second; }
    std::string toString() const;
    bool operator==(const LayerSet&) const = default;
};

struct AttentionSpec {
    VariantKind kind = VariantKind::Full;
    std::map<std::string, double> numbers;             // numeric parameters that differ from their defaults
    std::map<std::string, std::vector<int64_t>> lists; // list parameters (Longformer's global positions)
    std::map<std::string, std::string> words;          // word parameters (linear's feature map)
    LayerSet layers;

    /// Throws Error(Usage) with one line naming the bad key or value.
    static AttentionSpec parse(const std::string& text);
    /// The canonical string: parameters in table order, defaults omitted; parse(toString()) == *this.
    std::string toString() const;
    /// "sliding window 64 + 4 sinks on layers 20–29" for labels.
    std::string describe() const;
    const char* name() const;

    bool appliesTo(int layer) const { return kind != VariantKind::Full && layers.contains(layer); }
    /// The parameter's value (its default when not set).
    double number(const std::string& key) const;
    int64_t integer(const std::string& key) const { return static_cast<int64_t>(number(key)); }
    const std::vector<int64_t>& list(const std::string& key) const;
    std::string word(const std::string& key) const;

    /// Kinds whose map is a fixed pattern over the model's softmax (a mask value).
    bool isMaskPattern() const;
    /// Kinds computed by the variant-attention op (data-dependent selection, pooled or kernelised maps).
    bool needsVariantOp() const;
    /// Builds the mask of a mask-pattern kind for a sequence of `tokens` on layer `layer` (BigBird's random
    /// blocks depend on the seed and the layer).
    AttentionMask mask(int64_t tokens, int layer, bool causal) const;

    bool operator==(const AttentionSpec&) const = default;
};

/// One row of the parameter table, for the GUI editor and --help.
struct VariantParamInfo {
    const char* key;
    const char* type;          // "int", "number", "list", "word"
    const char* defaultValue;  // nullptr = required
    const char* help;
};
struct VariantInfo {
    VariantKind kind;
    const char* name;
    const char* summary;
    std::vector<VariantParamInfo> params;
};
std::span<const VariantInfo> variantTable();

} // namespace attnscope
