// The CPU backend: the reference implementation of every op (fp32 accumulation), multi-threaded.
// Dense GEMMs go to OpenBLAS when built with it (Eigen otherwise); attention uses Eigen per head.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

namespace attnscope::cpu {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads = 0);   // 0 = hardware concurrency
    std::string name() const override { return "cpu"; }
    std::string description() const override;
    bool supports(OpKind) const override { return true; }
    void setThreads(int n) override;
    int threads() const override { return m_threads; }

    OpStatus gemm(const GemmArgs& a) override;
    OpStatus rmsNorm(const RmsNormArgs& a) override;
    OpStatus rope(const RopeArgs& a) override;
    OpStatus swiGlu(const SwiGluArgs& a) override;
    OpStatus attention(const AttentionArgs& a) override;

private:
    int m_threads = 1;
};

// Op implementations (one file each), callable without a backend object for tests.
OpStatus gemmCpu(const GemmArgs& a, int threads);
OpStatus rmsNormCpu(const RmsNormArgs& a);
OpStatus ropeCpu(const RopeArgs& a);
OpStatus swiGluCpu(const SwiGluArgs& a);
OpStatus attentionCpu(const AttentionArgs& a, int threads);

/// Straightforward fp64 reference for one head (tests: the oracle the optimised kernel is checked against).
void attentionHeadReference(int64_t T, int64_t d, const float* q, int64_t ldq, const float* k, int64_t ldk,
                            const float* v, int64_t ldv, float scale, bool causal, double* probs, double* out,
                            double* lse);

} // namespace attnscope::cpu
