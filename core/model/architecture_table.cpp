// The architecture table (docs/ARCHITECTURES.md). One row per architecture; tensor names appear only here.
// Sources of the names: llama.cpp src/llama-arch.cpp (GGUF) and the transformers modeling files (HF).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/architecture.h"

#include <array>

namespace attnscope {

namespace {

using R = TensorRole;

// ---- Llama family: Llama, SmolLM2, Mistral, Qwen2, Qwen3 ----
constexpr TensorBinding kLlamaTensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "model.embed_tokens.weight"},
    {R::OutputNorm, "output_norm.weight", "model.norm.weight"},
    {R::Output, "output.weight", "lm_head.weight", kOptional},
    {R::AttnNorm, "blk.{L}.attn_norm.weight", "model.layers.{L}.input_layernorm.weight"},
    {R::Q, "blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight"},
    {R::K, "blk.{L}.attn_k.weight", "model.layers.{L}.self_attn.k_proj.weight"},
    {R::V, "blk.{L}.attn_v.weight", "model.layers.{L}.self_attn.v_proj.weight"},
    {R::O, "blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight"},
    // Llama's post_attention_layernorm is the pre-FFN norm (Gemma's is a sandwich norm: see below).
    {R::FfnNorm, "blk.{L}.ffn_norm.weight", "model.layers.{L}.post_attention_layernorm.weight"},
    {R::Gate, "blk.{L}.ffn_gate.weight", "model.layers.{L}.mlp.gate_proj.weight"},
    {R::Up, "blk.{L}.ffn_up.weight", "model.layers.{L}.mlp.up_proj.weight"},
    {R::Down, "blk.{L}.ffn_down.weight", "model.layers.{L}.mlp.down_proj.weight"},
};
constexpr TensorBinding kQkvBiases[] = {
    {R::QBias, "blk.{L}.attn_q.bias", "model.layers.{L}.self_attn.q_proj.bias"},
    {R::KBias, "blk.{L}.attn_k.bias", "model.layers.{L}.self_attn.k_proj.bias"},
    {R::VBias, "blk.{L}.attn_v.bias", "model.layers.{L}.self_attn.v_proj.bias"},
};
// attention_bias = true in a Llama/Mistral config puts biases on all four projections.
constexpr TensorBinding kLlamaOptionalBiases[] = {
    {R::QBias, "blk.{L}.attn_q.bias", "model.layers.{L}.self_attn.q_proj.bias", kOptional},
    {R::KBias, "blk.{L}.attn_k.bias", "model.layers.{L}.self_attn.k_proj.bias", kOptional},
    {R::VBias, "blk.{L}.attn_v.bias", "model.layers.{L}.self_attn.v_proj.bias", kOptional},
    {R::OBias, "blk.{L}.attn_output.bias", "model.layers.{L}.self_attn.o_proj.bias", kOptional},
};
constexpr TensorBinding kQkNorms[] = {
    {R::QNorm, "blk.{L}.attn_q_norm.weight", "model.layers.{L}.self_attn.q_norm.weight"},
    {R::KNorm, "blk.{L}.attn_k_norm.weight", "model.layers.{L}.self_attn.k_norm.weight"},
};
constexpr const char* kLlamaIgnored[] = {"blk.{L}.attn_rot_embd.weight", "model.layers.{L}.self_attn.rotary_emb.inv_freq"};
// Llama-3 GGUFs carry per-frequency RoPE factors; their maths is not implemented, so such files are refused.
constexpr const char* kLlamaRefused[] = {"rope_freqs.weight"};

constexpr const char* kGgufLlama[] = {"llama"};
constexpr const char* kHfLlama[] = {"llama"};
constexpr const char* kHfMistral[] = {"mistral"};
constexpr const char* kGgufQwen2[] = {"qwen2"};
constexpr const char* kHfQwen2[] = {"qwen2"};
constexpr const char* kGgufQwen3[] = {"qwen3"};
constexpr const char* kHfQwen3[] = {"qwen3"};

