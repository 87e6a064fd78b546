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
    for (const auto& layer : p.experts)
        for (const ExpertTensors& e : layer) {
            count(e.gate);
            count(e.up);
            count(e.down);
        }
    m_budget = budgetBytes ? budgetBytes : defaultBudget();
    m_resident = m_modelBytes <= m_budget;
}

WeightStore::~WeightStore() = default;

std::unique_ptr<DeviceBuffer> WeightStore::allocateFor(const TensorInfo& t, uint64_t floats)
{
    const uint64_t bytes = floats * sizeof(float);
    std::unique_ptr<DeviceBuffer> buf = m_backend.allocate(bytes);
    if (!buf)
        throw Error(ErrorKind::Resource, m_model.checkpoint().path, t.name, -1,
                    "out of memory converting the tensor (" + formatBytes(bytes) + " on " + m_backend.name() + ")");
    return buf;
}

void WeightStore::convert(const BoundTensor& b, float* dst)
{
    const Checkpoint& ckpt = m_model.checkpoint();
    const TensorInfo& t = *b.info;
    const uint64_t n = t.elementCount();
    if (b.transposed && t.shape.size() == 2) {
        // Stored [in, out]: convert, then transpose into [out, in].
        std::vector<float> tmp(n);
        dequantizeRows(ckpt, t, 0, t.rows(), tmp.data());
        const int64_t rows = t.shape[0], cols = t.shape[1];
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                dst[c * rows + r] = tmp[static_cast<size_t>(r * cols + c)];
    } else if (n > 0) {
        dequantizeRows(ckpt, t, 0, t.rows(), dst);
    }
    if (m_checkFinite)
        checkFinite(ckpt, t, dst, n);
}

const float* WeightStore::hold(Key key, std::unique_ptr<DeviceBuffer> buf)
{
    float* out = buf->floats();
    m_heldBytes += buf->bytes();
    if (!m_resident)
        m_layerScratch.push_back(key);
    m_held.emplace(std::move(key), std::move(buf));
    return out;
}

const float* WeightStore::get(const BoundTensor& b)
{
    if (!b.info)
        return nullptr;
    Key key{b.info, {}};
    if (auto it = m_held.find(key); it != m_held.end())
        return it->second->floats();
    const auto t0 = std::chrono::steady_clock::now();
    const TensorInfo& t = *b.info;
    const uint64_t n = t.elementCount();
    std::unique_ptr<DeviceBuffer> buf = allocateFor(t, n);
    // Convert on the host (directly into the buffer when it is host memory), then upload.
    std::vector<float> staging;
    float* dst = m_backend.hostMemory() ? buf->floats() : (staging.resize(n), staging.data());
    convert(b, dst);
    if (!m_backend.hostMemory()) {
        OpStatus s = m_backend.upload(buf->data(), staging.data(), n * sizeof(float));
        if (!s.ok)
            throw Error(s.outOfMemory ? ErrorKind::Resource : ErrorKind::Internal, m_model.checkpoint().path, t.name, -1, s.message);
    }
    const float* out = hold(std::move(key), std::move(buf));
    m_convertMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

const float* WeightStore::getRows(const BoundTensor& b, const std::vector<RowRange>& ranges)
{
    if (!b.info)
        return nullptr;
    Key key{b.info, ranges};
    if (auto it = m_held.find(key); it != m_held.end())
        return it->second->floats();
    const auto t0 = std::chrono::steady_clock::now();
    const TensorInfo& t = *b.info;
    // Rows of the [out, in] matrix as the GEMM sees it; a vector's rows are its elements.
    const bool matrix = t.shape.size() >= 2;
    const int64_t rows = !matrix ? (t.shape.empty() ? 1 : t.shape[0]) : (b.transposed ? t.shape[1] : t.rows());
    const int64_t cols = !matrix ? 1 : static_cast<int64_t>(t.elementCount()) / std::max<int64_t>(rows, 1);
    int64_t selected = 0;
    for (const RowRange& r : ranges) {
        if (r.begin < 0 || r.count < 0 || r.begin + r.count > rows)
            throw Error(ErrorKind::Internal, m_model.checkpoint().path, t.name, -1,
                        "row selection [" + std::to_string(r.begin) + ", " + std::to_string(r.begin + r.count) +
                            ") outside the tensor's " + std::to_string(rows) + " rows");
        selected += r.count;
    }
    std::vector<float> whole(t.elementCount());
    convert(b, whole.data());
    std::vector<float> picked(static_cast<size_t>(selected * cols));
    float* dst = picked.data();
    for (const RowRange& r : ranges) {
        std::copy_n(whole.data() + r.begin * cols, static_cast<size_t>(r.count * cols), dst);
        dst += r.count * cols;
    }
    std::unique_ptr<DeviceBuffer> buf = allocateFor(t, picked.size());
    const OpStatus s = m_backend.upload(buf->data(), picked.data(), picked.size() * sizeof(float));
    if (!s.ok)
        throw Error(s.outOfMemory ? ErrorKind::Resource : ErrorKind::Internal, m_model.checkpoint().path, t.name, -1, s.message);
    const float* out = hold(std::move(key), std::move(buf));
    m_convertMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

void WeightStore::endLayer()
{
    if (m_resident)
        return;
    for (const Key& k : m_layerScratch) {
        auto it = m_held.find(k);
        if (it != m_held.end()) {
            m_heldBytes -= it->second->bytes();
            m_held.erase(it);
        }
    }
    m_layerScratch.clear();
}

} // namespace attnscope
