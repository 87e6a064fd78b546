// Where the parts of a packed projection sit, as row selections, and the WeightStore::getRearranged layout that
// puts the parts one after the other once at conversion (so the forward never de-interleaves activations):
//   - a gated q_proj (docs/GATED.md "Layouts"): the query rows and the output-gate rows, in the layout the
//     config names — per KV group (qiuzh20/gated_attention modeling_qwen3.py: q_proj output viewed as
//     [H_kv, G·d + G·w], queries of the group's G heads first, then their gates) or per head interleaved
//     (transformers qwen3_next: viewed as [H, 2d], [query | gate]); w = 1 (headwise) or d (elementwise);
//   - a Gated DeltaNet in_proj_qkvz / in_proj_ba (transformers qwen3_next fix_query_key_value_ordering): per key
//     head g, [q (dk) | k (dk) | v (r·dv) | z (r·dv)] and [b (r) | a (r)], r = value heads per key head.
// The results are head-major: queries [H·d], gates [H·w], q | k | v [2·Hk·dk + Hv·dv], z [Hv·dv], b and a [Hv].
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/model/model_config.h"
#include "core/model/weight_store.h"

#include <vector>

namespace attnscope {

/// Rows [begin, begin + count) of a tensor ([out, in] matrices: output rows; vectors: elements).
struct RowRange {
    int64_t begin = 0;
    int64_t count = 0;
    auto operator<=>(const RowRange&) const = default;
};

/// Σ count.
int64_t rowCount(const std::vector<RowRange>& ranges);
/// A row permutation (blocks of one row) that puts `parts` one after the other: part i starts at row
/// Σ_{j<i} rowCount(part j) of the rearranged tensor. The parts must cover every row of the tensor exactly once
/// (getRearranged checks the size); `key` names the layout in the weight store's cache.
RowLayout concatenatedRows(std::string key, const std::vector<std::vector<RowRange>>& parts);

/// Gate values per head and token: 0 (no gate), 1 (headwise) or d (elementwise).
int64_t gateWidth(OutputGate g, int64_t headDim);
/// Rows of q_proj under the gate: H·d, H·d + H (headwise) or 2·H·d (elementwise).
int64_t packedQueryRowCount(OutputGate g, int64_t heads, int64_t headDim);
/// The query rows and the gate rows of a packed q_proj, head-major (adjacent ranges merged).
std::vector<RowRange> packedQueryRows(GateLayout layout, OutputGate g, int64_t heads, int64_t kvHeads, int64_t headDim);
std::vector<RowRange> packedGateRows(GateLayout layout, OutputGate g, int64_t heads, int64_t kvHeads, int64_t headDim);

struct DeltaNetRows {
    std::vector<RowRange> qkv;   // of in_proj_qkvz: every key head's q, then every k, then every value head's v
    std::vector<RowRange> z;     // of in_proj_qkvz: the output gate z per value head
    std::vector<RowRange> b;     // of in_proj_ba: β logits per value head
    std::vector<RowRange> a;     // of in_proj_ba: decay inputs per value head
};
DeltaNetRows deltaNetProjectionRows(const DeltaNetDims& d);

} // namespace attnscope