// ---- Gemma 3 (transformers models/gemma3, llama.cpp LLM_ARCH_GEMMA3) ----
constexpr TensorBinding kGemma3Tensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "model.embed_tokens.weight"},
    {R::OutputNorm, "output_norm.weight", "model.norm.weight"},
    {R::Output, "output.weight", "lm_head.weight", kOptional},
    {R::AttnNorm, "blk.{L}.attn_norm.weight", "model.layers.{L}.input_layernorm.weight"},
    {R::Q, "blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight"},
    {R::K, "blk.{L}.attn_k.weight", "model.layers.{L}.self_attn.k_proj.weight"},
    {R::V, "blk.{L}.attn_v.weight", "model.layers.{L}.self_attn.v_proj.weight"},
    {R::O, "blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight"},
    {R::QNorm, "blk.{L}.attn_q_norm.weight", "model.layers.{L}.self_attn.q_norm.weight"},
    {R::KNorm, "blk.{L}.attn_k_norm.weight", "model.layers.{L}.self_attn.k_norm.weight"},
    // Sandwich norms: same shape as Llama's post_attention_layernorm, different meaning.
    {R::PostAttnNorm, "blk.{L}.post_attention_norm.weight", "model.layers.{L}.post_attention_layernorm.weight"},
    {R::FfnNorm, "blk.{L}.ffn_norm.weight", "model.layers.{L}.pre_feedforward_layernorm.weight"},
    {R::Gate, "blk.{L}.ffn_gate.weight", "model.layers.{L}.mlp.gate_proj.weight"},
    {R::Up, "blk.{L}.ffn_up.weight", "model.layers.{L}.mlp.up_proj.weight"},
    {R::Down, "blk.{L}.ffn_down.weight", "model.layers.{L}.mlp.down_proj.weight"},
    {R::PostFfnNorm, "blk.{L}.post_ffw_norm.weight", "model.layers.{L}.post_feedforward_layernorm.weight"},
};
constexpr const char* kGgufGemma3[] = {"gemma3"};
constexpr const char* kHfGemma3[] = {"gemma3_text"};

// ---- BERT (transformers models/bert, llama.cpp LLM_ARCH_BERT) ----
constexpr TensorBinding kBertTensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "embeddings.word_embeddings.weight"},
    {R::PositionEmbedding, "position_embd.weight", "embeddings.position_embeddings.weight"},
    {R::TokenTypeEmbedding, "token_types.weight", "embeddings.token_type_embeddings.weight"},
    {R::EmbeddingNorm, "token_embd_norm.weight", "embeddings.LayerNorm.weight"},
    {R::EmbeddingNormBias, "token_embd_norm.bias", "embeddings.LayerNorm.bias"},
    {R::Q, "blk.{L}.attn_q.weight", "encoder.layer.{L}.attention.self.query.weight"},
    {R::QBias, "blk.{L}.attn_q.bias", "encoder.layer.{L}.attention.self.query.bias"},
    {R::K, "blk.{L}.attn_k.weight", "encoder.layer.{L}.attention.self.key.weight"},
    {R::KBias, "blk.{L}.attn_k.bias", "encoder.layer.{L}.attention.self.key.bias"},
    {R::V, "blk.{L}.attn_v.weight", "encoder.layer.{L}.attention.self.value.weight"},
    {R::VBias, "blk.{L}.attn_v.bias", "encoder.layer.{L}.attention.self.value.bias"},
    {R::O, "blk.{L}.attn_output.weight", "encoder.layer.{L}.attention.output.dense.weight"},
    {R::OBias, "blk.{L}.attn_output.bias", "encoder.layer.{L}.attention.output.dense.bias"},
    {R::AttnResidualNorm, "blk.{L}.attn_output_norm.weight", "encoder.layer.{L}.attention.output.LayerNorm.weight"},
    {R::AttnResidualNormBias, "blk.{L}.attn_output_norm.bias", "encoder.layer.{L}.attention.output.LayerNorm.bias"},
    {R::Up, "blk.{L}.ffn_up.weight", "encoder.layer.{L}.intermediate.dense.weight"},
    {R::UpBias, "blk.{L}.ffn_up.bias", "encoder.layer.{L}.intermediate.dense.bias"},
    {R::Down, "blk.{L}.ffn_down.weight", "encoder.layer.{L}.output.dense.weight"},
    {R::DownBias, "blk.{L}.ffn_down.bias", "encoder.layer.{L}.output.dense.bias"},
    {R::FfnResidualNorm, "blk.{L}.layer_output_norm.weight", "encoder.layer.{L}.output.LayerNorm.weight"},
    {R::FfnResidualNormBias, "blk.{L}.layer_output_norm.bias", "encoder.layer.{L}.output.LayerNorm.bias"},
};
constexpr const char* kBertIgnored[] = {"pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids",
                                        "cls.*"};
constexpr const char* kGgufBert[] = {"bert"};
constexpr const char* kHfBert[] = {"bert"};

