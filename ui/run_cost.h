// How long a run will take, for the up-front estimate shown before a long prompt runs (docs/LONG-CONTEXT.md
// "In the GUI"). A forward costs dense work (projections and MLP, 2·T·weights FLOPs) plus attention work
// (the valid logits of every layer × heads × head_dim: T(T+1)/2 per head on a causal layer, about T·W on a
// sliding-window layer). Each is divided by a throughput: the one the last run measured (its dense FLOPs and
// GEMM time, its attention time over its attention work, kept apart for runs that store maps and long runs that
// stream statistics), or a default measured on the 2-core development machine until a run has been measured.
// Threading: a value; the bridge copies it into the compute thread's request.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/model/forward.h"
#include "core/model/model_config.h"

#include <QString>

namespace attnscope {

class RunCostModel {
public:
    /// Defaults (no run measured yet): SmolLM2 and Gemma 3 270M on the 2-core development machine, 2 threads
    /// (docs/PERFORMANCE.md "Long prompts").
    static constexpr double kDefaultDenseFlopsPerSecond = 60e9;
    static constexpr double kDefaultAttentionUnitsPerSecond = 4e9;

    /// Σ over layers of the valid cells of the mask × heads × head_dim.
    static double attentionUnits(const ModelConfig& cfg, int64_t tokens);
    /// 2·m·n·k of the projections and the MLP over every layer.
    static double denseFlops(const ModelConfig& cfg, int64_t tokens);

    double expectedSeconds(const ModelConfig& cfg, int64_t tokens, bool longMode) const;
    /// Takes the throughputs of a finished run.
    void record(const ModelConfig& cfg, int64_t tokens, bool longMode, const ForwardTimings& timings);
    /// "measured on the last run (62 GFLOP/s dense, 3.1 G attention units/s)" or "a default …".
    QString basis(bool longMode) const;
    bool measured(bool longMode) const { return longMode ? m_longRate > 0 : m_mapsRate > 0; }

private:
    double attentionRate(bool longMode) const;

    double m_denseRate = 0;   // FLOP/s, 0 = not measured
    double m_mapsRate = 0;    // attention units/s of runs that store maps
    double m_longRate = 0;    // attention units/s of long runs (rows streamed through the statistics)
};

} // namespace attnscope
