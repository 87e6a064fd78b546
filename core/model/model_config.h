// The resolved description a forward pass needs: the architecture row (core/model/architecture.h) plus the
// hyperparameters read from GGUF metadata or HF config.json, and the per-layer attention rule (mask, RoPE base),
// all validated (docs/ARCHITECTURES.md). Layout choices (RoPE pairing, norm offset, biases) are fields chosen
// from the file's declared architecture and format, never from tensor shapes. Values the engine cannot honour
// (an unknown activation, a RoPE scaling type it does not implement, a malformed rope_parameters) are refused
// naming the field — never replaced by a default that silently changes results.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/capture/quantity.h"
#include "core/model/architecture.h"

#include <string>
#include <vector>

namespace attnscope {

class Checkpoint;

/// YaRN RoPE scaling (Peng et al., arXiv 2309.00071) as transformers' _compute_yarn_parameters computes it
/// (modeling_rope_utils.py): inv_freq = interp·(1 − e) + extrap·e with e = 1 − ramp(t) over the frequency index t,
/// ramp(t) = clamp((t − low) / (high − low), 0, 1), interp = extrap / factor; cos and sin are multiplied by the
/// attention factor. factor = 0: no YaRN.
struct RopeYarn {
    float factor = 0.f;
    double rampLow = 0, rampHigh = 0;   // the correction range (find_correction_range), frequency-index units
    float attentionFactor = 1.f;
    auto operator<=>(const RopeYarn&) const = default;
};

/// The YaRN correction range and attention factor for `dim` rotated dims, exactly as transformers'
/// _compute_yarn_parameters computes them: attention factor = the given one, else
/// mscale(factor, mscale) / mscale(factor, mscale_all_dim) when both are non-zero, else 0.1·ln(factor) + 1;
/// range = [dim·ln(orig / (β·2π)) / (2 ln θ)] for β = beta_fast, beta_slow, floored/ceiled when `truncate`,
/// clamped to [0, dim − 1].
RopeYarn yarnParameters(double theta, int dim, double factor, double originalMax, double betaFast, double betaSlow,
                        double attentionFactor /* NaN: derive */, double mscale, double mscaleAllDim, bool truncate);

/// One layer's rules: what mixes its tokens, its attention mask and RoPE, and its MLP kind.
struct LayerConfig {
    AttentionMask mask;          // causal, bidirectional or sliding window
    float ropeTheta = 10000.f;   // RoPE base of this layer (Gemma 3: local 1e4, global 1e6)
    float ropeLinearFactor = 1.f;// linear RoPE scaling: positions are divided by it
    RopeYarn yarn;               // YaRN scaling (gpt-oss); factor 0 = none
    TokenMixer mixer = TokenMixer::SoftmaxAttention;
    FfnKind ffn = FfnKind::Dense;
    /// False for linear-attention (Gated DeltaNet) layers: they have no T × T softmax map to show.
    bool hasSoftmaxMap() const { return mixer == TokenMixer::SoftmaxAttention; }
};

/// The shape of a Gated DeltaNet layer (Qwen3-Next linear_* config keys).
struct DeltaNetDims {
    int keyHeads = 0;            // linear_num_key_heads
    int valueHeads = 0;          // linear_num_value_heads (a multiple of keyHeads)
    int keyDim = 0;              // linear_key_head_dim
    int valueDim = 0;            // linear_value_head_dim
    int convKernel = 0;          // linear_conv_kernel_dim
    int64_t keyWidth() const { return int64_t(keyHeads) * keyDim; }
    int64_t valueWidth() const { return int64_t(valueHeads) * valueDim; }
    int64_t convChannels() const { return 2 * keyWidth() + valueWidth(); }
};

/// The shape of a mixture-of-experts MLP (Qwen3-Next num_experts, … keys).
struct MoeDims {
    int experts = 0;             // num_experts
    int topK = 0;                // num_experts_per_tok
    int expertFfn = 0;           // moe_intermediate_size
    int sharedFfn = 0;           // shared_expert_intermediate_size
    bool normTopK = true;        // norm_topk_prob: the chosen experts' weights are renormalised to sum 1
};

struct ModelConfig {
    const ArchitectureDesc* arch = nullptr;
    std::string architecture;    // as the file names it: "llama", "gemma3", "gemma3_text", "bert", …
    std::string name;            // general.name or the folder name
    int nLayers = 0;
    /// Multi-token-prediction blocks a GGUF file stores after the last layer (llama.cpp
    /// `{arch}.nextn_predict_layers`, counted in block_count): blk.{nLayers}… are not part of the forward pass;
    /// their tensors are reported as unused.
    int mtpBlocks = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int headDim = 0;
    int dModel = 0;
    int ffnDim = 0;
    int vocabSize = 0;
    int contextLength = 0;       // 0 = the file does not state it (then it is not enforced)
    int typeVocab = 0;           // BERT token types
    float normEps = 1e-5f;
    float normWeightOffset = 0.f;// 1: weights are zero-centred, the norm multiplies by (1 + w)
    NormKind norm = NormKind::Rms;
    MlpKind mlp = MlpKind::Gated;
    Activation activation = Activation::Silu;
    PositionKind position = PositionKind::Rope;
    ResidualLayout residual = ResidualLayout::PreNorm;
    float ropeTheta = 10000.f;   // the global (full-attention) RoPE base, for display
    int ropeDims = 0;            // rotated dims per head (== headDim unless partial rotary)
    RopePairing ropePairing = RopePairing::SplitHalf;
    float embeddingScale = 1.f;  // Gemma: √d_model
    float attnScale = 1.f;       // logit scale: head_dim^-1/2 or query_pre_attn_scalar^-1/2
    float finalLogitSoftcap = 0.f;   // 0 = none
    bool qkNorm = false;
    bool attentionBias = false;  // q/k/v (and o where the row has it) carry biases
    bool tiedEmbeddings = false;
    bool hasLmHead = true;       // encoders (BERT) have none: no next-token prediction
    int slidingWindow = 0;       // W of the sliding layers (0 = none)
    OutputGate outputGate = OutputGate::None;   // chosen from the row and the config flags, never from shapes
    GateLayout gateLayout = GateLayout::PerKvGroup;
    DeltaNetDims deltaNet;       // set when some layer is a Gated DeltaNet layer
    MoeDims moe;                 // set when some layer has a MoE MLP
    std::vector<LayerConfig> layers;