// ---- GPT-2 (transformers models/gpt2: Conv1D weights stored [in, out]; llama.cpp transposes them) ----
constexpr TensorBinding kGpt2Tensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "wte.weight"},
    {R::PositionEmbedding, "position_embd.weight", "wpe.weight"},
    {R::OutputNorm, "output_norm.weight", "ln_f.weight"},
    {R::OutputNormBias, "output_norm.bias", "ln_f.bias"},
    {R::Output, "output.weight", "lm_head.weight", kOptional},
    {R::AttnNorm, "blk.{L}.attn_norm.weight", "h.{L}.ln_1.weight"},
    {R::AttnNormBias, "blk.{L}.attn_norm.bias", "h.{L}.ln_1.bias"},
    {R::Qkv, "blk.{L}.attn_qkv.weight", "h.{L}.attn.c_attn.weight", kHfConv1D},
    {R::QkvBias, "blk.{L}.attn_qkv.bias", "h.{L}.attn.c_attn.bias"},
    {R::O, "blk.{L}.attn_output.weight", "h.{L}.attn.c_proj.weight", kHfConv1D},
    {R::OBias, "blk.{L}.attn_output.bias", "h.{L}.attn.c_proj.bias"},
    {R::FfnNorm, "blk.{L}.ffn_norm.weight", "h.{L}.ln_2.weight"},
    {R::FfnNormBias, "blk.{L}.ffn_norm.bias", "h.{L}.ln_2.bias"},
    {R::Up, "blk.{L}.ffn_up.weight", "h.{L}.mlp.c_fc.weight", kHfConv1D},
    {R::UpBias, "blk.{L}.ffn_up.bias", "h.{L}.mlp.c_fc.bias"},
    {R::Down, "blk.{L}.ffn_down.weight", "h.{L}.mlp.c_proj.weight", kHfConv1D},
    {R::DownBias, "blk.{L}.ffn_down.bias", "h.{L}.mlp.c_proj.bias"},
};
constexpr const char* kGpt2Ignored[] = {"h.{L}.attn.bias", "h.{L}.attn.masked_bias"};
constexpr const char* kGgufGpt2[] = {"gpt2"};
constexpr const char* kHfGpt2[] = {"gpt2"};

// ---- Differential attention (docs/DIFFERENTIAL.md) ----
// transformers models/diffllama: Llama's names plus the four λ vectors of each layer (no sub-layer norm weight:
// its RMSNorm over 2d has no affine part).
constexpr TensorBinding kDiffLlamaExtra[] = {
    {R::QBias, nullptr, "model.layers.{L}.self_attn.q_proj.bias", kOptional},
    {R::KBias, nullptr, "model.layers.{L}.self_attn.k_proj.bias", kOptional},
    {R::VBias, nullptr, "model.layers.{L}.self_attn.v_proj.bias", kOptional},
    {R::OBias, nullptr, "model.layers.{L}.self_attn.o_proj.bias", kOptional},
    {R::DiffLambdaQ1, nullptr, "model.layers.{L}.self_attn.lambda_q1"},
    {R::DiffLambdaK1, nullptr, "model.layers.{L}.self_attn.lambda_k1"},
    {R::DiffLambdaQ2, nullptr, "model.layers.{L}.self_attn.lambda_q2"},
    {R::DiffLambdaK2, nullptr, "model.layers.{L}.self_attn.lambda_k2"},
};
constexpr const char* kHfDiffLlama[] = {"diffllama"};
// DIFF V1 and V2 have no official checkpoints nor HF model types: our HF-style folders (docs/DIFFERENTIAL.md
// "File format") wrap the authors' attention modules (attribute names of multihead_diffattn.py and
// multihead_flashdiffv2.py under self_attn) in the Llama-style block the paper describes (pre-RMSNorm, SwiGLU).
constexpr TensorBinding kDiffV1Tensors[] = {
    {R::TokenEmbedding, nullptr, "model.embed_tokens.weight"},
    {R::OutputNorm, nullptr, "model.norm.weight"},
    {R::Output, nullptr, "lm_head.weight", kOptional},
    {R::AttnNorm, nullptr, "model.layers.{L}.input_layernorm.weight"},
    {R::Q, nullptr, "model.layers.{L}.self_attn.q_proj.weight"},
    {R::K, nullptr, "model.layers.{L}.self_attn.k_proj.weight"},
    {R::V, nullptr, "model.layers.{L}.self_attn.v_proj.weight"},
    {R::O, nullptr, "model.layers.{L}.self_attn.out_proj.weight"},
    {R::DiffLambdaQ1, nullptr, "model.layers.{L}.self_attn.lambda_q1"},
    {R::DiffLambdaK1, nullptr, "model.layers.{L}.self_attn.lambda_k1"},
    {R::DiffLambdaQ2, nullptr, "model.layers.{L}.self_attn.lambda_q2"},
    {R::DiffLambdaK2, nullptr, "model.layers.{L}.self_attn.lambda_k2"},
    {R::DiffSubNorm, nullptr, "model.layers.{L}.self_attn.subln.weight"},
    {R::FfnNorm, nullptr, "model.layers.{L}.post_attention_layernorm.weight"},
    {R::Gate, nullptr, "model.layers.{L}.mlp.gate_proj.weight"},
    {R::Up, nullptr, "model.layers.{L}.mlp.up_proj.weight"},
    {R::Down, nullptr, "model.layers.{L}.mlp.down_proj.weight"},
};
constexpr TensorBinding kDiffV2Extra[] = {
    {R::DiffLambdaProj, nullptr, "model.layers.{L}.self_attn.lambda_proj.weight"},
};
constexpr const char* kHfDiffV1[] = {"diff_transformer_v1"};
constexpr const char* kHfDiffV2[] = {"diff_transformer_v2"};

