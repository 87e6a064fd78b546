// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "attnscope_config.h"

#include <algorithm>
#include <thread>

namespace attnscope::cpu {

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

OpStatus CpuBackend::gemm(const GemmArgs& a) { return gemmCpu(a, m_threads); }
OpStatus CpuBackend::rmsNorm(const RmsNormArgs& a) { return rmsNormCpu(a); }
OpStatus CpuBackend::rope(const RopeArgs& a) { return ropeCpu(a); }
OpStatus CpuBackend::swiGlu(const SwiGluArgs& a) { return swiGluCpu(a); }
OpStatus CpuBackend::attention(const AttentionArgs& a) { return attentionCpu(a, m_threads); }

} // namespace attnscope::cpu
