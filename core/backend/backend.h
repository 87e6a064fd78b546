// The compute-backend interface (ARCHITECTURE §5). Core defines it; kernels/ implement it (CPU always, CUDA
// when built); only app/ links the implementations and registers them (kernels/backends).
// Op arguments are POD structs of sizes, strides and pointers so that a backend can later live behind a proxy.
// The CPU backend takes host pointers; a device backend receives host pointers too for now and stages them.
// Threading: a Backend is owned and used by one compute thread at a time.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace attnscope {

enum class OpKind { Gemm, RmsNorm, Rope, SwiGlu, Attention, Count };
const char* opKindName(OpKind k);

/// C[m×n] = A[m×k] · B[n×k]ᵀ + beta·C. Row-major with leading dimensions (B is a PyTorch [out, in] weight).
struct GemmArgs {
    int64_t m = 0, n = 0, k = 0;
    const float* a = nullptr; int64_t lda = 0;
    const float* b = nullptr; int64_t ldb = 0;
    float* c = nullptr; int64_t ldc = 0;
    float beta = 0.f;
};

/// y[r] = x[r] / sqrt(mean(x[r]²) + eps) * weight, for `rows` rows of `cols` (HF LlamaRMSNorm, fp32).
struct RmsNormArgs {
    int64_t rows = 0, cols = 0;
    const float* x = nullptr; int64_t ldx = 0;
    const float* weight = nullptr;
    float eps = 1e-5f;
    float* y = nullptr; int64_t ldy = 0;   // may equal x (in place)
};

/// Rotary embedding in place on `heads` heads of headDim per token row; the first ropeDims dims rotate.
/// cos/sin: [tokens × ropeDims/2]. pairing 0 = adjacent pairs (x[2t], x[2t+1]), 1 = split halves (x[t], x[t+r/2]).
struct RopeArgs {
    int64_t tokens = 0, heads = 0, headDim = 0, ropeDims = 0;
    float* x = nullptr; int64_t ldx = 0;
    const float* cos = nullptr;
    const float* sin = nullptr;
    int pairing = 1;
};

/// out[i] = silu(gate[i]) * up[i], i < n.
struct SwiGluArgs {
    int64_t n = 0;
    const float* gate = nullptr;
    const float* up = nullptr;
    float* out = nullptr;
};

/// Softmax attention for all heads of one layer (VARIANTS §1 stages 4–8 with a causal validity predicate).
/// q: [T × heads·d], k/v: [T × kvHeads·d] (row strides ldq/ldk/ldv); head h reads KV head h / (heads/kvHeads).
/// out: [T × heads·d]. probs[h] (optional, T×T row-major, upper triangle written as 0) and lse[h] (optional, T)
/// receive the probabilities and per-row log-sum-exp of head h. Cancellation is checked between heads.
struct AttentionArgs {
    int64_t tokens = 0, heads = 0, kvHeads = 0, headDim = 0;
    float scale = 1.f;
    bool causal = true;
    const float* q = nullptr; int64_t ldq = 0;
    const float* k = nullptr; int64_t ldk = 0;
    const float* v = nullptr; int64_t ldv = 0;
    float* out = nullptr; int64_t ldo = 0;
    float* const* probs = nullptr;   // heads entries, each may be null
    float* const* lse = nullptr;     // heads entries, each may be null
    std::stop_token stop;
};

/// Result of an op: ok, or a reason (unsupported, cancelled, device error). Never throws across the seam.
struct OpStatus {
    bool ok = true;
    bool cancelled = false;
    std::string message;
    static OpStatus success() { return {}; }
    static OpStatus failure(std::string m) { return {false, false, std::move(m)}; }
    static OpStatus cancel() { return {false, true, "cancelled"}; }
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;          // "cpu", "cuda"
    virtual std::string description() const = 0;   // device, threads, library
    virtual bool supports(OpKind op) const = 0;
    virtual bool healthy() const { return true; }
    virtual void setThreads(int n) { (void)n; }
    virtual int threads() const { return 1; }

    virtual OpStatus gemm(const GemmArgs& a) = 0;
    virtual OpStatus rmsNorm(const RmsNormArgs& a) = 0;
    virtual OpStatus rope(const RopeArgs& a) = 0;
    virtual OpStatus swiGlu(const SwiGluArgs& a) = 0;
    virtual OpStatus attention(const AttentionArgs& a) = 0;
};

class BackendFactory {
public:
    virtual ~BackendFactory() = default;
    virtual std::string name() const = 0;
    /// Can this machine run the backend? On false, `reason` says why ("no CUDA driver", "no device", …).
    virtual bool probe(std::string& reason) const = 0;
    virtual std::unique_ptr<Backend> create() const = 0;
};

/// Backends known to this build, in preference order (CPU is registered last as the guaranteed fallback).
class BackendRegistry {
public:
    void add(std::unique_ptr<BackendFactory> f) { m_factories.push_back(std::move(f)); }
    const std::vector<std::unique_ptr<BackendFactory>>& factories() const { return m_factories; }

    /// `which` = "auto" (first whose probe succeeds), or a backend name. `notes` collects why a backend was
    /// skipped ("cuda: no device"). Throws Error(Usage) for an unknown name, Error(Unsupported) when the
    /// named backend's probe fails.
    std::unique_ptr<Backend> create(const std::string& which, std::string& notes) const;

private:
    std::vector<std::unique_ptr<BackendFactory>> m_factories;
};

} // namespace attnscope