// ---- gpt-oss (transformers models/gpt_oss; llama.cpp LLM_ARCH_OPENAI_MOE "gpt-oss" in src/llama-arch.cpp and its
// tensor shapes in src/llama-model.cpp). Llama.cpp's post_attention_norm is the pre-MLP norm here. HF stores the
// experts stacked [experts, in, out] with gate and up interleaved in one gate_up_proj; GGUF stores them apart.
constexpr TensorBinding kGptOssTensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "model.embed_tokens.weight"},
    {R::OutputNorm, "output_norm.weight", "model.norm.weight"},
    {R::Output, "output.weight", "lm_head.weight", kOptional},
    {R::AttnNorm, "blk.{L}.attn_norm.weight", "model.layers.{L}.input_layernorm.weight"},
    {R::Q, "blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight"},
    {R::QBias, "blk.{L}.attn_q.bias", "model.layers.{L}.self_attn.q_proj.bias"},
    {R::K, "blk.{L}.attn_k.weight", "model.layers.{L}.self_attn.k_proj.weight"},
    {R::KBias, "blk.{L}.attn_k.bias", "model.layers.{L}.self_attn.k_proj.bias"},
    {R::V, "blk.{L}.attn_v.weight", "model.layers.{L}.self_attn.v_proj.weight"},
    {R::VBias, "blk.{L}.attn_v.bias", "model.layers.{L}.self_attn.v_proj.bias"},
    {R::O, "blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight"},
    {R::OBias, "blk.{L}.attn_output.bias", "model.layers.{L}.self_attn.o_proj.bias"},
    {R::AttnSinks, "blk.{L}.attn_sinks.weight", "model.layers.{L}.self_attn.sinks"},
    {R::FfnNorm, "blk.{L}.post_attention_norm.weight", "model.layers.{L}.post_attention_layernorm.weight"},
    {R::MoeRouter, "blk.{L}.ffn_gate_inp.weight", "model.layers.{L}.mlp.router.weight"},
    {R::MoeRouterBias, "blk.{L}.ffn_gate_inp.bias", "model.layers.{L}.mlp.router.bias"},
    {R::MoeGateUp, nullptr, "model.layers.{L}.mlp.experts.gate_up_proj", kHfConv1D},
    {R::MoeGateUpBias, nullptr, "model.layers.{L}.mlp.experts.gate_up_proj_bias"},
    {R::MoeGate, "blk.{L}.ffn_gate_exps.weight", nullptr},
    {R::MoeGateBias, "blk.{L}.ffn_gate_exps.bias", nullptr},
    {R::MoeUp, "blk.{L}.ffn_up_exps.weight", nullptr},
    {R::MoeUpBias, "blk.{L}.ffn_up_exps.bias", nullptr},
    {R::MoeDown, "blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.down_proj", kHfConv1D},
    {R::MoeDownBias, "blk.{L}.ffn_down_exps.bias", "model.layers.{L}.mlp.experts.down_proj_bias"},
};
constexpr const char* kGgufGptOss[] = {"gpt-oss"};
constexpr const char* kHfGptOss[] = {"gpt_oss"};

