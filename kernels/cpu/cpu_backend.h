// The CPU backend: the reference implementation of every op (fp32 accumulation), multi-threaded where it pays.
// Dense GEMMs go to OpenBLAS when built with it (Eigen otherwise); attention uses Eigen per head.
// Buffers are ordinary (64-byte aligned) host memory.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

#include <limits>

namespace attnscope::cpu {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads = 0);   // 0 = hardware concurrency
    std::string name() const override { return "cpu"; }
    std::string description() const override;
    bool supports(OpKind) const override { return true; }
    void setThreads(int n) override;
    int threads() const override { return m_threads; }

    bool hostMemory() const override { return true; }
    std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes) override;
    OpStatus upload(void* dst, const void* src, uint64_t bytes) override;
    OpStatus download(void* dst, const void* src, uint64_t bytes) override;

    OpStatus gemm(const GemmArgs& a) override;
    OpStatus norm(const NormArgs& a) override;
    OpStatus rope(const RopeArgs& a) override;
    OpStatus activation(const ActivationArgs& a) override;
    OpStatus gatedActivation(const GatedActivationArgs& a) override;
    OpStatus addBias(const AddBiasArgs& a) override;
    OpStatus add(const AddArgs& a) override;
    OpStatus scale(const ScaleArgs& a) override;
    OpStatus gather(const GatherArgs& a) override;
    OpStatus attention(const AttentionArgs& a) override;
    OpStatus variantAttention(const VariantAttentionArgs& a) override;
    OpStatus headGroupMean(const HeadGroupMeanArgs& a) override;
    OpStatus indexAdd(const IndexAddArgs& a) override;
    OpStatus causalConv1d(const CausalConv1dArgs& a) override;
    OpStatus gatedDeltaRule(const GatedDeltaRuleArgs& a) override;
    OpStatus moeRoute(const MoeRouteArgs& a) override;

private:
    int m_threads = 1;
};

// Op implementations (one concept per file), callable without a backend object for tests.
OpStatus gemmCpu(const GemmArgs& a, int threads);
OpStatus normCpu(const NormArgs& a);
OpStatus ropeCpu(const RopeArgs& a);
OpStatus activationCpu(const ActivationArgs& a);
OpStatus gatedActivationCpu(const GatedActivationArgs& a);
OpStatus addBiasCpu(const AddBiasArgs& a);
OpStatus addCpu(const AddArgs& a);
OpStatus scaleCpu(const ScaleArgs& a);
OpStatus gatherCpu(const GatherArgs& a);
OpStatus attentionCpu(const AttentionArgs& a, int threads);
OpStatus variantAttentionCpu(const VariantAttentionArgs& a, int threads);
OpStatus headGroupMeanCpu(const HeadGroupMeanArgs& a);
OpStatus indexAddCpu(const IndexAddArgs& a);
OpStatus causalConv1dCpu(const CausalConv1dArgs& a);
OpStatus gatedDeltaRuleCpu(const GatedDeltaRuleArgs& a, int threads);
OpStatus moeRouteCpu(const MoeRouteArgs& a);
/// The scalar activation functions, shared by activationCpu and gatedActivationCpu.
float activate(Activation act, float x, float param);

/// Straightforward fp64 reference for one head under a mask (tests: the oracle the optimised kernel is checked
/// against). probs: T×T, out: T×d, lse: T (+inf on masked rows; may be null); an optional sink column with
/// logit sinkLogit (-inf: none) whose per-row probability goes to sinkProb (may be null).
void attentionHeadReference(int64_t T, int64_t d, const float* q, int64_t ldq, const float* k, int64_t ldk,
                            const float* v, int64_t ldv, float scale, const AttentionMask& mask, double* probs,
                            double* out, double* lse, double sinkLogit = -std::numeric_limits<double>::infinity(),
                            double* sinkProb = nullptr);

} // namespace attnscope::cpu
