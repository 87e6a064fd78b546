// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "attnscope_config.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace attnscope::cpu {

namespace {

class HostBuffer final : public DeviceBuffer {
public:
    HostBuffer(void* p, uint64_t bytes) : m_p(p), m_bytes(bytes) {}
    ~HostBuffer() override { std::free(m_p); }
    void* data() override { return m_p; }
    uint64_t bytes() const override { return m_bytes; }

private:
    void* m_p;
    uint64_t m_bytes;
};

} // namespace

CpuBackend::CpuBackend(int threads)
{
    setThreads(threads);
}

void CpuBackend::setThreads(int n)
{
    if (n <= 0)
        n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    m_threads = std::clamp(n, 1, 256);
}

std::string CpuBackend::description() const
{
    return "CPU, " + std::to_string(m_threads) + " thread" + (m_threads == 1 ? "" : "s") +
           (ATTNSCOPE_HAVE_OPENBLAS ? ", OpenBLAS SGEMM" : ", Eigen SGEMM");
}

std::unique_ptr<DeviceBuffer> CpuBackend::allocate(uint64_t bytes)
{
    constexpr uint64_t kAlign = 64;
    const uint64_t rounded = (std::max<uint64_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded);
    if (!p)
        return nullptr;
    return std::make_unique<HostBuffer>(p, bytes);
}

OpStatus CpuBackend::upload(void* dst, const void* src, uint64_t bytes)
{
    if (bytes)
        std::memcpy(dst, src, bytes);
    return OpStatus::success();
}

OpStatus CpuBackend::download(void* dst, const void* src, uint64_t bytes)
{
    if (bytes)
        std::memcpy(dst, src, bytes);
    return OpStatus::success();
}

OpStatus CpuBackend::gemm(const GemmArgs& a) { return gemmCpu(a, m_threads); }
OpStatus CpuBackend::norm(const NormArgs& a) { return normCpu(a); }
OpStatus CpuBackend::rope(const RopeArgs& a) { return ropeCpu(a); }
OpStatus CpuBackend::activation(const ActivationArgs& a) { return activationCpu(a); }
OpStatus CpuBackend::gatedActivation(const GatedActivationArgs& a) { return gatedActivationCpu(a); }
OpStatus CpuBackend::addBias(const AddBiasArgs& a) { return addBiasCpu(a); }
OpStatus CpuBackend::add(const AddArgs& a) { return addCpu(a); }
OpStatus CpuBackend::scale(const ScaleArgs& a) { return scaleCpu(a); }
OpStatus CpuBackend::gather(const GatherArgs& a) { return gatherCpu(a); }
OpStatus CpuBackend::attention(const AttentionArgs& a) { return attentionCpu(a, m_threads); }
OpStatus CpuBackend::variantAttention(const VariantAttentionArgs& a) { return variantAttentionCpu(a, m_threads); }
OpStatus CpuBackend::headGroupMean(const HeadGroupMeanArgs& a) { return headGroupMeanCpu(a); }
OpStatus CpuBackend::indexAdd(const IndexAddArgs& a) { return indexAddCpu(a); }
OpStatus CpuBackend::causalConv1d(const CausalConv1dArgs& a) { return causalConv1dCpu(a); }
OpStatus CpuBackend::gatedDeltaRule(const GatedDeltaRuleArgs& a) { return gatedDeltaRuleCpu(a, m_threads); }
OpStatus CpuBackend::moeRoute(const MoeRouteArgs& a) { return moeRouteCpu(a); }

} // namespace attnscope::cpu
