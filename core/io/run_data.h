// What a data export holds (docs/EXPORT.md "Data files"): a run's provenance (model file, hash, architecture,
// prompt, variant), its tokens and the captured items by (quantity, layer, head), optionally the per-layer
// residual statistics and the layers × heads score table. The same value feeds the HDF5, .npz and CSV writers,
// so the files agree on names and shapes: a map quantity is one float32 [heads, T, T] array per layer, a head
// series one [heads, …] array per layer, a layer series one array per layer.
// Threading: an immutable value once built; the captured items are shared, never copied.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/streamed_map.h"
#include "core/metrics/head_metrics.h"
#include "core/results/capture_store.h"
#include "core/tokenizer/tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace attnscope {

struct RunDataInfo {
    std::string modelName;
    std::string modelPath;
    std::string modelHash;       // "sha256:<hex>" of the model file (or folder), "" when not computed
    std::string architecture;    // as the file names it ("llama", "gemma3", …)
    std::string fileFormat;      // "gguf", "safetensors", "hf-folder"
    std::string prompt;
    std::string variant;         // the attention variant's canonical spec; "" = the model's own attention
    std::string appVersion;
    std::string backend;
    int layers = 0, heads = 0, kvHeads = 0, headDim = 0;
};

struct RunData {
    RunDataInfo info;
    TokenizedText tokens;
    CaptureStore captures;
    std::vector<LayerStats> layerStats;      // empty = not exported
    std::optional<MetricsTable> metrics;     // the head scores, when computed
    /// Heads of a long run whose full maps are written by recomputing row blocks (HDF5, .npy), saved as
    /// "<quantity>/layer_<i>" like stored maps (heads not listed are NaN).
    std::vector<StreamedMap> streamedMaps;
};

/// The name a captured item's array has in every export format: "<quantity key>/layer_<i>" (a layer's heads
/// stacked), "<quantity key>/model" for whole-model items (layer −1).
std::string dataArrayName(Quantity q, int layer);

/// One layer's arrays of a quantity, gathered from the store: for maps [heads, T, T] (heads not captured are
/// NaN), for head series [heads, …] (the series' own shape), for layer series the series' shape.
struct LayerArray {
    Quantity quantity = Quantity::AttentionProbs;
    int layer = 0;
    std::vector<int64_t> shape;              // outermost first
    std::vector<AttentionMapPtr> maps;       // map quantities: by head (null = not captured)
    std::vector<CapturedSeriesPtr> series;   // series quantities: by head (or one entry for layer series)
    std::vector<int32_t> capturedHeads;
};

/// Every (quantity, layer) array present in the store, in schema order then layer order. Items whose shapes
/// disagree within a layer (which the engine never produces) are left out of the array and reported in
/// `skipped` rather than written inconsistently.
std::vector<LayerArray> gatherLayerArrays(const RunData& run, std::vector<std::string>* skipped = nullptr);

/// Copies row `r` (outermost index) of a layer array into `out` (size = product of the inner dims): a head's
/// T × T map, or its series; NaN where the head was not captured.
void fillLayerArrayRow(const LayerArray& a, int64_t r, float* out);

/// Metadata as a JSON object text (for the .npz "meta" member and sidecars).
std::string runDataMetaJson(const RunData& run);

} // namespace attnscope
