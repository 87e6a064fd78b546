// The converted fp32 weights of an open model on the backend that runs it (docs/ENGINE.md "Weights").
// Dequantising on every run cost ≈ 300 ms of a 1 s 15-token SmolLM2 run, so a store keeps every converted
// tensor for the next run when the whole model fits its budget (resident mode: the lesser of 4 GiB and 30 % of
// the memory available when the store is made). Above the budget it converts one layer at a time and frees it
// after the layer (streaming mode), so peak memory stays about the file size plus one layer.
// Conversion: dequantisation in ggml's order, transposition of Conv1D weights to [out, in], the non-finite
// check ("non-finite values (NaN or Inf) in tensor X"), then an upload to the backend.
// Derived weights: getRows() returns chosen rows of a tensor as one matrix (the query rows and the gate rows of a
// packed q_proj, the q/k/v and z parts of a Gated DeltaNet in_proj_qkvz), converted once and kept like the
// tensor itself, so the forward never de-interleaves activations at run time.
// Threading: used by the compute thread only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "core/model/layer_plan.h"

#include <cstdint>
#include <memory>
#include <map>
#include <vector>

namespace attnscope {

class LoadedModel;

/// Rows [begin, begin + count) of a tensor ([out, in] matrices: output rows; vectors: elements).
struct RowRange {
    int64_t begin = 0;
    int64_t count = 0;
    auto operator<=>(const RowRange&) const = default;
};

class WeightStore {
public:
    /// budgetBytes = 0: the default budget described above.
    WeightStore(const LoadedModel& model, Backend& backend, uint64_t budgetBytes = 0, bool checkFinite = true);
    ~WeightStore();
    WeightStore(const WeightStore&) = delete;
    WeightStore& operator=(const WeightStore&) = delete;

    /// The tensor as fp32 on the backend ([out, in] for matrices); nullptr for an unbound role.
    /// Throws Error(Model) for non-finite values, Error(Resource) when the backend is out of memory.
    const float* get(const BoundTensor& t);
    /// The rows `ranges` of the tensor, concatenated in order, as one fp32 matrix [Σ count, in] (a vector's
    /// elements for 1-D tensors); converted once and held like get()'s tensors. The source tensor itself is not
    /// kept unless get() asked for it. Throws Error(Internal) for ranges outside the tensor.
    const float* getRows(const BoundTensor& t, const std::vector<RowRange>& ranges);
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
    /// A held tensor: the whole tensor (no ranges) or a row selection of it.
    struct Key {
        const TensorInfo* info = nullptr;
        std::vector<RowRange> rows;
        auto operator<=>(const Key&) const = default;
    };
    /// Converts the whole tensor into host floats ([out, in] after any transposition).
    void convert(const BoundTensor& b, float* dst);
    const float* hold(Key key, std::unique_ptr<DeviceBuffer> buf);
    std::unique_ptr<DeviceBuffer> allocateFor(const TensorInfo& t, uint64_t floats);

    std::map<Key, std::unique_ptr<DeviceBuffer>> m_held;
    std::vector<Key> m_layerScratch;   // streaming mode: converted since the last endLayer()
};

} // namespace attnscope
