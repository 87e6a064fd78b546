// Binds a checkpoint's tensors to the roles of its architecture row (core/model/architecture.h) and checks every
// shape against the ModelConfig before any weight is touched. A checkpoint whose tensors do not match its row is
// refused with the tensor name and the expected role — never silently mis-mapped:
//   - a required role's tensor is missing, or has the wrong shape or a dtype that cannot be converted;
//   - a tensor inside a layer's namespace that no role claims (a Gemma file declared as "llama" has
//     pre_feedforward_layernorm tensors that Llama's row does not know);
//   - tensors of a layer beyond the declared layer count (block_count = 1 with 30 layers of tensors), except the
//     multi-token-prediction blocks a GGUF declares (ModelConfig::mtpBlocks), which are reported as unused;
//   - a tensor whose maths is not implemented (the row's refused list).
// A layer binds only the roles of its kind (core/model/model_config.h LayerConfig): attention roles on softmax
// layers, Gated DeltaNet roles on linear-attention layers, dense-MLP or MoE roles by its MLP kind, q/k norms only
// when the config has them — so a DeltaNet layer carrying self_attn tensors is refused like any unclaimed tensor.
// Tensors outside the layers that no role claims (poolers, buffers) are kept as `unused` and reported by info.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/model/model_config.h"

#include <array>
#include <string>
#include <vector>

namespace attnscope {

class Checkpoint;
struct TensorInfo;

/// A tensor bound to a role. `transposed`: stored [in, out] (GPT-2 Conv1D) and must be transposed to the
/// [out, in] layout the GEMM expects. `slice` ≥ 0: the role is matrix `slice` of a stacked 3-D tensor (one
/// expert of a GGUF ffn_*_exps tensor); the weight store converts that matrix only.
struct BoundTensor {
    const TensorInfo* info = nullptr;
    bool transposed = false;
    int32_t slice = -1;
    explicit operator bool() const { return info != nullptr; }
};

/// One expert's MLP of a MoE layer.
struct ExpertTensors {
    BoundTensor gate, up, down;
};

struct LayerPlan {
    std::array<BoundTensor, kTensorRoleCount> global{};                 // model-wide roles
    std::vector<std::array<BoundTensor, kTensorRoleCount>> layers;      // per-layer roles
    std::vector<std::vector<ExpertTensors>> experts;                    // [layer][expert]; empty on dense layers

    const BoundTensor& get(TensorRole r) const { return global[static_cast<size_t>(r)]; }
    const BoundTensor& get(TensorRole r, int layer) const { return layers[static_cast<size_t>(layer)][static_cast<size_t>(r)]; }
    const ExpertTensors& expert(int layer, int e) const { return experts[static_cast<size_t>(layer)][static_cast<size_t>(e)]; }
    std::vector<std::string> unused;     // tensors no role claimed (reported by `info`)
};

/// Builds and validates the plan; throws Error(Model / Unsupported) naming the tensor and its role.
LayerPlan buildLayerPlan(const Checkpoint& ckpt, const ModelConfig& cfg);

/// Whether a per-layer role belongs to layer `layer` of this config (its token mixer, MLP kind, q/k norms).
bool roleAppliesToLayer(TensorRole r, const ModelConfig& cfg, int layer);

} // namespace attnscope
