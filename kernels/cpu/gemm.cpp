// Dense projections: C = A · Bᵀ (+ beta·C). OpenBLAS when available (1.2–1.45× Eigen on the 2-core reference
// machine, docs/PERFORMANCE.md), Eigen otherwise.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "attnscope_config.h"

#include <Eigen/Core>

#if ATTNSCOPE_HAVE_OPENBLAS
// Declared here rather than through cblas.h, whose install path differs between OpenBLAS flavours.
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void openblas_set_num_threads(int n);
}
#endif

namespace attnscope::cpu {

OpStatus gemmCpu(const GemmArgs& a, int threads)
{
    if (a.m < 0 || a.n < 0 || a.k < 0 || a.lda < a.k || a.ldb < a.k || a.ldc < a.n)
        return OpStatus::failure("gemm: inconsistent sizes or strides");
    if (a.m == 0 || a.n == 0)
        return OpStatus::success();
#if ATTNSCOPE_HAVE_OPENBLAS
    if (a.m <= INT32_MAX && a.n <= INT32_MAX && a.k <= INT32_MAX && a.lda <= INT32_MAX && a.ldb <= INT32_MAX &&
        a.ldc <= INT32_MAX) {
        static thread_local int lastThreads = -1;
        if (lastThreads != threads) {
            openblas_set_num_threads(threads);
            lastThreads = threads;
        }
        constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
        cblas_sgemm(kRowMajor, kNoTrans, kTrans, int(a.m), int(a.n), int(a.k), 1.f, a.a, int(a.lda), a.b,
                    int(a.ldb), a.beta, a.c, int(a.ldc));
        return OpStatus::success();
    }
#else
    (void)threads;
#endif
    using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Stride = Eigen::OuterStride<>;
    Eigen::Map<const RowMat, 0, Stride> A(a.a, a.m, a.k, Stride(a.lda));
    Eigen::Map<const RowMat, 0, Stride> B(a.b, a.n, a.k, Stride(a.ldb));
    Eigen::Map<RowMat, 0, Stride> C(a.c, a.m, a.n, Stride(a.ldc));
    if (a.beta == 0.f)
        C.noalias() = A * B.transpose();
    else {
        if (a.beta != 1.f)
            C *= a.beta;
        C.noalias() += A * B.transpose();
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu
