// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/layer_plan.h"

#include "core/formats/checkpoint.h"
#include "core/util/error.h"

namespace attnscope {

namespace {

std::string shapeString(const std::vector<int64_t>& s)
{
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i)
        r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

class PlanBuilder {
public:
    PlanBuilder(const Checkpoint& c) : m_c(c) {}

    const TensorInfo* get(const std::string& name, std::vector<int64_t> shape, bool required = true) const
    {
        const TensorInfo* t = m_c.find(name);
        if (!t) {
            if (required)
                throw Error(ErrorKind::Model, m_c.path, name, -1, "required tensor is missing");
            return nullptr;
        }
        if (t->shape != shape)
            throw Error(ErrorKind::Model, m_c.path, name, -1,
                        "shape " + shapeString(t->shape) + " does not match the config's " + shapeString(shape));
        if (!dtypeInfo(t->dtype).dequantizable)
            throw Error(ErrorKind::Unsupported, m_c.path, name, -1,
                        std::string("dtype ") + dtypeName(t->dtype) + " cannot be converted to float32");
        return t;
    }

private:
    const Checkpoint& m_c;
};

} // namespace

LayerPlan buildLayerPlan(const Checkpoint& ckpt, const ModelConfig& cfg)
{
    PlanBuilder b(ckpt);
    const int64_t D = cfg.dModel, F = cfg.ffnDim, V = cfg.vocabSize;
    const int64_t qRows = int64_t(cfg.nHeads) * cfg.headDim, kvRows = int64_t(cfg.nKvHeads) * cfg.headDim;
    const bool gguf = ckpt.format == CheckpointFormat::Gguf;
    LayerPlan p;
    if (gguf) {
        p.tokenEmbedding = b.get("token_embd.weight", {V, D});
        p.outputNorm = b.get("output_norm.weight", {D});
        p.output = cfg.tiedEmbeddings ? p.tokenEmbedding : b.get("output.weight", {V, D});
    } else {
        p.tokenEmbedding = b.get("model.embed_tokens.weight", {V, D});
        p.outputNorm = b.get("model.norm.weight", {D});
        p.output = cfg.tiedEmbeddings ? p.tokenEmbedding : b.get("lm_head.weight", {V, D});
    }
    p.layers.resize(cfg.nLayers);
    for (int l = 0; l < cfg.nLayers; ++l) {
        LayerWeights& w = p.layers[l];
        const std::string s = std::to_string(l);
        if (gguf) {
            const std::string pre = "blk." + s + ".";
            w.attnNorm = b.get(pre + "attn_norm.weight", {D});
            w.wq = b.get(pre + "attn_q.weight", {qRows, D});
            w.wk = b.get(pre + "attn_k.weight", {kvRows, D});
            w.wv = b.get(pre + "attn_v.weight", {kvRows, D});
            w.wo = b.get(pre + "attn_output.weight", {D, qRows});
            if (cfg.qkvBias) {
                w.bq = b.get(pre + "attn_q.bias", {qRows});
                w.bk = b.get(pre + "attn_k.bias", {kvRows});
                w.bv = b.get(pre + "attn_v.bias", {kvRows});
            }
            if (cfg.qkNorm) {
                w.qNorm = b.get(pre + "attn_q_norm.weight", {cfg.headDim});
                w.kNorm = b.get(pre + "attn_k_norm.weight", {cfg.headDim});
            }
            w.ffnNorm = b.get(pre + "ffn_norm.weight", {D});
            w.wGate = b.get(pre + "ffn_gate.weight", {F, D});
            w.wUp = b.get(pre + "ffn_up.weight", {F, D});
            w.wDown = b.get(pre + "ffn_down.weight", {D, F});
        } else {
            const std::string pre = "model.layers." + s + ".";
            w.attnNorm = b.get(pre + "input_layernorm.weight", {D});
            w.wq = b.get(pre + "self_attn.q_proj.weight", {qRows, D});
            w.wk = b.get(pre + "self_attn.k_proj.weight", {kvRows, D});
            w.wv = b.get(pre + "self_attn.v_proj.weight", {kvRows, D});
            w.wo = b.get(pre + "self_attn.o_proj.weight", {D, qRows});
            if (cfg.qkvBias) {
                w.bq = b.get(pre + "self_attn.q_proj.bias", {qRows});
                w.bk = b.get(pre + "self_attn.k_proj.bias", {kvRows});
                w.bv = b.get(pre + "self_attn.v_proj.bias", {kvRows});
            }
            if (cfg.qkNorm) {
                w.qNorm = b.get(pre + "self_attn.q_norm.weight", {cfg.headDim});
                w.kNorm = b.get(pre + "self_attn.k_norm.weight", {cfg.headDim});
            }
            w.ffnNorm = b.get(pre + "post_attention_layernorm.weight", {D});
            w.wGate = b.get(pre + "mlp.gate_proj.weight", {F, D});
            w.wUp = b.get(pre + "mlp.up_proj.weight", {F, D});
            w.wDown = b.get(pre + "mlp.down_proj.weight", {D, F});
        }
    }
    return p;
}

} // namespace attnscope
