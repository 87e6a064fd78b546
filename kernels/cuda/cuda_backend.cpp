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
    bool hostMemory() const override { return false; }
    std::unique_ptr<DeviceBuffer> allocate(uint64_t) override { return nullptr; }
    OpStatus upload(void*, const void*, uint64_t) override { return OpStatus::failure("cuda: no device buffers in this build"); }
    OpStatus download(void*, const void*, uint64_t) override { return OpStatus::failure("cuda: no device buffers in this build"); }
    OpStatus gemm(const GemmArgs&) override { return unsupported(OpKind::Gemm); }
    OpStatus norm(const NormArgs&) override { return unsupported(OpKind::Norm); }
    OpStatus rope(const RopeArgs&) override { return unsupported(OpKind::Rope); }
    OpStatus activation(const ActivationArgs&) override { return unsupported(OpKind::Activation); }
    OpStatus gatedActivation(const GatedActivationArgs&) override { return unsupported(OpKind::GatedActivation); }
    OpStatus addBias(const AddBiasArgs&) override { return unsupported(OpKind::AddBias); }
    OpStatus add(const AddArgs&) override { return unsupported(OpKind::Add); }
    OpStatus scale(const ScaleArgs&) override { return unsupported(OpKind::Scale); }
    OpStatus gather(const GatherArgs&) override { return unsupported(OpKind::Gather); }
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
