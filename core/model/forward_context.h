// State shared by the forward pass and the block code (forward.cpp, transformer_block.cpp): the model, the run's
// backend buffers, the weight store, timings, and thin op wrappers that check statuses and time the dense work.
// Internal to core/model.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/model/forward.h"
#include "core/model/layer_plan.h"
#include "core/model/loaded_model.h"
#include "core/metrics/token_repeats.h"
#include "core/model/weight_store.h"

#include <chrono>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

namespace attnscope {

/// A backend buffer of floats, allocated once per run.
struct RunBuffer {
    std::unique_ptr<DeviceBuffer> buf;
    float* data() const { return buf ? buf->floats() : nullptr; }
};

class ForwardContext {
public:
    using Clock = std::chrono::steady_clock;

    ForwardContext(const LoadedModel& m, Backend& be, std::span<const int32_t> ids, ForwardObserver& obs,
                   const ForwardOptions& opt, WeightStore& store);

    const LoadedModel& model;
    const ModelConfig& cfg;
    const LayerPlan& plan;
    const Checkpoint& ckpt;
    Backend& backend;
    std::span<const int32_t> ids;
    ForwardObserver& observer;
    const ForwardOptions& options;
    WeightStore& store;
    const int64_t T;
    ForwardTimings timings;
    Clock::time_point start = Clock::now();

    // Activations ([T × width], row-major, on the backend).
    RunBuffer x, xn, tmp, q, k, v, attn, ffnA, ffnB, idsBuf;
    RunBuffer attn2, lambda;          // differential layers: A2's output, V2's λ [T × heads]
    RunBuffer expertOut, rowIds, rowWeights;   // gpt-oss experts: one expert's output rows, its tokens and weights
    /// cos/sin tables per distinct RoPE of the layers (θ, linear factor, YaRN): [T × ropeDims/2] each.
    using RopeKey = std::tuple<float, float, RopeYarn>;
    std::map<RopeKey, std::pair<RunBuffer, RunBuffer>> rope;

    RunBuffer allocate(uint64_t floats, const char* what);
    void allocateActivations();
    void buildRopeTables();

    [[noreturn]] void cancelled() const;
    void checkStop() const;
    void check(const OpStatus& s, OpKind op) const;
    const float* weight(TensorRole r, int layer = -1);

    // ---- op wrappers ----
    /// c[m×n] = a[m×k]·wᵀ (+ beta·c); w is a [n × k] weight on the backend.
    void gemm(const float* a, int64_t m, int64_t k, int64_t lda, const float* w, int64_t n, float* c, int64_t ldc, float beta);
    /// Norm with the model's kind, offset and eps; bias may be null.
    void norm(const float* x, int64_t rows, int64_t cols, int64_t ldx, const float* w, const float* b, float* y, int64_t ldy);
    /// RMSNorm with an explicit weight offset (Qwen3-Next's gated DeltaNet norm multiplies by w, not 1 + w).
    void rmsNorm(const float* x, int64_t rows, int64_t cols, int64_t ldx, const float* w, float weightOffset, float* y, int64_t ldy);
    void addBias(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* b);
    void add(const float* x, float* y, int64_t n);
    void scale(float* x, int64_t n, float s);
    void activation(float* x, int64_t n, Activation act, float param = 0.f);
    void gatedActivation(float* gate, const float* up, int64_t n, Activation act);
    /// out[i] = act(gate[i / repeat]) · up[i] (out may equal up).
    void gatedActivation(const float* gate, const float* up, float* out, int64_t n, Activation act, int64_t repeat);
    /// gate = (clamp(up) + 1) · g·σ(alpha·g), g = min(gate, limit) (gpt-oss experts).
    void clampedSwiglu(float* gate, const float* up, int64_t n, float alpha, float limit);
    /// x[i] *= factors[i / repeat] (a per-token, per-head λ over a head's values).
    void scaleGroups(const float* factors, float* x, int64_t n, int64_t repeat);
    void rotary(float* x, int64_t heads, int64_t ld, int layer);