// ---- Qwen3-Next (transformers models/qwen3_next; llama.cpp LLM_ARCH_QWEN3NEXT "qwen3next": names in
// src/llama-arch.cpp, shapes in src/models/qwen3next.cpp, conversion in convert_hf_to_gguf.py Qwen3NextModel):
// gated softmax layers every Nth layer, Gated DeltaNet layers between them, MoE MLPs with a gated shared expert
// (dense MLPs on mlp_only_layers, HF only: llama.cpp has none). q_proj holds [query | gate] per head in both
// formats. Which roles a layer binds follows its LayerConfig (token mixer, MLP kind). What the converter changes
// (docs/GATED.md "GGUF files"): every norm weight but the DeltaNet output norm gets +1 baked in (offset 0 for
// GGUF), in_proj_qkvz becomes attn_qkv [q | k | v] and attn_gate z, A_log becomes ssm_a = −exp(A_log), dt_bias is
// renamed, conv1d loses its unit dimension, the experts are stacked into ffn_*_exps. ----
constexpr TensorBinding kQwen3NextTensors[] = {
    {R::TokenEmbedding, "token_embd.weight", "model.embed_tokens.weight"},
    {R::OutputNorm, "output_norm.weight", "model.norm.weight"},
    {R::Output, "output.weight", "lm_head.weight", kOptional},
    {R::AttnNorm, "blk.{L}.attn_norm.weight", "model.layers.{L}.input_layernorm.weight"},
    // llama.cpp's post_attention_norm is the pre-MLP norm here (as in gpt-oss).
    {R::FfnNorm, "blk.{L}.post_attention_norm.weight", "model.layers.{L}.post_attention_layernorm.weight"},
    {R::Q, "blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight"},
    {R::K, "blk.{L}.attn_k.weight", "model.layers.{L}.self_attn.k_proj.weight"},
    {R::V, "blk.{L}.attn_v.weight", "model.layers.{L}.self_attn.v_proj.weight"},
    {R::O, "blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight"},
    {R::QNorm, "blk.{L}.attn_q_norm.weight", "model.layers.{L}.self_attn.q_norm.weight"},
    {R::KNorm, "blk.{L}.attn_k_norm.weight", "model.layers.{L}.self_attn.k_norm.weight"},
    {R::DeltaInProjQkvz, nullptr, "model.layers.{L}.linear_attn.in_proj_qkvz.weight"},
    {R::DeltaInProjQkv, "blk.{L}.attn_qkv.weight", nullptr},
    {R::DeltaInProjZ, "blk.{L}.attn_gate.weight", nullptr},
    {R::DeltaInProjBa, "blk.{L}.ssm_ba.weight", "model.layers.{L}.linear_attn.in_proj_ba.weight"},
    {R::DeltaConv, "blk.{L}.ssm_conv1d.weight", "model.layers.{L}.linear_attn.conv1d.weight"},
    {R::DeltaDtBias, "blk.{L}.ssm_dt.bias", "model.layers.{L}.linear_attn.dt_bias"},
    {R::DeltaALog, nullptr, "model.layers.{L}.linear_attn.A_log"},
    {R::DeltaA, "blk.{L}.ssm_a", nullptr},
    {R::DeltaNorm, "blk.{L}.ssm_norm.weight", "model.layers.{L}.linear_attn.norm.weight"},
    {R::DeltaOutProj, "blk.{L}.ssm_out.weight", "model.layers.{L}.linear_attn.out_proj.weight"},
    {R::Gate, nullptr, "model.layers.{L}.mlp.gate_proj.weight"},
    {R::Up, nullptr, "model.layers.{L}.mlp.up_proj.weight"},
    {R::Down, nullptr, "model.layers.{L}.mlp.down_proj.weight"},
    {R::MoeRouter, "blk.{L}.ffn_gate_inp.weight", "model.layers.{L}.mlp.gate.weight"},
    {R::MoeSharedGate, "blk.{L}.ffn_gate_shexp.weight", "model.layers.{L}.mlp.shared_expert.gate_proj.weight"},
    {R::MoeSharedUp, "blk.{L}.ffn_up_shexp.weight", "model.layers.{L}.mlp.shared_expert.up_proj.weight"},
    {R::MoeSharedDown, "blk.{L}.ffn_down_shexp.weight", "model.layers.{L}.mlp.shared_expert.down_proj.weight"},
    {R::MoeSharedExpertGate, "blk.{L}.ffn_gate_inp_shexp.weight", "model.layers.{L}.mlp.shared_expert_gate.weight"},
};
constexpr TensorBinding kQwen3NextExperts[] = {
    {R::MoeExpertGate, "blk.{L}.ffn_gate_exps.weight", "model.layers.{L}.mlp.experts.{E}.gate_proj.weight", kGgufStacked},
    {R::MoeExpertUp, "blk.{L}.ffn_up_exps.weight", "model.layers.{L}.mlp.experts.{E}.up_proj.weight", kGgufStacked},
    {R::MoeExpertDown, "blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.{E}.down_proj.weight", kGgufStacked},
};
// Multi-token-prediction heads are not part of the forward pass (transformers ignores them on load too; in GGUF
// they are extra blocks after the last layer, see ModelConfig::mtpBlocks).
constexpr const char* kQwen3NextIgnored[] = {"mtp.*", "model.layers.{L}.self_attn.rotary_emb.inv_freq"};
constexpr const char* kGgufQwen3Next[] = {"qwen3next"};
constexpr const char* kHfQwen3Next[] = {"qwen3_next"};

constexpr HfKeys kGemmaKeys = [] {
    HfKeys k;
    k.activation = "hidden_activation";
    return k;
}();
constexpr HfKeys kBertKeys = [] {
    HfKeys k;
    k.nKvHeads = nullptr;
    k.normEps = "layer_norm_eps";
    k.headDim = nullptr;
    k.typeVocab = "type_vocab_size";
    return k;
}();
constexpr HfKeys kGpt2Keys = [] {
    HfKeys k;
    k.dModel = "n_embd";
    k.nLayers = "n_layer";
    k.nHeads = "n_head";
    k.nKvHeads = nullptr;
    k.ffnDim = "n_inner";
    k.context = "n_positions";
    k.normEps = "layer_norm_epsilon";
    k.headDim = nullptr;
    k.activation = "activation_function";
    return k;
}();

