// The backends a front end owns: the selected one plus the CPU backend that runs a model the selected one cannot
// (placement per run: a run's buffers live on one backend), and the converted weights of the last model run on
// them, kept so a rerun does not convert again (docs/ENGINE.md "Weights"). `notes` says why a preferred backend
// was skipped.
// Threading: owned and used by one compute thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

#include <memory>
#include <span>
#include <string>

namespace attnscope {

class LoadedModel;
class WeightStore;

struct BackendSet {
    std::unique_ptr<Backend> primary;
    std::unique_ptr<Backend> cpuFallback;   // null when primary is the CPU backend
    std::string notes;

    BackendSet();
    ~BackendSet();
    BackendSet(BackendSet&&) noexcept;
    BackendSet& operator=(BackendSet&&) noexcept;

    Backend& main() { return *primary; }
    Backend& fallback() { return cpuFallback ? *cpuFallback : *primary; }
    void setThreads(int n)
    {
        primary->setThreads(n);
        if (cpuFallback)
            cpuFallback->setThreads(n);
    }
    /// "cpu" or e.g. "cuda (NVIDIA H100 …)"
    std::string label() const { return primary->name(); }

    /// The backend a run uses: the primary when it is healthy and supports every op the run needs (the baseline
    /// ops plus `extra`), else the CPU backend, with the reason in `note` ("cuda lacks op norm; the run uses cpu").
    Backend& runBackend(std::string* note, std::span<const OpKind> extra = {});
    /// The converted weights of `model` on `backend`, reused by the next run of the same model (one model at a
    /// time: a different model or backend replaces them).
    WeightStore& weightsFor(const std::shared_ptr<const LoadedModel>& model, Backend& backend, bool checkFinite = true);
    /// Frees the kept weights.
    void releaseWeights();

private:
    std::weak_ptr<const LoadedModel> m_weightsModel;
    const Backend* m_weightsBackend = nullptr;
    std::unique_ptr<WeightStore> m_weights;
};

/// which = auto | cpu | cuda. Throws Error(Usage/Unsupported) as BackendRegistry::create does.
BackendSet selectBackends(const BackendRegistry& registry, const std::string& which, int threads);

} // namespace attnscope
