// Whole-model parity between the CUDA backend and the CPU reference: the same RunRequest through executeRun on
// both, then logits, captured maps (probabilities and LSE) and per-layer hidden maxima compared with stated
// tolerances. Shared by the tiny-fixture tests (test_cuda_tiny_models.cpp) and the real-model tests
// (test_cuda_models.cpp).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "cuda_test_support.h"

#include "core/backend/backend_set.h"
#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "kernels/cpu/cpu_backend.h"

#include <cstdio>

namespace attnscope::test {

struct ParityTolerance {
    double logitAbs = 1e-4;     // |Δlogit|
    double probAbs = 1e-5;      // |Δp| per cell
    double lseAbs = 1e-4;       // |ΔLSE|
    double hiddenRel = 1e-4;    // |Δ max|h|| / max|h| per layer
};

struct ParityReport {
    double logit = 0, prob = 0, lse = 0, hidden = 0;
    int64_t maps = 0;
};

/// A BackendSet with the CUDA backend as primary and the CPU fallback, as a front end builds it.
inline BackendSet cudaSet(std::unique_ptr<Backend> gpu)
{
    BackendSet s;
    s.primary = std::move(gpu);
    s.cpuFallback = std::make_unique<cpu::CpuBackend>(0);
    return s;
}

inline ParityReport expectParity(const std::shared_ptr<const LoadedModel>& model, BackendSet& gpuSet,
                                 const RunRequest& req, const ParityTolerance& tol)
{
    ParityReport rep;
    BackendSet cpuSet;
    cpuSet.primary = std::make_unique<cpu::CpuBackend>(0);
    const RunResult ref = executeRun(model, cpuSet, req);
    const RunResult got = executeRun(model, gpuSet, req);
    EXPECT_EQ(got.backendName, "cuda");
    for (const std::string& n : got.notes)
        EXPECT_EQ(n.find("failed"), std::string::npos) << n;
    EXPECT_EQ(got.tokens.ids, ref.tokens.ids);
    EXPECT_EQ(got.logits.size(), ref.logits.size());
    for (size_t i = 0; i < got.logits.size() && i < ref.logits.size(); ++i) {
        rep.logit = std::max(rep.logit, maxAbsError(got.logits[i].logits, ref.logits[i].logits));
        if (!got.logits[i].top.empty() && !ref.logits[i].top.empty()) {
            // The argmax may only differ where the two best logits are closer than the tolerance.
            const auto& a = got.logits[i].top, & b = ref.logits[i].top;
            if (a[0].id != b[0].id) {
                EXPECT_LE(std::fabs(double(b[0].logit) - double(ref.logits[i].logits[size_t(a[0].id)])), 2 * tol.logitAbs)
                    << "position " << got.logits[i].position;
            }
        }
    }
    const ModelConfig& cfg = model->config();
    for (int l = 0; l < cfg.nLayers; ++l)
        for (int h = 0; h < cfg.nHeads; ++h) {
            AttentionMapPtr a = got.captures.map(l, h), b = ref.captures.map(l, h);
            EXPECT_EQ(bool(a), bool(b)) << "layer " << l << " head " << h;
            if (!a || !b)
                continue;
            ++rep.maps;
            const std::vector<float> pa(a->probs.begin(), a->probs.end()), pb(b->probs.begin(), b->probs.end());
            rep.prob = std::max(rep.prob, maxAbsError(pa, pb));
            rep.lse = std::max(rep.lse, maxAbsError(a->lse, b->lse));
        }
    EXPECT_EQ(got.layerStats.size(), ref.layerStats.size());
    for (size_t l = 0; l < got.layerStats.size() && l < ref.layerStats.size(); ++l) {
        const double r = ref.layerStats[l].hiddenMaxAbs;
        rep.hidden = std::max(rep.hidden, std::fabs(got.layerStats[l].hiddenMaxAbs - r) / std::max(r, 1e-6));
    }
    EXPECT_LE(rep.logit, tol.logitAbs);
    EXPECT_LE(rep.prob, tol.probAbs);
    EXPECT_LE(rep.lse, tol.lseAbs);
    EXPECT_LE(rep.hidden, tol.hiddenRel);
    std::printf("cuda vs cpu: %lld maps, max |Δlogit| %.2e, |Δp| %.2e, |ΔLSE| %.2e, hidden max rel %.2e\n",
                static_cast<long long>(rep.maps), rep.logit, rep.prob, rep.lse, rep.hidden);
    return rep;
}

} // namespace attnscope::test
