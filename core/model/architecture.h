// Architectures as data (docs/ARCHITECTURES.md): one table row per architecture, keyed by GGUF
// `general.architecture` and HF `model_type`, holding the hyperparameter keys of both formats, the tensor-name
// templates of every role in both formats, and the block's maths as enum fields (norm, MLP, positions, residual
// layout, embedding scale, q/k norm, the per-layer attention rule). The forward pass reads only these fields;
// family-specific block code exists only where the maths really differs.
// Adding an architecture whose block already exists is a row in architecture_table.cpp plus a fixture.
// Threading: immutable table; any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

#include <cstdint>
#include <span>
#include <string>

namespace attnscope {

/// Gated: down(act(gate(x)) · up(x)) (SwiGLU with SiLU, GeGLU with tanh-GELU); Plain: down(act(up(x)))
/// (GPT-2, BERT). The activation comes from the config's activation key, else the row's default.
enum class MlpKind : uint8_t { Gated, Plain };
enum class PositionKind : uint8_t { Rope, Learned };
enum class RopePairing : uint8_t { Adjacent, SplitHalf };
/// Where the norms sit around the attention and MLP sub-blocks:
///   PreNorm   x += f(norm(x))                       (Llama, GPT-2)
///   Sandwich  x += postNorm(f(preNorm(x)))          (Gemma 2/3)
///   PostNorm  x = norm(x + f(x))                    (BERT)
enum class ResidualLayout : uint8_t { PreNorm, Sandwich, PostNorm };
/// How each layer's attention mask is chosen:
///   AllCausal          every layer causal (a config `sliding_window` makes every layer sliding: Mistral)
///   AllBidirectional   every layer sees every key (BERT)
///   SlidingPattern     `layer_types` from the config, else every Nth layer full and the others sliding
///                      (Gemma 3: N = 6, layer l is full iff (l + 1) mod 6 = 0)
///   HybridLinear       `layer_types` (full_attention / linear_attention) from the config, else every Nth layer
///                      full softmax attention and the others Gated DeltaNet layers (Qwen3-Next:
///                      full_attention_interval, default 4)
enum class LayerRule : uint8_t { AllCausal, AllBidirectional, SlidingPattern, HybridLinear };

/// An output gate on every head's SDPA output before o_proj (Qiu et al., "Gated Attention for Large Language
/// Models", arXiv 2505.06708, position G1): Y' = Y ⊙ σ(X W_θ), one value per head and token (headwise) or per
/// head, token and dimension (elementwise). The gate rows are packed into q_proj (docs/GATED.md "Layouts").
enum class OutputGate : uint8_t { None, Headwise, Elementwise };
/// Where a gated model keeps the gate rows in q_proj:
///   PerKvGroup          qiuzh20/gated_attention modeling_qwen3.py: per KV group the group's G heads' queries,
///                       then their gates (G rows headwise, G·d elementwise)
///   PerHeadInterleaved  transformers qwen3_next: per head [query (d rows) | gate (d rows)]
enum class GateLayout : uint8_t { PerKvGroup, PerHeadInterleaved };
/// What mixes the tokens of a layer: softmax attention (a T × T map per head) or a Gated DeltaNet (linear
/// attention with a recurrent state; no softmax map exists).
enum class TokenMixer : uint8_t { SoftmaxAttention, GatedDeltaNet };
/// The layer's MLP: one dense (gated or plain) MLP, or a mixture of experts with a gated shared expert.
enum class FfnKind : uint8_t { Dense, Moe };
/// Differential attention (Ye et al., arXiv 2410.05258; docs/DIFFERENTIAL.md):
///   V1  (softmax(Q1K1ᵀ/√d) − λ·softmax(Q2K2ᵀ/√d))·V with λ = exp(λq1·λk1) − exp(λq2·λk2) + λ_init shared by a
///       layer's heads, λ_init = 0.8 − 0.6·exp(−0.3·layer), a value of 2d per head, RMSNorm over 2d and a
///       (1 − λ_init) scale (microsoft/unilm Diff-Transformer/multihead_diffattn.py; transformers DiffLlama)
///   V2  A1 − σ(x·W_λ)·A2 with λ per token and head, value d, no norm (Diff-Transformer-V2/multihead_flashdiffv2.py)
enum class DiffVersion : uint8_t { None, V1, V2 };
/// Where a differential head's two query (and key) halves sit in the projections:
///   Paired     consecutive heads (2h, 2h+1) of q (and k), as the authors' code views q as [2H, d]
///   HalfSplit  heads h and h + H (transformers DiffLlama: two attention calls over the two halves of the heads)
enum class DiffLayout : uint8_t { Paired, HalfSplit };

const char* mlpKindName(MlpKind k);
const char* positionKindName(PositionKind k);
const char* ropePairingName(RopePairing p);
const char* residualLayoutName(ResidualLayout r);
const char* outputGateName(OutputGate g);     // "none", "headwise", "elementwise"
const char* gateLayoutName(GateLayout l);     // "per KV group", "per head interleaved"
const char* diffVersionName(DiffVersion v);

/// The meaning of a tensor in a block, independent of how a format names it.
enum class TensorRole : uint8_t {
    // model-wide
    TokenEmbedding, PositionEmbedding, TokenTypeEmbedding, EmbeddingNorm, EmbeddingNormBias, OutputNorm,
    OutputNormBias, Output,
    // per layer
    AttnNorm, AttnNormBias, Q, QBias, K, KBias, V, VBias, Qkv, QkvBias, O, OBias, QNorm, KNorm,
    PostAttnNorm, AttnResidualNorm, AttnResidualNormBias,
    FfnNorm, FfnNormBias, Gate, Up, UpBias, Down, DownBias, PostFfnNorm, FfnResidualNorm, FfnResidualNormBias,
    // differential attention (docs/DIFFERENTIAL.md): V1's four λ vectors and sub-layer norm, V2's λ projection
    DiffLambdaQ1, DiffLambdaK1, DiffLambdaQ2, DiffLambdaK2, DiffSubNorm, DiffLambdaProj,
    // gpt-oss: learned per-head sink logits and the mixture of experts (router, stacked expert projections:
    // HF fuses gate|up interleaved, GGUF stores them apart)
    AttnSinks, MoeRouter, MoeRouterBias, MoeGateUp, MoeGateUpBias, MoeGate, MoeGateBias, MoeUp, MoeUpBias,
    MoeDown, MoeDownBias,
    // Gated DeltaNet layers (transformers qwen3_next Qwen3NextGatedDeltaNet). llama.cpp's converter splits HF's
    // packed in_proj_qkvz into [q | k | v] (DeltaInProjQkv) and z (DeltaInProjZ), and stores A = −exp(A_log)
    // (DeltaA) instead of A_log.
    DeltaInProjQkvz, DeltaInProjBa, DeltaConv, DeltaDtBias, DeltaALog, DeltaNorm, DeltaOutProj,
    DeltaInProjQkv, DeltaInProjZ, DeltaA,
    // Qwen3-Next's mixture of experts (Qwen3NextSparseMoeBlock; its router is MoeRouter above): a gated shared
    // expert and per-expert projections, bound per (layer, expert)
    MoeSharedGate, MoeSharedUp, MoeSharedDown, MoeSharedExpertGate, MoeExpertGate, MoeExpertUp, MoeExpertDown,
    Count
};
constexpr int kTensorRoleCount = static_cast<int>(TensorRole::Count);
constexpr int kFirstLayerRole = static_cast<int>(TensorRole::AttnNorm);
/// "query projection", "sandwich norm after attention", … (error messages, info).
const char* tensorRoleLabel(TensorRole r);
bool isLayerRole(TensorRole r);

enum BindingFlags : uint8_t {
    kRequired = 0,
    kOptional = 1,   // may be absent (an untied lm head, an optional bias)
    kHfConv1D = 2,   // the HF tensor is stored [in, out] (GPT-2's Conv1D; gpt-oss's stacked experts
                     // [experts, in, out]); GGUF stores [out, in]
    kGgufStacked = 4,// an expert role whose GGUF tensor stacks every expert [experts, out, in] (llama.cpp
                     // ffn_*_exps); expert e is matrix e of it, where HF names one tensor per expert ({E})
};

/// How one role is named in each format. Templates use {L} for the layer index; nullptr = absent in that format.
struct TensorBinding {
    TensorRole role;
    const char* gguf;
    const char* hf;
    uint8_t flags = kRequired;
};

/// HF config.json keys of the hyperparameters (they differ between families: GPT-2 says n_embd, BERT
/// layer_norm_eps). nullptr = the architecture has no such key.
struct HfKeys {
    const char* dModel = "hidden_size";
    const char* nLayers = "num_hidden_layers";
    const char* nHeads = "num_attention_heads";
    const char* nKvHeads = "num_key_value_heads";
    const char* ffnDim = "intermediate_size";
    const char* vocab = "vocab_size";
    const char* context = "max_position_embeddings";
    const char* normEps = "rms_norm_eps";
    const char* headDim = "head_dim";
    const char* activation = "hidden_act";
    const char* typeVocab = nullptr;   // BERT token types
};

struct ArchitectureDesc {
    const char* name;                             // "llama", "gemma3", "bert", "gpt2"
    std::span<const char* const> ggufNames;      // general.architecture values
    std::span<const char* const> hfTypes;        // config.json model_type values
    NormKind norm = NormKind::Rms;
    float normOffsetHf = 0.f;                     // 1 when the HF weights are zero-centred ((1 + w), Gemma)
    float normOffsetGguf = 0.f;                   // llama.cpp's converter bakes the +1 into Gemma's GGUF weights
    MlpKind mlp = MlpKind::Gated;
    Activation activation = Activation::Silu;     // when the file names none (GGUF never does)
    PositionKind position = PositionKind::Rope;
    RopePairing ropeGguf = RopePairing::SplitHalf;   // HF safetensors are always split-half
    ResidualLayout residual = ResidualLayout::PreNorm;
    LayerRule layerRule = LayerRule::AllCausal;
    int slidingPattern = 0;                       // SlidingPattern: every Nth layer is full
    float ggufLocalRopeTheta = 0.f;               // θ of sliding layers when the GGUF has no key for it
    bool embeddingScaleSqrtD = false;             // x = embed · √d_model (Gemma)
    bool qkNorm = false;                          // RMSNorm over head_dim on q and k before RoPE
    bool hasLmHead = true;                        // false for encoders (BERT): no next-token prediction
    bool queryPreAttnScalar = false;              // scale = query_pre_attn_scalar^-1/2 (Gemma) instead of d^-1/2
    const char* hfOptionalPrefix = nullptr;       // "bert.", "transformer.": HF names may carry it
    HfKeys hf;
    std::span<const TensorBinding> tensors;
    std::span<const TensorBinding> extraTensors;  // a second list (e.g. Qwen2's biases on top of Llama's names)
    std::span<const char* const> ignoredTensors;  // harmless extras (buffers, poolers): reported as unused
    std::span<const char* const> refusedTensors;  // tensors whose maths we do not implement: refuse the model
    bool slidingWindowFromConfig = false;         // AllCausal rows: a config sliding_window makes every layer slide
    bool slidingOwnRope = false;                  // SlidingPattern: sliding layers have their own RoPE (Gemma 3)
    float hfDefaultRopeTheta = 10000.f;           // rope_theta when config.json names none (gpt-oss: 150000)
    RopePairing ropeHf = RopePairing::SplitHalf;  // the DIFF reference code rotates adjacent pairs
    DiffVersion diff = DiffVersion::None;         // differential attention block (docs/DIFFERENTIAL.md)
    DiffLayout diffLayout = DiffLayout::Paired;
    bool diffSubNormFromConfigEps = false;        // DiffLlama: the 2d RMSNorm uses rms_norm_eps (authors: 1e-5)
    bool gptOssExperts = false;                   // gpt-oss mixture of experts instead of the dense MLP
    bool ggufYarnTruncate = true;                 // GGUF YaRN: round the correction range (gpt-oss's config: no)
    // Gated attention, hybrid linear-attention layers and MoE MLPs (docs/GATED.md).
    OutputGate outputGate = OutputGate::None;     // a gate every softmax layer of the row has (Qwen3-Next)
    GateLayout gateLayout = GateLayout::PerKvGroup;
    bool gateFromConfigFlags = false;             // qwen3: headwise_/elementwise_attn_output_gate (qiuzh20) add one
    float defaultPartialRotary = 1.f;             // partial_rotary_factor when the config names none (Qwen3-Next 0.25)
    int hybridInterval = 0;                       // HybridLinear: full_attention_interval when the config names none
    bool moeFromConfig = false;                   // num_experts > 0 turns layers into MoE MLPs
    std::span<const TensorBinding> expertTensors; // per-expert tensors: templates with {L} and {E} (GGUF: stacked)
};

/// The table, in lookup order.
std::span<const ArchitectureDesc> architectureTable();
/// nullptr when unknown.
const ArchitectureDesc* findArchitectureByGguf(const std::string& name);
const ArchitectureDesc* findArchitectureByHfType(const std::string& modelType);
/// "llama, mistral, qwen2, qwen3, gemma3, bert, gpt2" for messages.
std::string supportedArchitectureList();

/// The activation a config string names ("silu", "gelu", "gelu_new", "gelu_pytorch_tanh"); false if unknown.
bool activationFromName(const std::string& name, Activation& out);

/// Expands "{L}" (and "{E}", the expert index of per-expert tensors) in a template.
std::string expandTemplate(const char* tmpl, int layer, int expert = -1);

} // namespace attnscope
