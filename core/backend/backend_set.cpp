// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/backend/backend_set.h"

#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"

namespace attnscope {

BackendSet::BackendSet() = default;
BackendSet::~BackendSet()
{
    m_weights.reset();   // before the backends whose memory it holds
}
BackendSet::BackendSet(BackendSet&&) noexcept = default;
BackendSet& BackendSet::operator=(BackendSet&&) noexcept = default;

Backend& BackendSet::runBackend(std::string* note, std::span<const OpKind> extra)
{
    if (!primary->healthy()) {
        if (note)
            *note = primary->name() + " is unusable after an earlier error; the run uses " + fallback().name();
        return fallback();
    }
    auto lacks = [&](OpKind k) {
        if (primary->supports(k))
            return false;
        if (note)
            *note = primary->name() + " lacks op " + opKindName(k) + "; the run uses " + fallback().name();
        return true;
    };
    for (OpKind k : kBaselineOps)
        if (lacks(k))
            return fallback();
    for (OpKind k : extra)
        if (lacks(k))
            return fallback();
    return *primary;
}

WeightStore& BackendSet::weightsFor(const std::shared_ptr<const LoadedModel>& model, Backend& backend, bool checkFinite)
{
    if (!m_weights || m_weightsModel.lock() != model || m_weightsBackend != &backend) {
        m_weights.reset();
        m_weights = std::make_unique<WeightStore>(*model, backend, 0, checkFinite);
        m_weightsModel = model;
        m_weightsBackend = &backend;
    }
    return *m_weights;
}

void BackendSet::releaseWeights()
{
    m_weights.reset();
    m_weightsModel.reset();
    m_weightsBackend = nullptr;
}

BackendSet selectBackends(const BackendRegistry& registry, const std::string& which, int threads)
{
    BackendSet s;
    s.primary = registry.create(which, s.notes);
    if (s.primary->name() != "cpu") {
        std::string ignored;
        s.cpuFallback = registry.create("cpu", ignored);
    }
    s.setThreads(threads);
    return s;
}

} // namespace attnscope
