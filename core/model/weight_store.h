// The converted fp32 weights of an open model on the backend that runs it (docs/ENGINE.md "Weights").
// Dequantising on every run cost ≈ 300 ms of a 1 s 15-token SmolLM2 run, so a store keeps every converted
// tensor for the next run when the whole model fits its budget (resident mode: the lesser of 4 GiB and 30 % of
// the memory available when the store is made). Above the budget it converts one layer at a time and frees it
// after the layer (streaming mode), so peak memory stays about the file size plus one layer.
// Conversion: dequantisation in ggml's order, transposition of Conv1D weights to [out, in], the non-finite
// check ("non-finite values (NaN or Inf) in tensor X"), then an upload to the backend.
// Threading: used by the compute thread only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "core/model/layer_plan.h"

#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <vector>

namespace attnscope {

class LoadedModel;

/// A weight rearranged once at conversion (docs/ENGINE.md "Weights"): the tensor is viewed as `batch` stacked
/// matrices (experts; 1 for an ordinary weight or vector) of rows × cols, each optionally stored [in, out] and
/// transposed to [out, in] first; then, within each matrix, rows are regrouped in blocks of `blockRows`: new block
/// b = old block order[b] (an empty order keeps the rows). Used to split paired differential heads into their two
/// halves and gpt-oss's interleaved gate|up rows, so activations are never de-interleaved at run time.
/// `key` names the layout in the cache (the same tensor may be wanted in two layouts).
struct RowLayout {
    std::string key;
    int64_t batch = 1;
    bool transposeEach = false;
    int64_t blockRows = 1;
    std::vector<int32_t> order;
};

class WeightStore {
public:
    /// budgetBytes = 0: the default budget described above.
    WeightStore(const LoadedModel& model, Backend& backend, uint64_t budgetBytes = 0, bool checkFinite = true);
    ~WeightStore();
    WeightStore(const WeightStore&) = delete;
    WeightStore& operator=(const WeightStore&) = delete;

    /// The tensor as fp32 on the backend ([out, in] for matrices); for a slice (BoundTensor::slice ≥ 0) only that
    /// matrix of the stacked tensor, converted and cached on its own. nullptr for an unbound role.
    /// Throws Error(Model) for non-finite values, Error(Resource) when the backend is out of memory.
    const float* get(const BoundTensor& t);
    /// The tensor rearranged by `layout` (see RowLayout), cached like get(); nullptr for an unbound role.
    /// Throws Error(Internal) when the layout does not fit the tensor's shape.
    const float* getRearranged(const BoundTensor& t, const RowLayout& layout);
    /// Streaming mode: frees the tensors converted since the last call (end of a layer). No-op when resident.
    void endLayer();

    bool resident() const { return m_resident; }
    /// fp32 bytes of every bound tensor of the model, and the budget they were compared with.
    uint64_t modelBytes() const { return m_modelBytes; }
    uint64_t budgetBytes() const { return m_budget; }
    uint64_t heldBytes() const { return m_heldBytes; }
    /// Milliseconds spent converting since the store was made (a rerun of a resident model adds 0).
    double convertMs() const { return m_convertMs; }
    const LoadedModel& model() const { return m_model; }
    Backend& backend() const { return m_backend; }

    /// Default resident budget: min(4 GiB, 30 % of MemAvailable).
    static uint64_t defaultBudget();

private:
    const LoadedModel& m_model;
    Backend& m_backend;
    bool m_checkFinite;
    bool m_resident = false;
    uint64_t m_modelBytes = 0, m_budget = 0, m_heldBytes = 0;
    double m_convertMs = 0;
    using Key = std::pair<const TensorInfo*, std::string>;   // "" = as stored
    std::map<Key, std::unique_ptr<DeviceBuffer>> m_held;
    std::vector<Key> m_layerScratch;   // streaming mode: converted since the last endLayer()
};

} // namespace attnscope