    // Differential attention (docs/DIFFERENTIAL.md). nHeads counts differential heads (each has two softmax maps
    // of head_dim), nKvHeads the value heads; DiffLlama's config counts the halves, so its heads are halved here.
    DiffVersion diff = DiffVersion::None;
    DiffLayout diffLayout = DiffLayout::Paired;
    float diffSubNormEps = 1e-5f;  // V1: eps of the RMSNorm over 2d (the authors' subln; DiffLlama: rms_norm_eps)

    // gpt-oss mixture of experts (docs/ARCHITECTURES.md): ffnDim is the expert width; 0 experts = dense MLP.
    int gptOssExperts = 0;
    int gptOssExpertsUsed = 0;     // top-k
    float swigluAlpha = 1.702f;    // the experts' clamped SwiGLU
    float swigluLimit = 7.0f;

    int groupSize() const { return nKvHeads > 0 ? nHeads / nKvHeads : 0; }
    /// Width of a head's value (and attention output): 2·head_dim for differential V1 heads.
    int valueDim() const { return diff == DiffVersion::V1 ? 2 * headDim : headDim; }
    /// Output widths of the q, k and v projections and the width of the attention output (o_proj's input).
    int64_t qWidth() const { return int64_t(nHeads) * headDim * (diff != DiffVersion::None ? 2 : 1); }
    int64_t kWidth() const { return int64_t(nKvHeads) * headDim * (diff == DiffVersion::V1 ? 2 : 1); }
    int64_t vWidth() const { return int64_t(nKvHeads) * valueDim(); }
    int64_t attnWidth() const { return int64_t(nHeads) * valueDim(); }
    /// False for quantities this model never produces (a second map, a combined map or λ without differential
    /// heads); true otherwise (memory estimates skip the false ones).
    bool mayProduce(Quantity q) const;
    bool causal() const;         // any layer causal
    bool anyLayer(TokenMixer m) const;
    bool anyLayer(FfnKind f) const;
    /// One layer's rule: "full (causal), RoPE θ 10000", "Gated DeltaNet (linear attention, no softmax map)".
    std::string layerRule(size_t layer) const;
    /// "0–4 sliding window 512 (θ 10000), 5 full (θ 1000000), …": runs of identical rules.
    std::string layerRulesSummary() const;
};

/// Caps applied to every model description (docs/SECURITY.md).
constexpr int kMaxLayers = 512;
constexpr int kMaxHeads = 1024;
constexpr int kMaxVocab = 1 << 24;
constexpr int kMaxHeadDim = 1024;
constexpr int kMaxDModel = 65536;
constexpr int kMaxContext = 1 << 24;

/// Reads and validates the config; throws Error(Unsupported) for architectures or settings we cannot run (the
/// message names the architecture or field and what is supported) and Error(Model) for inconsistent values.
ModelConfig modelConfigFromCheckpoint(const Checkpoint& ckpt);

// The two readers (model_config_gguf.cpp, model_config_hf.cpp); modelConfigFromCheckpoint validates after them.
ModelConfig modelConfigFromGguf(const Checkpoint& ckpt);
ModelConfig modelConfigFromHf(const Checkpoint& ckpt);
/// The HF keys of gated attention, hybrid linear-attention layers and MoE MLPs (model_config_hybrid.cpp):
/// output-gate flags, layer_types / full_attention_interval, the Gated DeltaNet dims, the MoE dims and which
/// layers are sparse. Called by modelConfigFromHf after the common keys.
void readHybridHfConfig(const Checkpoint& ckpt, ModelConfig& m);

} // namespace attnscope
