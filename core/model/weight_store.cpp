// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/weight_store.h"

#include "core/model/loaded_model.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "core/util/memory_budget.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

namespace attnscope {

namespace {

void checkFinite(const Checkpoint& ckpt, const TensorInfo& t, const float* v, size_t n)
{
    // x·0 is NaN exactly when x is NaN or ±Inf; the sum vectorises, unlike per-element isfinite().
    float acc = 0.f;
    for (size_t i = 0; i < n; ++i)
        acc += v[i] * 0.f;
    if (!std::isfinite(acc))
        throw Error(ErrorKind::Model, ckpt.path, t.name, -1, "non-finite values (NaN or Inf) in tensor");
}

} // namespace

uint64_t WeightStore::defaultBudget()
{
    const uint64_t avail = availableMemoryBytes();
    const uint64_t cap = uint64_t(4) << 30;
    return avail ? std::min(cap, avail / 10 * 3) : uint64_t(1) << 30;
}

WeightStore::WeightStore(const LoadedModel& model, Backend& backend, uint64_t budgetBytes, bool checkFiniteValues)
    : m_model(model), m_backend(backend), m_checkFinite(checkFiniteValues)
{
    std::unordered_set<const TensorInfo*> seen;
    auto count = [&](const BoundTensor& b) {
        if (b.info && seen.insert(b.info).second)
            m_modelBytes += b.info->elementCount() * sizeof(float);
    };
    const LayerPlan& p = model.plan();
    for (const BoundTensor& b : p.global)
        count(b);
    for (const auto& layer : p.layers)
        for (const BoundTensor& b : layer)
            count(b);
    for (const auto& layer : p.experts)   // Qwen3-Next's per-expert tensors
        for (const ExpertTensors& e : layer) {
            count(e.gate);
            count(e.up);
            count(e.down);
        }
    m_budget = budgetBytes ? budgetBytes : defaultBudget();
    m_resident = m_modelBytes <= m_budget;
}

WeightStore::~WeightStore() = default;

const float* WeightStore::get(const BoundTensor& b)
{
    if (!b.info)
        return nullptr;
    const Key key{b.info, b.slice >= 0 ? "matrix " + std::to_string(b.slice) : std::string()};
    if (auto it = m_held.find(key); it != m_held.end())
        return it->second->floats();
    const auto t0 = std::chrono::steady_clock::now();
    const Checkpoint& ckpt = m_model.checkpoint();
    const TensorInfo& t = *b.info;
    if (b.transposed && t.shape.size() != 2)
        throw Error(ErrorKind::Internal, ckpt.path, t.name, -1,
                    "a stacked [in, out] tensor must be read through getRearranged (per-matrix transposition)");
    // A slice is matrix `slice` of a stacked [batch, rows, cols] tensor: its rows are contiguous in the file.
    int64_t rowBegin = 0, rowCount = t.rows();
    if (b.slice >= 0) {
        if (t.shape.size() != 3 || b.slice >= t.shape[0] || b.transposed)
            throw Error(ErrorKind::Internal, ckpt.path, t.name, -1,
                        "matrix " + std::to_string(b.slice) + " of a tensor that is not a stack of that many matrices");
        rowCount = t.shape[1];
        rowBegin = b.slice * rowCount;
    }
    const uint64_t n = b.slice >= 0 ? static_cast<uint64_t>(rowCount * t.shape[2]) : t.elementCount();
    const uint64_t bytes = n * sizeof(float);
    std::unique_ptr<DeviceBuffer> buf = m_backend.allocate(bytes);
    if (!buf)
        throw Error(ErrorKind::Resource, ckpt.path, t.name, -1,
                    "out of memory converting the tensor (" + formatBytes(bytes) + " on " + m_backend.name() + ")");
    // Convert on the host (directly into the buffer when it is host memory), then upload.
    std::vector<float> staging;
    float* dst = m_backend.hostMemory() ? buf->floats() : (staging.resize(n), staging.data());
    if (b.transposed) {
        // Stored [in, out]: convert, then transpose into [out, in].
        std::vector<float> tmp(n);
        dequantizeRows(ckpt, t, 0, t.rows(), tmp.data());
        const int64_t rows = t.shape[0], cols = t.shape[1];
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                dst[c * rows + r] = tmp[static_cast<size_t>(r * cols + c)];
    } else if (n > 0) {
        dequantizeRows(ckpt, t, rowBegin, rowCount, dst);
    }
    if (m_checkFinite)
        checkFinite(ckpt, t, dst, n);
    if (!m_backend.hostMemory()) {
        OpStatus s = m_backend.upload(buf->data(), staging.data(), bytes);
        if (!s.ok)
            throw Error(s.outOfMemory ? ErrorKind::Resource : ErrorKind::Internal, ckpt.path, t.name, -1, s.message);
    }
    float* out = buf->floats();
    m_heldBytes += bytes;
    m_held.emplace(key, std::move(buf));
    if (!m_resident)
        m_layerScratch.push_back(key);
    m_convertMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

const float* WeightStore::getRearranged(const BoundTensor& b, const RowLayout& layout)
{
    if (!b.info)
        return nullptr;
    const Key key{b.info, layout.key};
    if (auto it = m_held.find(key); it != m_held.end())
        return it->second->floats();
    const auto t0 = std::chrono::steady_clock::now();
    const Checkpoint& ckpt = m_model.checkpoint();
    const TensorInfo& t = *b.info;
    const uint64_t n = t.elementCount();
    auto bad = [&](const std::string& why) {
        return Error(ErrorKind::Internal, ckpt.path, t.name, -1, "layout '" + layout.key + "': " + why);
    };
    // The stacked matrices as stored: [batch, a, b] for 3-D tensors, [a, b] for matrices, a vector of `batch` parts.
    const int64_t batch = layout.batch;
    if (batch < 1 || n % static_cast<uint64_t>(batch))
        throw bad("the tensor does not split into " + std::to_string(batch) + " matrices");
    int64_t a = 0, c = 1;
    if (t.shape.size() == 3 && t.shape[0] == batch) {
        a = t.shape[1];
        c = t.shape[2];
    } else if (t.shape.size() == 2 && batch == 1) {
        a = t.shape[0];
        c = t.shape[1];
    } else {
        a = static_cast<int64_t>(n / static_cast<uint64_t>(batch));   // vectors (biases): one column
    }
    const int64_t rows = layout.transposeEach ? c : a, cols = layout.transposeEach ? a : c;
    if (layout.blockRows < 1 || rows % layout.blockRows)
        throw bad("rows do not split into blocks of " + std::to_string(layout.blockRows));
    const int64_t blocks = rows / layout.blockRows;
    if (!layout.order.empty() && static_cast<int64_t>(layout.order.size()) != blocks)
        throw bad("the block order names " + std::to_string(layout.order.size()) + " blocks, the matrix has " +
                  std::to_string(blocks));
    for (int32_t o : layout.order)
        if (o < 0 || o >= blocks)
            throw bad("block " + std::to_string(o) + " outside the matrix");
    std::vector<float> stored(n);
    if (n > 0)
        dequantizeRows(ckpt, t, 0, t.rows(), stored.data());
    if (m_checkFinite)
        checkFinite(ckpt, t, stored.data(), n);
    std::vector<float> out(n);
    const int64_t per = rows * cols, br = layout.blockRows;
    for (int64_t e = 0; e < batch; ++e) {
        const float* src = stored.data() + e * per;
        float* dst = out.data() + e * per;
        for (int64_t nb = 0; nb < blocks; ++nb) {
            const int64_t ob = layout.order.empty() ? nb : layout.order[static_cast<size_t>(nb)];
            for (int64_t r = 0; r < br; ++r) {
                const int64_t from = ob * br + r, to = nb * br + r;   // row of the [out, in] matrix
                for (int64_t k = 0; k < cols; ++k)
                    dst[to * cols + k] = layout.transposeEach ? src[k * rows + from] : src[from * cols + k];
            }
        }
    }
    const uint64_t bytes = n * sizeof(float);
    std::unique_ptr<DeviceBuffer> buf = m_backend.allocate(bytes);
    if (!buf)
        throw Error(ErrorKind::Resource, ckpt.path, t.name, -1,
                    "out of memory converting the tensor (" + formatBytes(bytes) + " on " + m_backend.name() + ")");
    OpStatus s = m_backend.upload(buf->data(), out.data(), bytes);
    if (!s.ok)
        throw Error(s.outOfMemory ? ErrorKind::Resource : ErrorKind::Internal, ckpt.path, t.name, -1, s.message);
    float* result = buf->floats();
    m_heldBytes += bytes;
    m_held.emplace(key, std::move(buf));
    if (!m_resident)
        m_layerScratch.push_back(key);
    m_convertMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

void WeightStore::endLayer()
{
    if (m_resident)
        return;
    for (const Key& t : m_layerScratch) {
        auto it = m_held.find(t);
        if (it != m_held.end()) {
            m_heldBytes -= it->second->bytes();
            m_held.erase(it);
        }
    }
    m_layerScratch.clear();
}

} // namespace attnscope