    /// Copies `n` floats from a backend buffer to the host (a plain copy on the CPU backend).
    void download(float* dst, const float* src, int64_t n) const;
    /// Device backends with ForwardOptions::opTimings: waits for the queued ops, so the clock read next measures
    /// only the ops issued after it. No-op on host-memory backends (their ops are synchronous).
    void syncForTiming() const;
    /// Earlier occurrences of each token (for the duplicate-token and induction scores), built on first use.
    const TokenRepeats& repeats();

private:
    std::unique_ptr<TokenRepeats> m_repeats;

public:
};

/// One attention op over a layer's heads with the captures the observer wants (attention_call.cpp).
struct AttentionCall {
    const float* q = nullptr; int64_t ldq = 0;
    const float* k = nullptr; int64_t ldk = 0;
    const float* v = nullptr; int64_t ldv = 0;
    float* out = nullptr; int64_t ldo = 0;
    int64_t kvHeads = 0, valueDim = 0, valueHeads = 0;   // 0: the model's KV heads / head_dim
    Quantity quantity = Quantity::AttentionProbs;       // what the maps are (A1 or a differential head's A2)
    /// Heads whose maps are materialised even when the observer does not want them (a combined map needs both
    /// A1 and A2); empty: only wanted ones. Maps are delivered only when wanted.
    std::vector<char> materialise;
    const float* sinkLogits = nullptr;                  // learned per-head sink logits (backend buffer) or null
};
/// Runs the call; returns every materialised map by head (null elsewhere) and delivers the wanted maps and, with
/// sinks, the wanted SinkProb series.
std::vector<AttentionMapPtr> runAttention(ForwardContext& ctx, int layer, const AttentionCall& call);

/// The attention sub-block of a differential layer (differential_attention_block.cpp), pre-norm residual.
void runDifferentialAttention(ForwardContext& ctx, int layer);
/// The gpt-oss mixture-of-experts MLP sub-block (gpt_oss_moe_block.cpp), pre-norm residual.
void runGptOssExperts(ForwardContext& ctx, int layer);

/// One block of the table's transformer family (pre-norm, sandwich or post-norm; gated or plain MLP; separate or
/// fused q/k/v; optional biases and q/k norms). Updates ctx.x in place and delivers the layer's captures.
/// Layers of other kinds (an output-gated softmax layer, a Gated DeltaNet layer, a MoE MLP) run their own files.
void runTransformerBlock(ForwardContext& ctx, int layer);

// ---- parts of the generic block that the other block kinds reuse (transformer_block.cpp) ----
/// The attention sub-block's input: norm(x) into ctx.xn (pre-norm, sandwich) or ctx.x itself (post-norm).
const float* attentionInput(ForwardContext& ctx, int layer);
/// q/k RMSNorm per head (when the config has it), then RoPE on q and k (rows of ld floats).
void normAndRotateQk(ForwardContext& ctx, int layer, float* q, int64_t ldq, float* k, int64_t ldkv);
/// Softmax attention of every head into ctx.attn ([T × H·d]) — or the what-if variant that replaces it — delivering
/// the maps the observer wants. k and v may be rewritten in place (a GQA regrouping variant).
void softmaxAttention(ForwardContext& ctx, int layer, const float* q, int64_t ldq, float* k, float* v, int64_t ldkv);
/// Delivers the queries and keys as the attention sees them when the observer wants them.
void deliverQueriesAndKeys(ForwardContext& ctx, int layer, const float* q, int64_t ldq, const float* k, int64_t ldk);
/// ctx.x updated with o_proj(ctx.attn) under the residual layout.
void attentionOutput(ForwardContext& ctx, int layer);
/// The dense (gated or plain) MLP sub-block.
void denseMlpSubBlock(ForwardContext& ctx, int layer);

// ---- other block kinds, one file each ----
/// Softmax attention with an output gate on each head's SDPA output (gated_attention_block.cpp).
void gatedAttentionSubBlock(ForwardContext& ctx, int layer);
/// A Gated DeltaNet token mixer (deltanet_block.cpp).
void deltaNetSubBlock(ForwardContext& ctx, int layer);
/// A mixture-of-experts MLP with a gated shared expert (moe_block.cpp).
void moeSubBlock(ForwardContext& ctx, int layer);

} // namespace attnscope
