// Dense projections through cuBLASLt: C[m×n] = alpha·A[m×k]·B[n×k]ᵀ + beta·C with row-major operands (B is a
// PyTorch [out, in] weight), A and B in fp32, fp16 or bf16, C in fp32, fp32 accumulation (CUBLAS_COMPUTE_32F: no
// TF32, so fp32 GEMMs match the CPU reference to fp32 rounding).
// Row-major C = A·Bᵀ is column-major Cᵀ = B·Aᵀ: cuBLASLt gets the weight as its "A" (k × n column-major, ld = ldb,
// transposed) and the activations as its "B" (k × m column-major, ld = lda), and writes an n × m column-major D
// with ld = ldc — the row-major C. Algorithms come from cuBLASLt's heuristic for the shape, the operands'
// alignment and the workspace limit, cached per configuration; when it offers none (or k = 0) the op uses
// cublasGemmEx with the same compute type.
// Host API (docs/CUDA.md "Host API"): canImplement → workspaceSize → run → Result; nothing throws.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "kernels/cuda/cuda_params.h"
#include "kernels/cuda/cuda_status.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <map>
#include <tuple>

namespace attnscope::cuda {

/// Chosen cuBLASLt algorithms by configuration (shape, strides, dtype, alignments, beta ≠ 0, workspace).
class GemmPlanCache {
public:
    using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int, int, int, int, bool, size_t>;
    struct Plan {
        bool found = false;
        cublasLtMatmulAlgo_t algo{};
        size_t workspace = 0;
    };
    const Plan* find(const Key& k) const
    {
        auto it = m_plans.find(k);
        return it == m_plans.end() ? nullptr : &it->second;
    }
    void put(const Key& k, const Plan& p) { m_plans[k] = p; }
    void clear() { m_plans.clear(); }

private:
    std::map<Key, Plan> m_plans;
};

/// Handles and the workspace a GEMM runs with (owned by the backend).
struct GemmContext {
    cublasLtHandle_t lt = nullptr;
    cublasHandle_t blas = nullptr;
    void* workspace = nullptr;
    size_t workspaceBytes = 0;
    GemmPlanCache* cache = nullptr;
};

struct GemmOp {
    static Result canImplement(const GemmParams& p);
    /// The workspace the backend offers cuBLASLt at a tile level (cuda_heuristics.h).
    static size_t workspaceSize(const GemmParams& p, int level);
    static Result run(const GemmParams& p, const GemmContext& ctx, cudaStream_t stream);
};

/// cuBLAS status as a Result (allocation failures are out-of-memory).
Result resultFromCublas(cublasStatus_t s, const char* what);

} // namespace attnscope::cuda