ArchitectureDesc llamaRow(const char* name, std::span<const char* const> gguf, std::span<const char* const> hf)
{
    ArchitectureDesc a{};
    a.name = name;
    a.ggufNames = gguf;
    a.hfTypes = hf;
    a.tensors = kLlamaTensors;
    a.extraTensors = kLlamaOptionalBiases;
    a.ignoredTensors = kLlamaIgnored;
    a.refusedTensors = kLlamaRefused;
    return a;
}

constexpr size_t kRows = 12;

const std::array<ArchitectureDesc, kRows> kTable = [] {
    // llama.cpp permutes q/k rows of `llama` GGUFs so adjacent-pair RoPE equals HF's split halves.
    ArchitectureDesc llama = llamaRow("llama", kGgufLlama, kHfLlama);
    llama.ropeGguf = RopePairing::Adjacent;

    ArchitectureDesc mistral = llamaRow("mistral", {}, kHfMistral);
    mistral.slidingWindowFromConfig = true;

    ArchitectureDesc qwen2 = llamaRow("qwen2", kGgufQwen2, kHfQwen2);
    qwen2.extraTensors = kQkvBiases;

    ArchitectureDesc qwen3 = llamaRow("qwen3", kGgufQwen3, kHfQwen3);
    qwen3.extraTensors = kQkNorms;
    qwen3.qkNorm = true;
    qwen3.gateFromConfigFlags = true;   // the Gated Attention paper's checkpoints are qwen3 + gate flags

    ArchitectureDesc qwen3Next{};
    qwen3Next.name = "qwen3_next";
    qwen3Next.ggufNames = kGgufQwen3Next;
    qwen3Next.hfTypes = kHfQwen3Next;
    qwen3Next.normOffsetHf = 1.f;   // Qwen3NextRMSNorm: x̂ · (1 + w), also on q_norm / k_norm
    qwen3Next.normOffsetGguf = 0.f; // Qwen3NextModel.modify_tensors adds 1 to those norm weights
    qwen3Next.qkNorm = true;
    qwen3Next.layerRule = LayerRule::HybridLinear;
    qwen3Next.hybridInterval = 4;   // Qwen3NextConfig: full_attention_interval defaults to 4
    qwen3Next.outputGate = OutputGate::Elementwise;
    qwen3Next.gateLayout = GateLayout::PerHeadInterleaved;
    qwen3Next.defaultPartialRotary = 0.25f;   // Qwen3NextConfig sets partial_rotary_factor 0.25 when absent
    qwen3Next.moeFromConfig = true;
    qwen3Next.tensors = kQwen3NextTensors;
    qwen3Next.expertTensors = kQwen3NextExperts;
    qwen3Next.ignoredTensors = kQwen3NextIgnored;

    ArchitectureDesc gemma3{};
    gemma3.name = "gemma3";
    gemma3.ggufNames = kGgufGemma3;
    gemma3.hfTypes = kHfGemma3;
    gemma3.normOffsetHf = 1.f;      // Gemma3RMSNorm: x̂ · (1 + w)
    gemma3.normOffsetGguf = 0.f;    // convert_hf_to_gguf.py adds 1 to every norm weight
    gemma3.activation = Activation::GeluTanh;
    gemma3.residual = ResidualLayout::Sandwich;
    gemma3.layerRule = LayerRule::SlidingPattern;
    gemma3.slidingPattern = 6;
    gemma3.ggufLocalRopeTheta = 10000.f;   // llama.cpp: rope_freq_base_train_swa for gemma3
    gemma3.slidingOwnRope = true;
    gemma3.embeddingScaleSqrtD = true;
    gemma3.qkNorm = true;
    gemma3.queryPreAttnScalar = true;
    gemma3.hf = kGemmaKeys;
    gemma3.tensors = kGemma3Tensors;

    ArchitectureDesc bert{};
    bert.name = "bert";
    bert.ggufNames = kGgufBert;
    bert.hfTypes = kHfBert;
    bert.norm = NormKind::Layer;
    bert.mlp = MlpKind::Plain;
    bert.activation = Activation::GeluErf;
    bert.position = PositionKind::Learned;
    bert.residual = ResidualLayout::PostNorm;
    bert.layerRule = LayerRule::AllBidirectional;
    bert.hasLmHead = false;
    bert.hfOptionalPrefix = "bert.";
    bert.hf = kBertKeys;
    bert.tensors = kBertTensors;
    bert.ignoredTensors = kBertIgnored;

    ArchitectureDesc gpt2{};
    gpt2.name = "gpt2";
    gpt2.ggufNames = kGgufGpt2;
    gpt2.hfTypes = kHfGpt2;
    gpt2.norm = NormKind::Layer;
    gpt2.mlp = MlpKind::Plain;
    gpt2.activation = Activation::GeluTanh;
    gpt2.position = PositionKind::Learned;
    gpt2.hfOptionalPrefix = "transformer.";
    gpt2.hf = kGpt2Keys;
    gpt2.tensors = kGpt2Tensors;
    gpt2.ignoredTensors = kGpt2Ignored;

    ArchitectureDesc diffllama = llamaRow("diffllama", {}, kHfDiffLlama);
    diffllama.extraTensors = kDiffLlamaExtra;
    diffllama.diff = DiffVersion::V1;
    diffllama.diffLayout = DiffLayout::HalfSplit;
    diffllama.diffSubNormFromConfigEps = true;

    ArchitectureDesc diffV1 = llamaRow("diff_transformer_v1", {}, kHfDiffV1);
    diffV1.tensors = kDiffV1Tensors;
    diffV1.extraTensors = {};
    diffV1.refusedTensors = {};
    diffV1.ropeHf = RopePairing::Adjacent;   // apply_rotary_emb(..., interleaved=True)
    diffV1.diff = DiffVersion::V1;

    ArchitectureDesc diffV2 = llamaRow("diff_transformer_v2", {}, kHfDiffV2);
    diffV2.extraTensors = kDiffV2Extra;
    diffV2.refusedTensors = {};
    diffV2.ropeHf = RopePairing::Adjacent;
    diffV2.diff = DiffVersion::V2;

    ArchitectureDesc gptOss{};
    gptOss.name = "gpt_oss";
    gptOss.ggufNames = kGgufGptOss;
    gptOss.hfTypes = kHfGptOss;
    gptOss.layerRule = LayerRule::SlidingPattern;
    gptOss.slidingPattern = 2;                 // layer_types default: even layers sliding, odd layers full
    gptOss.hfDefaultRopeTheta = 150000.f;      // GptOssConfig.default_theta
    gptOss.gptOssExperts = true;
    gptOss.ggufYarnTruncate = false;           // the released config.json says truncate: false
    gptOss.tensors = kGptOssTensors;

    return std::array<ArchitectureDesc, kRows>{llama, mistral, qwen2, qwen3, qwen3Next, gemma3, bert, gpt2,
                                               diffllama, diffV1, diffV2, gptOss};
}();

} // namespace

