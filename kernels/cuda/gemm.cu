// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/gemm.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"

#include <cstdint>
#include <string>

namespace attnscope::cuda {

namespace {

cudaDataType_t cudaType(DType t)
{
    switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F16: return CUDA_R_16F;
    case DType::BF16: return CUDA_R_16BF;
    }
    return CUDA_R_32F;
}

/// Largest power of two (≤ 256) dividing the address: what cuBLASLt may assume about the operand.
uint32_t alignmentOf(const void* p)
{
    const auto a = reinterpret_cast<uintptr_t>(p);
    uint32_t al = 256;
    while (al > 1 && (a % al) != 0)
        al /= 2;
    return al;
}

/// Descriptors of one matmul, destroyed on scope exit.
struct LtDescriptors {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    ~LtDescriptors()
    {
        if (pref) cublasLtMatmulPreferenceDestroy(pref);
        if (c) cublasLtMatrixLayoutDestroy(c);
        if (b) cublasLtMatrixLayoutDestroy(b);
        if (a) cublasLtMatrixLayoutDestroy(a);
        if (op) cublasLtMatmulDescDestroy(op);
    }
};

Result runGemmEx(const GemmParams& p, const GemmContext& ctx, cudaStream_t stream)
{
    cublasStatus_t s = cublasSetStream(ctx.blas, stream);
    if (s != CUBLAS_STATUS_SUCCESS)
        return resultFromCublas(s, "cublasSetStream");
    const cudaDataType_t t = cudaType(p.dtype);
    // Column-major Cᵀ(n×m) = op_T(B: k×n, ldb) · op_N(A: k×m, lda), see gemm.cuh.
    s = cublasGemmEx_64(ctx.blas, CUBLAS_OP_T, CUBLAS_OP_N, p.n, p.m, p.k, &p.alpha, p.b, t, p.ldb, p.a, t, p.lda,
                        &p.beta, p.c, CUDA_R_32F, p.ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    return resultFromCublas(s, "cublasGemmEx");
}

} // namespace

Result resultFromCublas(cublasStatus_t s, const char* what)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return Result::success();
    const std::string m = std::string(what) + ": " + cublasGetStatusName(s) + " (" + cublasGetStatusString(s) + ")";
    if (s == CUBLAS_STATUS_ALLOC_FAILED)
        return Result::oom(m);
    // An execution failure usually means the context itself failed; the backend checks the context next.
    return Result::device(m, false);
}

Result GemmOp::canImplement(const GemmParams& p)
{
    if (p.m < 0 || p.n < 0 || p.k < 0 || p.lda < p.k || p.ldb < p.k || p.ldc < p.n)
        return Result::invalid("gemm: inconsistent sizes or strides");
    if (p.lda < 1 || p.ldb < 1 || p.ldc < 1)
        return Result::invalid("gemm: leading dimensions must be positive");
    if (p.m > 0 && p.n > 0 && (!p.c || (p.k > 0 && (!p.a || !p.b))))
        return Result::invalid("gemm: null operand");
    if (p.dtype != DType::F32 && p.dtype != DType::F16 && p.dtype != DType::BF16)
        return Result::invalid("gemm: unknown element type");
    return Result::success();
}

size_t GemmOp::workspaceSize(const GemmParams&, int level)
{
    return gemmWorkspaceBytes(level);
}

Result GemmOp::run(const GemmParams& p, const GemmContext& ctx, cudaStream_t stream)
{
    if (p.m == 0 || p.n == 0)
        return Result::success();
    if (p.k == 0)   // C = beta·C: cuBLAS implements the BLAS definition for k = 0
        return runGemmEx(p, ctx, stream);

    const uint32_t alA = alignmentOf(p.b), alB = alignmentOf(p.a), alC = alignmentOf(p.c);
    const GemmPlanCache::Key key{p.m, p.n, p.k, p.lda, p.ldb, p.ldc, int(p.dtype), int(alA), int(alB), int(alC),
                                 p.beta != 0.f, ctx.workspaceBytes};
    const cudaDataType_t t = cudaType(p.dtype);
    LtDescriptors d;
    cublasStatus_t s = cublasLtMatmulDescCreate(&d.op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    const cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSA, &opT, sizeof(opT));
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSB, &opN, sizeof(opN));
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatrixLayoutCreate(&d.a, t, uint64_t(p.k), uint64_t(p.n), p.ldb);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatrixLayoutCreate(&d.b, t, uint64_t(p.k), uint64_t(p.m), p.lda);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatrixLayoutCreate(&d.c, CUDA_R_32F, uint64_t(p.n), uint64_t(p.m), p.ldc);
    if (s != CUBLAS_STATUS_SUCCESS)
        return resultFromCublas(s, "cublasLt descriptors");

    GemmPlanCache::Plan plan;
    if (const GemmPlanCache::Plan* cached = ctx.cache ? ctx.cache->find(key) : nullptr) {
        plan = *cached;
    } else {
        s = cublasLtMatmulPreferenceCreate(&d.pref);
        const uint64_t ws = ctx.workspaceBytes;
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alA, sizeof(alA));
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alB, sizeof(alB));
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alC, sizeof(alC));
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alC, sizeof(alC));
        if (s != CUBLAS_STATUS_SUCCESS)
            return resultFromCublas(s, "cublasLt preference");
        cublasLtMatmulHeuristicResult_t h{};
        int found = 0;
        s = cublasLtMatmulAlgoGetHeuristic(ctx.lt, d.op, d.a, d.b, d.c, d.c, d.pref, 1, &h, &found);
        // NOT_SUPPORTED: no algorithm for this configuration; cublasGemmEx below handles it.
        if (s != CUBLAS_STATUS_SUCCESS && s != CUBLAS_STATUS_NOT_SUPPORTED)
            return resultFromCublas(s, "cublasLtMatmulAlgoGetHeuristic");
        plan.found = s == CUBLAS_STATUS_SUCCESS && found > 0 && h.state == CUBLAS_STATUS_SUCCESS &&
                     h.workspaceSize <= ctx.workspaceBytes;
        if (plan.found) {
            plan.algo = h.algo;
            plan.workspace = h.workspaceSize;
        }
        if (ctx.cache)
            ctx.cache->put(key, plan);
    }
    if (!plan.found)
        return runGemmEx(p, ctx, stream);
    // cuBLASLt operands: "A" = the weight B, "B" = the activations A (see gemm.cuh); C and D are the same matrix.
    s = cublasLtMatmul(ctx.lt, d.op, &p.alpha, p.b, d.a, p.a, d.b, &p.beta, p.c, d.c, p.c, d.c, &plan.algo,
                       plan.workspace ? ctx.workspace : nullptr, plan.workspace, stream);
    return resultFromCublas(s, "cublasLtMatmul");
}

} // namespace attnscope::cuda
