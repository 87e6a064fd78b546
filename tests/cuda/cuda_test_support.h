// Shared helpers of the GPU tests: the CUDA backend of this machine (or the probe's reason to skip), device
// arrays through the backend interface, and the error measures with the tolerances of docs/CUDA.md.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "kernels/cuda/cuda_backend.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace attnscope::test {

/// The CUDA backend, or null with `reason` set when this machine cannot run it.
inline std::unique_ptr<Backend> cudaBackendOrReason(std::string& reason)
{
    auto f = cuda::makeCudaBackendFactory();
    if (!f->probe(reason))
        return nullptr;
    return f->create();
}

/// Skips the calling test with the probe's reason when no GPU works here.
#define ATTNSCOPE_REQUIRE_CUDA(var)                                                                           \
    std::string var##Reason;                                                                                  \
    std::unique_ptr<Backend> var = ::attnscope::test::cudaBackendOrReason(var##Reason);                       \
    if (!var)                                                                                                 \
        GTEST_SKIP() << "no usable CUDA device (" << var##Reason << "): GPU test not run";

/// A device buffer of T holding a copy of host values.
template <typename T>
struct DeviceArray {
    std::unique_ptr<DeviceBuffer> buf;
    size_t n = 0;
    T* data() const { return buf ? static_cast<T*>(buf->data()) : nullptr; }
};

template <typename T>
DeviceArray<T> toDevice(Backend& b, const std::vector<T>& host)
{
    DeviceArray<T> d;
    d.n = host.size();
    d.buf = b.allocate(std::max<size_t>(host.size(), 1) * sizeof(T));
    EXPECT_TRUE(d.buf) << "device allocation failed";
    if (d.buf && !host.empty()) {
        EXPECT_TRUE(b.upload(d.buf->data(), host.data(), host.size() * sizeof(T)).ok);
    }
    return d;
}

template <typename T>
std::vector<T> toHost(Backend& b, const DeviceArray<T>& d)
{
    std::vector<T> h(d.n);
    if (d.n) {
        EXPECT_TRUE(b.download(h.data(), d.buf->data(), d.n * sizeof(T)).ok);
    }
    return h;
}

/// int64 → size_t for sizes (avoids `std::vector<float> v(size_t(n))` parsing as a function declaration).
inline size_t sz(int64_t v) { return static_cast<size_t>(v); }

inline std::vector<float> randomVector(size_t n, unsigned seed, float spread = 1.f)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, spread);
    std::vector<float> v(n);
    for (float& x : v)
        x = dist(rng);
    return v;
}

/// max |a − b| / max |b| (the relative error of the tensor in the max norm; 0 when both are zero). The per-op
/// tolerances of docs/CUDA.md are in this measure: 1e-5 for fp32 ops, 2e-3 for the fp16/bf16 paths.
inline double relError(const std::vector<float>& a, const std::vector<float>& b)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (std::isnan(a[i]) || std::isnan(b[i]))
            return INFINITY;   // NaN never passes (std::max would drop it)
        if (std::isinf(a[i]) || std::isinf(b[i])) {
            if (a[i] != b[i])
                return INFINITY;
            continue;   // the same infinity (LSE of a masked row)
        }
        num = std::max(num, std::fabs(double(a[i]) - double(b[i])));
        den = std::max(den, std::fabs(double(b[i])));
    }
    if (a.size() != b.size())
        return INFINITY;
    return den > 0 ? num / den : num;
}

inline double maxAbsError(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) || std::isnan(b[i]))
            return INFINITY;
        if (std::isinf(a[i]) || std::isinf(b[i])) {
            if (a[i] != b[i])
                return INFINITY;
            continue;
        }
        m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
    }
    return m;
}

} // namespace attnscope::test
