// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/backends/register_backends.h"

#include "attnscope_config.h"
#include "kernels/cpu/cpu_backend.h"

#if ATTNSCOPE_HAVE_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif

namespace attnscope {

namespace {

class CpuFactory final : public BackendFactory {
public:
    std::string name() const override { return "cpu"; }
    bool probe(std::string&) const override { return true; }
    std::unique_ptr<Backend> create() const override { return std::make_unique<cpu::CpuBackend>(); }
};

} // namespace

void registerBuiltinBackends(BackendRegistry& registry)
{
#if ATTNSCOPE_HAVE_CUDA
    registry.add(cuda::makeCudaBackendFactory());
#endif
    registry.add(std::make_unique<CpuFactory>());
}

BackendRegistry& builtinBackends()
{
    static BackendRegistry registry = [] {
        BackendRegistry r;
        registerBuiltinBackends(r);
        return r;
    }();
    return registry;
}

} // namespace attnscope
