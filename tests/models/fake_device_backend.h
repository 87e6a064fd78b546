// A pretend GPU for the failure-handling tests (docs/BACKENDS.md "Failures"): every op runs on the CPU reference
// kernels, but the backend says its buffers are not host memory (so the forward takes its device paths:
// downloads, device map buffers, one head per call), has a memory capacity with a free-memory report, tile
// levels, and injects out-of-memory, device errors and sticky errors at a chosen call of a chosen op.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"
#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>

namespace attnscope::test {

class FakeDeviceBackend final : public Backend {
public:
    enum class Fault { None, Oom, OomAlways, Error, Sticky };
    struct Options {
        uint64_t capacityBytes = 0;   // 0: unlimited and freeMemoryBytes() reports 0 (unknown)
        Fault fault = Fault::None;
        OpKind faultOp = OpKind::Count;
        int64_t faultCall = 1;        // the N-th call of faultOp (1-based) fails; OomAlways: every call from it on
    };

    explicit FakeDeviceBackend(Options o) : m_opt(o), m_state(std::make_shared<State>()) {}

    // ---- what the tests read ----
    int64_t calls(OpKind k) const { return m_calls[static_cast<size_t>(k)]; }
    int64_t singleHeadAttentionCalls() const { return m_singleHeadAttention; }
    int64_t multiHeadAttentionCalls() const { return m_multiHeadAttention; }
    uint64_t peakBytes() const { return m_state->peak; }
    uint64_t liveBytes() const { return m_state->used; }
    int level() const { return m_level; }

    std::string name() const override { return "fakegpu"; }
    std::string description() const override
    {
        return "fake GPU (CPU kernels), tile level " + std::to_string(m_level) + (m_dead ? ", dead" : "");
    }
    bool supports(OpKind k) const override { return k != OpKind::Count; }
    bool healthy() const override { return !m_dead; }
    bool reduceTiles() override
    {
        if (m_level >= 2)
            return false;
        ++m_level;
        return true;
    }
    uint64_t freeMemoryBytes() const override
    {
        return m_opt.capacityBytes ? m_opt.capacityBytes - std::min(m_opt.capacityBytes, m_state->used) : 0;
    }

    bool hostMemory() const override { return false; }
    std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes) override
    {
        if (m_dead)
            return nullptr;
        if (m_opt.capacityBytes && m_state->used + bytes > m_opt.capacityBytes)
            return nullptr;
        std::unique_ptr<DeviceBuffer> inner = m_cpu.allocate(bytes);
        if (!inner)
            return nullptr;
        return std::make_unique<Buffer>(std::move(inner), m_state);
    }
    OpStatus upload(void* dst, const void* src, uint64_t bytes) override
    {
        return m_dead ? dead() : m_cpu.upload(dst, src, bytes);
    }
    OpStatus download(void* dst, const void* src, uint64_t bytes) override
    {
        return m_dead ? dead() : m_cpu.download(dst, src, bytes);
    }
    OpStatus synchronize() override { return m_dead ? dead() : OpStatus::success(); }

    OpStatus gemm(const GemmArgs& a) override { return run(OpKind::Gemm, [&] { return m_cpu.gemm(a); }); }
    OpStatus norm(const NormArgs& a) override { return run(OpKind::Norm, [&] { return m_cpu.norm(a); }); }
    OpStatus rope(const RopeArgs& a) override { return run(OpKind::Rope, [&] { return m_cpu.rope(a); }); }
    OpStatus activation(const ActivationArgs& a) override { return run(OpKind::Activation, [&] { return m_cpu.activation(a); }); }
    OpStatus gatedActivation(const GatedActivationArgs& a) override
    {
        return run(OpKind::GatedActivation, [&] { return m_cpu.gatedActivation(a); });
    }
    OpStatus addBias(const AddBiasArgs& a) override { return run(OpKind::AddBias, [&] { return m_cpu.addBias(a); }); }
    OpStatus add(const AddArgs& a) override { return run(OpKind::Add, [&] { return m_cpu.add(a); }); }
    OpStatus scale(const ScaleArgs& a) override { return run(OpKind::Scale, [&] { return m_cpu.scale(a); }); }
    OpStatus gather(const GatherArgs& a) override { return run(OpKind::Gather, [&] { return m_cpu.gather(a); }); }
    OpStatus attention(const AttentionArgs& a) override
    {
        return run(OpKind::Attention, [&] {
            (a.heads == 1 ? m_singleHeadAttention : m_multiHeadAttention) += 1;
            return m_cpu.attention(a);
        });
    }
    OpStatus variantAttention(const VariantAttentionArgs& a) override
    {
        return run(OpKind::VariantAttention, [&] { return m_cpu.variantAttention(a); });
    }
    OpStatus headGroupMean(const HeadGroupMeanArgs& a) override
    {
        return run(OpKind::HeadGroupMean, [&] { return m_cpu.headGroupMean(a); });
    }

private:
    struct State {
        uint64_t used = 0, peak = 0;
    };
    class Buffer final : public DeviceBuffer {
    public:
        Buffer(std::unique_ptr<DeviceBuffer> inner, std::shared_ptr<State> s) : m_inner(std::move(inner)), m_state(std::move(s))
        {
            m_state->used += m_inner->bytes();
            m_state->peak = std::max(m_state->peak, m_state->used);
        }
        ~Buffer() override { m_state->used -= m_inner->bytes(); }
        void* data() override { return m_inner->data(); }
        uint64_t bytes() const override { return m_inner->bytes(); }

    private:
        std::unique_ptr<DeviceBuffer> m_inner;
        std::shared_ptr<State> m_state;
    };

    OpStatus dead() const { return OpStatus::failure("unusable after a sticky error"); }

    template <typename F>
    OpStatus run(OpKind k, F&& f)
    {
        if (m_dead)
            return dead();
        const int64_t n = ++m_calls[static_cast<size_t>(k)];
        if (m_opt.fault != Fault::None && k == m_opt.faultOp &&
            (m_opt.fault == Fault::OomAlways ? n >= m_opt.faultCall : n == m_opt.faultCall)) {
            switch (m_opt.fault) {
            case Fault::Oom:
            case Fault::OomAlways: return OpStatus::oom("out of memory in " + std::string(opKindName(k)));
            case Fault::Error: return OpStatus::failure("device error in " + std::string(opKindName(k)));
            case Fault::Sticky:
                m_dead = true;
                return OpStatus::failure("illegal address in " + std::string(opKindName(k)));
            case Fault::None: break;
            }
        }
        return f();
    }

    Options m_opt;
    cpu::CpuBackend m_cpu{2};
    std::shared_ptr<State> m_state;
    std::array<int64_t, static_cast<size_t>(OpKind::Count) + 1> m_calls{};
    int64_t m_singleHeadAttention = 0, m_multiHeadAttention = 0;
    int m_level = 0;
    bool m_dead = false;
};

} // namespace attnscope::test