const char* mlpKindName(MlpKind k)
{
    return k == MlpKind::Gated ? "gated" : "plain";
}

const char* positionKindName(PositionKind k)
{
    return k == PositionKind::Rope ? "rope" : "learned";
}

const char* ropePairingName(RopePairing p)
{
    return p == RopePairing::Adjacent ? "adjacent" : "split-half";
}

const char* residualLayoutName(ResidualLayout r)
{
    switch (r) {
    case ResidualLayout::PreNorm: return "pre-norm";
    case ResidualLayout::Sandwich: return "sandwich";
    case ResidualLayout::PostNorm: return "post-norm";
    }
    return "?";
}

const char* outputGateName(OutputGate g)
{
    switch (g) {
    case OutputGate::None: return "none";
    case OutputGate::Headwise: return "headwise";
    case OutputGate::Elementwise: return "elementwise";
    }
    return "?";
}

const char* diffVersionName(DiffVersion v)
{
    switch (v) {
    case DiffVersion::None: return "none";
    case DiffVersion::V1: return "differential V1";
    case DiffVersion::V2: return "differential V2";
    }
    return "?";
}

const char* gateLayoutName(GateLayout l)
{
    return l == GateLayout::PerKvGroup ? "per KV group" : "per head interleaved";
}

const char* tensorRoleLabel(TensorRole r)
{
    switch (r) {
    case R::TokenEmbedding: return "token embedding";
    case R::PositionEmbedding: return "learned position embedding";
    case R::TokenTypeEmbedding: return "token-type embedding";
    case R::EmbeddingNorm: return "embedding norm";
    case R::EmbeddingNormBias: return "embedding norm bias";
    case R::OutputNorm: return "final norm";
    case R::OutputNormBias: return "final norm bias";
    case R::Output: return "output (lm head)";
    case R::AttnNorm: return "pre-attention norm";
    case R::AttnNormBias: return "pre-attention norm bias";
    case R::Q: return "query projection";
    case R::QBias: return "query bias";
    case R::K: return "key projection";
    case R::KBias: return "key bias";
    case R::V: return "value projection";
    case R::VBias: return "value bias";
    case R::Qkv: return "fused query/key/value projection";
    case R::QkvBias: return "fused query/key/value bias";
    case R::O: return "attention output projection";
    case R::OBias: return "attention output bias";
    case R::QNorm: return "query norm";
    case R::KNorm: return "key norm";
    case R::PostAttnNorm: return "sandwich norm after attention";
    case R::AttnResidualNorm: return "post-attention residual norm";
    case R::AttnResidualNormBias: return "post-attention residual norm bias";
    case R::FfnNorm: return "pre-MLP norm";
    case R::FfnNormBias: return "pre-MLP norm bias";
    case R::Gate: return "MLP gate projection";
    case R::Up: return "MLP up projection";
    case R::UpBias: return "MLP up bias";
    case R::Down: return "MLP down projection";
    case R::DownBias: return "MLP down bias";
    case R::PostFfnNorm: return "sandwich norm after the MLP";
    case R::FfnResidualNorm: return "post-MLP residual norm";
    case R::FfnResidualNormBias: return "post-MLP residual norm bias";
    case R::DiffLambdaQ1: return "differential λ_q1";
    case R::DiffLambdaK1: return "differential λ_k1";
    case R::DiffLambdaQ2: return "differential λ_q2";
    case R::DiffLambdaK2: return "differential λ_k2";
    case R::DiffSubNorm: return "differential sub-layer norm";
    case R::DiffLambdaProj: return "differential λ projection";
    case R::AttnSinks: return "learned attention sinks";
    case R::MoeRouter: return "expert router";
    case R::MoeRouterBias: return "expert router bias";
    case R::MoeGateUp: return "experts' fused gate/up projection";
    case R::MoeGateUpBias: return "experts' fused gate/up bias";
    case R::MoeGate: return "experts' gate projection";
    case R::MoeGateBias: return "experts' gate bias";
    case R::MoeUp: return "experts' up projection";
    case R::MoeUpBias: return "experts' up bias";
    case R::MoeDown: return "experts' down projection";
    case R::MoeDownBias: return "experts' down bias";
    case R::DeltaInProjQkvz: return "Gated DeltaNet q/k/v/z projection";
    case R::DeltaInProjBa: return "Gated DeltaNet β/decay projection";
    case R::DeltaConv: return "Gated DeltaNet short convolution";
    case R::DeltaDtBias: return "Gated DeltaNet decay bias (dt_bias)";
    case R::DeltaALog: return "Gated DeltaNet decay rate (A_log)";
    case R::DeltaNorm: return "Gated DeltaNet output norm";
    case R::DeltaOutProj: return "Gated DeltaNet output projection";
    case R::DeltaInProjQkv: return "Gated DeltaNet q/k/v projection";
    case R::DeltaInProjZ: return "Gated DeltaNet output gate projection (z)";
    case R::DeltaA: return "Gated DeltaNet decay rate (A = -exp(A_log))";
    case R::MoeSharedGate: return "MoE shared expert gate projection";
    case R::MoeSharedUp: return "MoE shared expert up projection";
    case R::MoeSharedDown: return "MoE shared expert down projection";
    case R::MoeSharedExpertGate: return "MoE shared expert sigmoid gate";
    case R::MoeExpertGate: return "MoE expert gate projection";
    case R::MoeExpertUp: return "MoE expert up projection";
    case R::MoeExpertDown: return "MoE expert down projection";
    case R::Count: break;
    }
    return "?";
}

