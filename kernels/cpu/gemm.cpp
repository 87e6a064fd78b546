// Dense projections: C = A · Bᵀ (+ beta·C). OpenBLAS when available (1.2–1.45× Eigen on the 2-core reference
// machine, docs/PERFORMANCE.md), Eigen otherwise.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "attnscope_config.h"
#include "kernels/cpu/thread_pool.h"

#include <Eigen/Core>

#include <mutex>

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
        // OpenBLAS runs single-threaded and the output columns (the weight's rows) are split over our own threads.
        // OpenBLAS's pool would spin in sched_yield for up to 2^28 cycles after every call and take a core from the
        // attention that follows: on 2 cores that made Gemma 3's attention at 1024 tokens 1.7x slower
        // (docs/PERFORMANCE.md). Each column block is an independent product, so results do not depend on the split.
        static std::once_flag once;
        std::call_once(once, [] { openblas_set_num_threads(1); });
        constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
        constexpr int64_t kAlign = 64;                       // columns per block boundary
        constexpr double kMinWorkPerThread = double(1 << 21);   // multiply-adds; below this one thread is faster
        const double work = double(a.m) * double(a.n) * double(a.k);
        const int64_t parts = std::clamp<int64_t>(std::min<int64_t>(int64_t(work / kMinWorkPerThread), threads), 1,
                                                  std::max<int64_t>(1, (a.n + kAlign - 1) / kAlign));
        parallelFor(int(parts), parts, [&](int64_t p, int) {
            const auto edge = [&](int64_t q) { return q == parts ? a.n : (a.n * q / parts) / kAlign * kAlign; };
            const int64_t n0 = edge(p), n1 = edge(p + 1);
            if (n1 > n0)
                cblas_sgemm(kRowMajor, kNoTrans, kTrans, int(a.m), int(n1 - n0), int(a.k), 1.f, a.a, int(a.lda),
                            a.b + n0 * a.ldb, int(a.ldb), a.beta, a.c + n0, int(a.ldc));
        });
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
