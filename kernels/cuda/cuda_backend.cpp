// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/cuda_backend.h"

#include "kernels/cuda/cuda_probe.cuh"

namespace attnscope::cuda {

namespace {

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(ProbeResult p) : m_probe(std::move(p)) {}
    std::string name() const override { return "cuda"; }
    std::string description() const override
    {
        return m_probe.deviceName + " (sm_" + std::to_string(m_probe.computeMajor) + std::to_string(m_probe.computeMinor) +
               ", " + std::to_string(m_probe.totalBytes >> 20) + " MiB); no CUDA ops in this build yet, all ops run on CPU";
    }
    bool supports(OpKind) const override { return false; }
    OpStatus gemm(const GemmArgs&) override { return unsupported(OpKind::Gemm); }
    OpStatus rmsNorm(const RmsNormArgs&) override { return unsupported(OpKind::RmsNorm); }
    OpStatus rope(const RopeArgs&) override { return unsupported(OpKind::Rope); }
    OpStatus swiGlu(const SwiGluArgs&) override { return unsupported(OpKind::SwiGlu); }
    OpStatus attention(const AttentionArgs&) override { return unsupported(OpKind::Attention); }

private:
    static OpStatus unsupported(OpKind k) { return OpStatus::failure(std::string("cuda: op ") + opKindName(k) + " is not supported"); }
    ProbeResult m_probe;
};

class CudaFactory final : public BackendFactory {
public:
    std::string name() const override { return "cuda"; }
    bool probe(std::string& reason) const override
    {
        ProbeResult p = probeDevice();
        if (!p.ok)
            reason = p.reason;
        return p.ok;
    }
    std::unique_ptr<Backend> create() const override { return std::make_unique<CudaBackend>(probeDevice()); }
};

} // namespace

std::unique_ptr<BackendFactory> makeCudaBackendFactory()
{
    return std::make_unique<CudaFactory>();
}

} // namespace attnscope::cuda