bool isLayerRole(TensorRole r)
{
    return static_cast<int>(r) >= kFirstLayerRole && r != TensorRole::Count;
}

std::span<const ArchitectureDesc> architectureTable()
{
    return kTable;
}

const ArchitectureDesc* findArchitectureByGguf(const std::string& name)
{
    for (const ArchitectureDesc& a : kTable)
        for (const char* n : a.ggufNames)
            if (name == n)
                return &a;
    return nullptr;
}

const ArchitectureDesc* findArchitectureByHfType(const std::string& modelType)
{
    for (const ArchitectureDesc& a : kTable)
        for (const char* n : a.hfTypes)
            if (modelType == n)
                return &a;
    return nullptr;
}

std::string supportedArchitectureList()
{
    std::string s;
    for (const ArchitectureDesc& a : kTable)
        s += (s.empty() ? "" : ", ") + std::string(a.name);
    return s;
}

bool activationFromName(const std::string& name, Activation& out)
{
    if (name == "silu" || name == "swish") {
        out = Activation::Silu;
    } else if (name == "gelu") {
        out = Activation::GeluErf;
    } else if (name == "gelu_new" || name == "gelu_pytorch_tanh") {
        out = Activation::GeluTanh;
    } else {
        return false;
    }
    return true;
}

std::string expandTemplate(const char* tmpl, int layer, int expert)
{
    std::string s(tmpl);
    if (const size_t p = s.find("{L}"); p != std::string::npos)
        s.replace(p, 3, std::to_string(layer));
    if (const size_t p = s.find("{E}"); p != std::string::npos && expert >= 0)
        s.replace(p, 3, std::to_string(expert));
    return s;
}

} // namespace attnscope
