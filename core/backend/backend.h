// The compute-backend interface (docs/BACKENDS.md). Core defines it; kernels/ implement it (CPU always, CUDA
// when built); only app/ links the implementations and registers them (kernels/backends).
//
// Buffers: a run allocates its activations and resident weights through the backend that runs it
// (allocate/upload/download), and every op's pointers point into that backend's buffers — host memory for the
// CPU backend, device memory for a GPU backend. The forward pass does no maths on the host: norms of every kind,
// activations, biases, scales, embeddings, RoPE, GEMMs and attention are ops, so a device backend keeps
// activations resident and only what the views ask for is copied back.
// Op arguments are POD structs of sizes, strides, flags and pointers, so a backend can later live behind a
// proxy. Ops return a status, never throw across the seam.
// Threading: a Backend is owned and used by one compute thread at a time.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"
#include "core/attention/attention_spec.h"

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace attnscope {

enum class OpKind {
    Gemm, Norm, Rope, Activation, GatedActivation, AddBias, Add, Scale, Gather, Attention,
    // used only by what-if runs (core/attention/attention_spec.h)
    VariantAttention, HeadGroupMean,
    // used only by mixture-of-experts models (gpt-oss)
    IndexAdd,
    // used only by the models that need them (modelOps(): Gated DeltaNet layers, Qwen3-Next's MoE router)
    CausalConv1d, GatedDeltaRule, MoeRoute,
    Count
};
/// The ops every baseline run needs (a backend that lacks one of them cannot run a model).
inline constexpr OpKind kBaselineOps[] = {OpKind::Gemm, OpKind::Norm, OpKind::Rope, OpKind::Activation,
                                          OpKind::GatedActivation, OpKind::AddBias, OpKind::Add, OpKind::Scale,
                                          OpKind::Gather, OpKind::Attention};
const char* opKindName(OpKind k);

/// C[m×n] = A[m×k] · B[n×k]ᵀ + beta·C. Row-major with leading dimensions (B is a PyTorch [out, in] weight).
struct GemmArgs {
    int64_t m = 0, n = 0, k = 0;
    const float* a = nullptr; int64_t lda = 0;
    const float* b = nullptr; int64_t ldb = 0;
    float* c = nullptr; int64_t ldc = 0;
    float beta = 0.f;
};

enum class NormKind : uint8_t {
    Rms,        // y = x / sqrt(mean(x²) + eps) · (offset + w)            (HF LlamaRMSNorm; Gemma: offset 1)
    Layer,      // y = (x − mean) / sqrt(var + eps) · (offset + w) + b    (torch LayerNorm, biased variance)
};
const char* normKindName(NormKind k);

/// Normalises `rows` rows of `cols` values. weight may be null (no scale); bias (LayerNorm) may be null.
struct NormArgs {
    NormKind kind = NormKind::Rms;
    int64_t rows = 0, cols = 0;
    const float* x = nullptr; int64_t ldx = 0;
    const float* weight = nullptr;
    const float* bias = nullptr;
    float weightOffset = 0.f;              // 1 for zero-centred RMSNorm weights (Gemma, Qwen3-Next)
    float eps = 1e-5f;
    float* y = nullptr; int64_t ldy = 0;   // may equal x (in place)
};

/// Rotary embedding in place on `heads` heads of headDim per token row; the first ropeDims dims rotate.
/// cos/sin: [tokens × ropeDims/2] (backend buffers). pairing 0 = adjacent pairs (x[2t], x[2t+1]),
/// 1 = split halves (x[t], x[t+r/2]).
struct RopeArgs {
    int64_t tokens = 0, heads = 0, headDim = 0, ropeDims = 0;
    float* x = nullptr; int64_t ldx = 0;
    const float* cos = nullptr;
    const float* sin = nullptr;
    int pairing = 1;
};

enum class Activation : uint8_t {
    Silu,       // x·σ(x)
    GeluErf,    // x·Φ(x) (torch gelu, BERT)
    GeluTanh,   // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (gelu_new, gelu_pytorch_tanh)
    Softcap,    // c·tanh(x / c), c = param (Gemma logit soft-capping)
    Sigmoid,    // σ(x) (output gates)
    Identity,   // x
    ClampedSwiglu,   // gated only (gpt-oss experts): g = min(gate, limit), u = clamp(up, −limit, limit),
                     // out = (u + 1) · g · σ(alpha · g)  (transformers GptOssExperts._apply_gate)
};
const char* activationName(Activation a);

/// y[i] = act(x[i]) for i < n (y may equal x).
struct ActivationArgs {
    int64_t n = 0;
    Activation act = Activation::Silu;
    float param = 0.f;
    const float* x = nullptr;
    float* y = nullptr;
};

/// out[i] = act(gate[i / repeat]) · up[i] for i < n (SwiGLU: Silu; GeGLU: GeluTanh; an output gate: Sigmoid, with
/// repeat = head_dim for one gate value per head and token; a per-token, per-head scale: Identity). out may equal
/// up (or gate when repeat = 1). ClampedSwiglu (repeat 1) uses alpha and limit as documented on the enum.
struct GatedActivationArgs {
    int64_t n = 0;
    int64_t repeat = 1;
    Activation act = Activation::Silu;
    const float* gate = nullptr;
    const float* up = nullptr;
    float* out = nullptr;
    float alpha = 1.702f;     // ClampedSwiglu only
    float limit = 7.0f;       // ClampedSwiglu only
};

/// y[r][c] += bias[c] for `rows` rows of `cols`.
struct AddBiasArgs {
    int64_t rows = 0, cols = 0;
    float* y = nullptr; int64_t ldy = 0;
    const float* bias = nullptr;
};

/// y[i] += x[i], i < n.
struct AddArgs {
    int64_t n = 0;
    const float* x = nullptr;
    float* y = nullptr;
};

/// x[i] *= s, i < n.
struct ScaleArgs {
    int64_t n = 0;
    float* x = nullptr;
    float s = 1.f;
};

/// out[t][:] = table[ids[t]][:] · scale, t < count (embedding lookup). ids live in a backend buffer.
struct GatherArgs {
    int64_t count = 0, cols = 0;
    const int32_t* ids = nullptr;
    const float* table = nullptr; int64_t ldTable = 0;
    int64_t tableRows = 0;                 // ids are checked against it
    float* out = nullptr; int64_t ldOut = 0;
    float scale = 1.f;
};

/// y[ids[r]][:] += w[r] · x[r][:] for r < rows (ids checked against yRows; w may be null for weight 1): adds the
/// outputs of a mixture-of-experts expert, computed on the rows routed to it, back into the tokens' rows. Rows
/// are added in order, so a token routed to several experts sums them in the order the caller runs the experts.
struct IndexAddArgs {
    int64_t rows = 0, cols = 0;
    const int32_t* ids = nullptr;      // rows entries, in a backend buffer
    const float* w = nullptr;          // rows entries, or null
    const float* x = nullptr; int64_t ldx = 0;
    float* y = nullptr; int64_t ldy = 0;
    int64_t yRows = 0;
};

/// Softmax attention for all heads of one layer (docs/ENGINE.md "Attention"): s_ij = scale·q_i·k_j on the keys
/// the mask leaves valid, softmax per row with max subtraction, o_i = Σ_j A_ij v_j.
/// Optional virtual sink column (gpt-oss learned sinks, "softmax off by one", the sink variant): with a logit b_h
/// for head h, m_i = max(b_h, max_j s_ij), Z_i = exp(b_h − m_i) + Σ_j exp(s_ij − m_i), A_ij = exp(s_ij − m_i)/Z_i and
/// the sink takes p_sink(i) = exp(b_h − m_i)/Z_i (its value vector is 0, so rows of A sum to 1 − p_sink).
/// q: [T × heads·d], k: [T × kvHeads·d], v: [T × valueHeads·dv] (row strides ldq/ldk/ldv); head h reads K head
/// h / (heads/kvHeads) and V head h / (heads/valueHeads). dv = valueDim (0: headDim; a differential V1 head's
/// value is 2·d wide) and valueHeads (0: kvHeads) differ from the key side only in differential layouts.
/// out: [T × heads·dv]. probs[h] (optional, T×T row-major, masked cells written as 0) and lse[h] (optional, T;
/// +inf on masked rows) receive the probabilities and per-row log-sum-exp of head h. The kernel must not assume
/// that a row's valid keys are a prefix: it reads them from mask.rowKeys(). Cancellation is checked between heads.
struct AttentionArgs {
    int64_t tokens = 0, heads = 0, kvHeads = 0, headDim = 0;
    int64_t valueDim = 0;            // 0: headDim
    int64_t valueHeads = 0;          // 0: kvHeads
    float scale = 1.f;
    AttentionMask mask;
    const float* q = nullptr; int64_t ldq = 0;
    const float* k = nullptr; int64_t ldk = 0;
    const float* v = nullptr; int64_t ldv = 0;
    float* out = nullptr; int64_t ldo = 0;
    float* const* probs = nullptr;   // heads entries, each may be null
    float* const* lse = nullptr;     // heads entries, each may be null
    /// The log-sum-exp split for exact tile recomputation: the row's max m_i and log Σ_j exp(s_ij − m_i) (heads
    /// entries, each T, may be null). A float m + log Σ loses ≈ ulp(|m|) — up to 4e-6 in a recomputed weight when
    /// |m| ≈ 30 — while exp((s − m) − logΣ) stays within 1e-6 (docs/LONG-CONTEXT.md).
    float* const* rowMax = nullptr;
    float* const* rowLogSum = nullptr;
    const float* sinkLogits = nullptr;   // heads entries (b_h) in host memory, or null: no sink column
    float* const* sinkProbs = nullptr;   // heads entries, each T (p_sink per row) or null
    /// Optional: called once per row of every head with the row's probabilities — the weight of key j is
    /// probs[j − offset] for the keys the mask leaves valid — so statistics can be streamed without storing the
    /// map (docs/LONG-CONTEXT.md). Called from the worker that computes the head; one head is never split across
    /// workers. A backend that cannot call back must not report `supports(Attention)` for such runs.
    void (*rowObserver)(void* context, int64_t head, int64_t row, const float* probs, int64_t offset) = nullptr;
    void* rowObserverContext = nullptr;
    int64_t observerHeadBase = 0;   // rowObserver receives head + observerHeadBase (set by attentionHeadSlice)
    std::stop_token stop;
};

/// The arguments of query head h alone (heads = kvHeads = 1): pointers moved to the head's columns of q and out,
/// its KV head's columns of k and v, and its entries of the per-head arrays. Running every slice equals running
/// `a` (each head's softmax and output depend on its own columns only).
AttentionArgs attentionHeadSlice(const AttentionArgs& a, int64_t h);

/// A what-if attention that is not a softmax under a fixed mask (docs/VARIANTS.md): a data-dependent selection
/// (top-k, threshold, LSH buckets, k-means clusters), a pooled map (NSA-style, hierarchical, Linformer) or a
/// kernelised map (linear, Performer). For every head the op computes the *effective map* P (T×T, rows sum to 1
/// over the keys it uses, 0 elsewhere, never outside `base`) and the output O = P·V; probs[h] receives P when
/// given, support[h] (a MaskBits of T×T) receives P's support for the selection and pooled kinds. Seeds make it
/// deterministic.
struct VariantAttentionArgs {
    VariantKind kind = VariantKind::TopK;
    int64_t tokens = 0, heads = 0, kvHeads = 0, headDim = 0;
    float scale = 1.f;
    AttentionMask base;              // the model's causality: causal or bidirectional
    // parameters (those of the kind; see attention_spec.cpp)
    int64_t k = 0, window = 0, block = 0, select = 0, local = 0, region = 0, global = 0, buckets = 0, rounds = 0,
            features = 0;
    double p = 0;
    uint64_t seed = 0;
    int layer = 0;                   // mixed into seeds so layers hash differently
    const float* q = nullptr; int64_t ldq = 0;
    const float* k_ = nullptr; int64_t ldk = 0;
    const float* v = nullptr; int64_t ldv = 0;
    float* out = nullptr; int64_t ldo = 0;
    float* const* probs = nullptr;   // heads entries, each may be null
    MaskBits* const* support = nullptr;  // heads entries, each may be null
    std::stop_token stop;
};

/// K/V heads regrouped by averaging: x is [rows × heads·headDim] (row stride ld); afterwards the first
/// groups·headDim columns of every row hold the means of `heads / groups` consecutive heads (in place).
struct HeadGroupMeanArgs {
    int64_t rows = 0, heads = 0, groups = 0, headDim = 0;
    float* x = nullptr; int64_t ld = 0;
};

/// Depthwise causal convolution over tokens, the short convolution of a Gated DeltaNet layer (transformers
/// models/qwen3_next causal_conv1d_fn: F.conv1d with padding K − 1, groups = channels, the first T outputs):
///   y[t][c] = act(Σ_{k<K} w[c][k] · x[t − K + 1 + k][c]),  x[t < 0] = 0.
/// x, y: [tokens × channels] with row strides (y must not alias x); weight: [channels × kernel].
struct CausalConv1dArgs {
    int64_t tokens = 0, channels = 0, kernel = 0;
    const float* x = nullptr; int64_t ldx = 0;
    const float* weight = nullptr;
    float* y = nullptr; int64_t ldy = 0;
    Activation act = Activation::Identity;
};

/// The gated delta rule of a Gated DeltaNet layer (Yang, Kautz, Hatamizadeh, arXiv 2412.06464; transformers
/// models/qwen3_next torch_recurrent_gated_delta_rule, which the chunked form equals), per value head h with key
/// head h / (valueHeads / keyHeads) and a state S of keyDim × valueDim starting at 0:
///   β_t = σ(b_t),  g_t = −exp(A_log) · softplus(a_t + dt_bias)        (softplus(x) = x above 20, as torch)
///   q̂ = q / sqrt(Σq² + ε) · keyDim^-½,  k̂ = k / sqrt(Σk² + ε)          (when l2NormQk; ε = l2Eps)
///   S ← exp(g_t) · S;  δ = β_t · (v_t − Sᵀk̂_t);  S ← S + k̂_t δᵀ;  o_t = Sᵀq̂_t
/// q, k: [T × keyHeads·keyDim] (stride ldqk); v: [T × valueHeads·valueDim] (stride ldv); a, b: [T × valueHeads]
/// (stride ldab); aLog, dtBias: [valueHeads]; instead of aLog, negA may give A = −exp(A_log) itself, as llama.cpp's
/// converter stores it (GGUF ssm_a; then g_t = A · softplus(a_t + dt_bias)) — exactly one of the two is set;
/// out: [T × valueHeads·valueDim] (stride ldo). Optional outputs for
/// capture: beta (β_t) and decay (exp(g_t), the share of the state kept), [T × valueHeads] each, may be null.
/// Cancellation is checked between heads.
struct GatedDeltaRuleArgs {
    int64_t tokens = 0, keyHeads = 0, valueHeads = 0, keyDim = 0, valueDim = 0;
    const float* q = nullptr;
    const float* k = nullptr; int64_t ldqk = 0;
    const float* v = nullptr; int64_t ldv = 0;
    const float* a = nullptr;
    const float* b = nullptr; int64_t ldab = 0;
    const float* aLog = nullptr;
    const float* negA = nullptr;
    const float* dtBias = nullptr;
    float* out = nullptr; int64_t ldo = 0;
    float* beta = nullptr;
    float* decay = nullptr;
    bool l2NormQk = true;
    float l2Eps = 1e-6f;
    std::stop_token stop;
};

/// The router of a mixture-of-experts MLP (transformers qwen3_next Qwen3NextTopKRouter): per token p =
/// softmax(logits) in fp32, the k largest (ties: the lower expert id), renormalised to sum 1 when `normalize`
/// (norm_topk_prob). logits: [tokens × experts] (stride ldLogits); ids (backend int32) and weights:
/// [tokens × k], largest first.
struct MoeRouteArgs {
    int64_t tokens = 0, experts = 0, k = 0;
    const float* logits = nullptr; int64_t ldLogits = 0;
    bool normalize = true;
    int32_t* ids = nullptr;
    float* weights = nullptr;
};

/// Result of an op: ok, or a reason (unsupported, cancelled, device error, out of memory). Never throws.
struct OpStatus {
    bool ok = true;
    bool cancelled = false;
    bool outOfMemory = false;
    std::string message;
    static OpStatus success() { return {}; }
    static OpStatus failure(std::string m) { return {false, false, false, std::move(m)}; }
    static OpStatus cancel() { return {false, true, false, "cancelled"}; }
    static OpStatus oom(std::string m) { return {false, false, true, std::move(m)}; }
};

/// Memory owned by a backend (host memory for the CPU backend, device memory for a GPU backend).
class DeviceBuffer {
public:
    virtual ~DeviceBuffer() = default;
    virtual void* data() = 0;
    virtual uint64_t bytes() const = 0;
    float* floats() { return static_cast<float*>(data()); }
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;          // "cpu", "cuda"
    virtual std::string description() const = 0;   // device, threads, library
    virtual bool supports(OpKind op) const = 0;
    /// False once the backend hit an error that leaves it unusable (a sticky CUDA error): later runs go to the
    /// CPU backend, and description() says what happened.
    virtual bool healthy() const { return true; }
    virtual void setThreads(int n) { (void)n; }
    virtual int threads() const { return 1; }
    /// Switches to smaller tiles and workspaces (attention tiles, GEMM workspace) and releases cached
    /// workspaces, for a run retried after a device error or out-of-memory. False when already at the smallest.
    virtual bool reduceTiles() { return false; }
    /// Backend memory free now, or 0 when unknown or not separate from the host's (the CPU backend).
    virtual uint64_t freeMemoryBytes() const { return 0; }

    // ---- memory ----
    /// True when buffers are ordinary host memory (the CPU backend): results can be read in place.
    virtual bool hostMemory() const = 0;
    /// Allocates `bytes` (uninitialised); nullptr when out of memory.
    virtual std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes) = 0;
    /// Host → backend and backend → host copies (ordered with the backend's ops).
    virtual OpStatus upload(void* dst, const void* src, uint64_t bytes) = 0;
    virtual OpStatus download(void* dst, const void* src, uint64_t bytes) = 0;
    /// Waits until every queued op finished; returns the first error of the queue.
    virtual OpStatus synchronize() { return OpStatus::success(); }

    // ---- ops ----
    virtual OpStatus gemm(const GemmArgs& a) = 0;
    virtual OpStatus norm(const NormArgs& a) = 0;
    virtual OpStatus rope(const RopeArgs& a) = 0;
    virtual OpStatus activation(const ActivationArgs& a) = 0;
    virtual OpStatus gatedActivation(const GatedActivationArgs& a) = 0;
    virtual OpStatus addBias(const AddBiasArgs& a) = 0;
    virtual OpStatus add(const AddArgs& a) = 0;
    virtual OpStatus scale(const ScaleArgs& a) = 0;
    virtual OpStatus gather(const GatherArgs& a) = 0;
    virtual OpStatus attention(const AttentionArgs& a) = 0;
    // ---- what-if ops (optional: a backend without them runs baselines only) ----
    virtual OpStatus variantAttention(const VariantAttentionArgs& a) { (void)a; return OpStatus::failure(name() + ": variant attention is not supported"); }
    virtual OpStatus headGroupMean(const HeadGroupMeanArgs& a) { (void)a; return OpStatus::failure(name() + ": head regrouping is not supported"); }
    // ---- mixture-of-experts op (optional: a backend without it runs dense models only) ----
    virtual OpStatus indexAdd(const IndexAddArgs& a) { (void)a; return OpStatus::failure(name() + ": index_add is not supported"); }
    // ---- ops of Gated DeltaNet layers and MoE MLPs (optional: a backend without them cannot run those models) ----
    virtual OpStatus causalConv1d(const CausalConv1dArgs& a) { (void)a; return OpStatus::failure(name() + ": causal conv1d is not supported"); }
    virtual OpStatus gatedDeltaRule(const GatedDeltaRuleArgs& a) { (void)a; return OpStatus::failure(name() + ": the gated delta rule is not supported"); }
    virtual OpStatus moeRoute(const MoeRouteArgs& a) { (void)a; return OpStatus::failure(name() + ": MoE routing is not supported"); }
};

class BackendFactory {
public:
    virtual ~BackendFactory() = default;
    virtual std::string name() const = 0;
    /// Can this machine run the backend? On false, `reason` says why ("no CUDA driver", "no device", …).
    virtual bool probe(std::string& reason) const = 0;
    virtual std::unique_ptr<Backend> create() const = 0;
};

/// Backends known to this build, in preference order (CPU is registered last as the guaranteed fallback).
class BackendRegistry {
public:
    void add(std::unique_ptr<BackendFactory> f) { m_factories.push_back(std::move(f)); }
    const std::vector<std::unique_ptr<BackendFactory>>& factories() const { return m_factories; }

    /// `which` = "auto" (first whose probe succeeds), or a backend name. `notes` collects why a backend was
    /// skipped ("cuda: no device"). Throws Error(Usage) for an unknown name, Error(Unsupported) when the
    /// named backend's probe fails.
    std::unique_ptr<Backend> create(const std::string& which, std::string& notes) const;

private:
    std::vector<std::unique_ptr<BackendFactory>> m_factories;
};

} // namespace attnscope
