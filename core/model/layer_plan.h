// Maps a checkpoint's tensors onto the Llama-family layer plan (FORMATS §3.8 names for GGUF, HF names for
// safetensors) and checks every shape against the ModelConfig before any weight is touched.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/model/model_config.h"

#include <vector>

namespace attnscope {

class Checkpoint;
struct TensorInfo;

struct LayerWeights {
    const TensorInfo* attnNorm = nullptr;
    const TensorInfo* wq = nullptr;
    const TensorInfo* wk = nullptr;
    const TensorInfo* wv = nullptr;
    const TensorInfo* wo = nullptr;
    const TensorInfo* bq = nullptr;     // qwen2
    const TensorInfo* bk = nullptr;
    const TensorInfo* bv = nullptr;
    const TensorInfo* qNorm = nullptr;  // qwen3
    const TensorInfo* kNorm = nullptr;
    const TensorInfo* ffnNorm = nullptr;
    const TensorInfo* wGate = nullptr;
    const TensorInfo* wUp = nullptr;
    const TensorInfo* wDown = nullptr;
};

struct LayerPlan {
    const TensorInfo* tokenEmbedding = nullptr;   // [vocab, d_model]
    const TensorInfo* outputNorm = nullptr;       // [d_model]
    const TensorInfo* output = nullptr;           // [vocab, d_model]; == tokenEmbedding when tied
    std::vector<LayerWeights> layers;
};

/// Builds and validates the plan; throws Error(Model) naming the missing tensor or the mismatched shape.
LayerPlan buildLayerPlan(const Checkpoint& ckpt, const ModelConfig& cfg);

} // namespace attnscope
