// One head's full map of a long run written without ever holding it (docs/LONG-CONTEXT.md "Figures and data
// export"): rows are recomputed exactly from the run's queries, keys and row normaliser
// (core/attention/tile_recompute.h) one block at a time and handed to the writer — the HDF5 writer writes each
// block into its chunks, the .npy writer writes the header and then the rows.
// Threading: pure functions over immutable inputs; they start and join their own workers.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/tile_recompute.h"
#include "core/capture/quantity.h"
#include "core/io/byte_sink.h"

#include <cstdint>
#include <memory>
#include <string>

namespace attnscope {

/// A map a data export streams: which (quantity, layer, head) it is saved as, and what recomputes it.
struct StreamedMap {
    Quantity quantity = Quantity::AttentionProbs;
    int layer = 0;
    int head = 0;
    std::shared_ptr<const HeadTileSource> source;
};

/// Rows a block holds: 256 (one HDF5 chunk row; 8 MB at 8,192 tokens, 32 MB at 32,768).
inline constexpr int64_t kStreamedRowBlock = 256;

/// Rows [i0, i1) of the map, T values each (masked cells 0), into out; only the keys inside the mask's hull of
/// the block are computed, split over `threads` workers (≤ 0: the hardware's).
void streamedMapRows(const HeadTileSource& src, int64_t i0, int64_t i1, float* out, int threads = 0);

/// A float32 [T, T] .npy of the map: the header, then the rows block by block.
bool writeStreamedMapNpy(ByteSink& sink, const HeadTileSource& src, std::string& error);

} // namespace attnscope
