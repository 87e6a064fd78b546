// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/layer_plan.h"

#include "core/formats/checkpoint.h"
#include "core/model/packed_projection.h"
#include "core/util/error.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace attnscope {

namespace {

std::string shapeString(const std::vector<int64_t>& s)
{
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i)
        r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

/// The [out, in] (or vector) shape a role has under the config, as the format stores it.
std::vector<int64_t> expectedShape(TensorRole r, const ModelConfig& c, bool gguf)
{
    const int64_t D = c.dModel, F = c.ffnDim, V = c.vocabSize, d = c.headDim, E = c.gptOssExperts;
    const int64_t q = c.qWidth(), k = c.kWidth(), v = c.vWidth();
    // A gated q_proj carries the gate rows too; their count follows the config's gate, never the file.
    const int64_t qRows = c.outputGate != OutputGate::None ? packedQueryRowCount(c.outputGate, c.nHeads, d) : q;
    const DeltaNetDims& dn = c.deltaNet;
    const MoeDims& moe = c.moe;
    switch (r) {
    case TensorRole::TokenEmbedding: return {V, D};
    case TensorRole::PositionEmbedding: return {c.contextLength, D};
    case TensorRole::TokenTypeEmbedding: return {c.typeVocab, D};
    case TensorRole::Output: return {V, D};
    case TensorRole::Q: return {qRows, D};
    case TensorRole::QBias: return {qRows};
    case TensorRole::K: return {k, D};
    case TensorRole::V: return {v, D};
    case TensorRole::KBias: return {k};
    case TensorRole::VBias: return {v};
    case TensorRole::Qkv: return {q + k + v, D};
    case TensorRole::QkvBias: return {q + k + v};
    case TensorRole::O: return {D, c.attnWidth()};
    case TensorRole::DiffLambdaQ1:
    case TensorRole::DiffLambdaK1:
    case TensorRole::DiffLambdaQ2:
    case TensorRole::DiffLambdaK2: return {d};
    case TensorRole::DiffSubNorm: return {c.valueDim()};
    case TensorRole::DiffLambdaProj: return {c.nHeads, D};
    case TensorRole::AttnSinks: return {c.nHeads};
    case TensorRole::MoeRouter: return {E > 0 ? E : moe.experts, D};   // gpt-oss's or Qwen3-Next's router
    case TensorRole::MoeRouterBias: return {E};
    case TensorRole::MoeGateUp: return {E, 2 * F, D};
    case TensorRole::MoeGateUpBias: return {E, 2 * F};
    case TensorRole::MoeGate:
    case TensorRole::MoeUp: return {E, F, D};
    case TensorRole::MoeGateBias:
    case TensorRole::MoeUpBias: return {E, F};
    case TensorRole::MoeDown: return {E, D, F};
    case TensorRole::MoeDownBias: return {E, D};
    case TensorRole::QNorm:
    case TensorRole::KNorm: return {d};
    case TensorRole::Gate:
    case TensorRole::Up: return {F, D};
    case TensorRole::UpBias: return {F};
    case TensorRole::Down: return {D, F};
    case TensorRole::DeltaInProjQkvz: return {2 * dn.keyWidth() + 2 * dn.valueWidth(), D};
    case TensorRole::DeltaInProjBa: return {2 * int64_t(dn.valueHeads), D};
    case TensorRole::DeltaInProjQkv: return {dn.convChannels(), D};
    case TensorRole::DeltaInProjZ: return {dn.valueWidth(), D};
    // HF's Conv1d weight [channels, 1, K]; llama.cpp's converter squeezes the unit dimension (same data).
    case TensorRole::DeltaConv:
        return gguf ? std::vector<int64_t>{dn.convChannels(), dn.convKernel} : std::vector<int64_t>{dn.convChannels(), 1, dn.convKernel};
    case TensorRole::DeltaDtBias:
    case TensorRole::DeltaALog:
    case TensorRole::DeltaA: return {dn.valueHeads};
    case TensorRole::DeltaNorm: return {dn.valueDim};
    case TensorRole::DeltaOutProj: return {D, dn.valueWidth()};
    case TensorRole::MoeSharedGate:
    case TensorRole::MoeSharedUp: return {moe.sharedFfn, D};
    case TensorRole::MoeSharedDown: return {D, moe.sharedFfn};
    case TensorRole::MoeSharedExpertGate: return {1, D};
    case TensorRole::MoeExpertGate:
    case TensorRole::MoeExpertUp: return {moe.expertFfn, D};
    case TensorRole::MoeExpertDown: return {D, moe.expertFfn};
    default: return {D};   // norms, norm biases, output/down biases
    }
}

class PlanBuilder {
public:
    PlanBuilder(const Checkpoint& c, const ModelConfig& cfg) : m_c(c), m_cfg(cfg), m_arch(*cfg.arch) {}

    LayerPlan build()
    {
        const bool gguf = m_c.format == CheckpointFormat::Gguf;
        m_plan.layers.resize(static_cast<size_t>(m_cfg.nLayers));
        for (std::span<const TensorBinding> list : {m_arch.tensors, m_arch.extraTensors})
            for (const TensorBinding& b : list) {
                const char* tmpl = gguf ? b.gguf : b.hf;
                if (!tmpl)
                    continue;
                const bool transposed = !gguf && (b.flags & kHfConv1D);
                if (isLayerRole(b.role)) {
                    for (int l = 0; l < m_cfg.nLayers; ++l)
                        if (roleAppliesToLayer(b.role, m_cfg, l))
                            m_plan.layers[static_cast<size_t>(l)][static_cast<size_t>(b.role)] =
                                bind(b, expandTemplate(tmpl, l), transposed);
                } else {
                    m_plan.global[static_cast<size_t>(b.role)] = bind(b, tmpl, transposed);
                }
                addLayerPrefix(tmpl);
            }
        bindExperts(gguf);
        checkLeftovers(gguf);
        return std::move(m_plan);
    }

private:
    bool required(const TensorBinding& b) const
    {
        if (!(b.flags & kOptional))
            return true;
        // attention_bias = true in the config makes the projection biases required.
        if (m_cfg.attentionBias)
            return b.role == TensorRole::QBias || b.role == TensorRole::KBias || b.role == TensorRole::VBias ||
                   b.role == TensorRole::OBias;
        return false;
    }

    /// Finds a tensor by name, also under the row's optional HF prefix ("bert.", "transformer.").
    const TensorInfo* find(const std::string& name) const
    {
        if (const TensorInfo* t = m_c.find(name))
            return t;
        if (m_c.format != CheckpointFormat::Gguf && m_arch.hfOptionalPrefix)
            return m_c.find(m_arch.hfOptionalPrefix + name);
        return nullptr;
    }

    BoundTensor bind(const TensorBinding& b, const std::string& name, bool transposed, int64_t stackedExperts = 0)
    {
        if (b.role == TensorRole::Output && m_cfg.tiedEmbeddings)
            return {};
        const TensorInfo* t = find(name);
        if (!t) {
            if (required(b))
                throw Error(ErrorKind::Model, m_c.path, name, -1,
                            std::string("required tensor (") + tensorRoleLabel(b.role) + ") is missing");
            return {};
        }
        std::vector<int64_t> want = expectedShape(b.role, m_cfg, m_c.format == CheckpointFormat::Gguf);
        if (stackedExperts > 0)   // every expert's matrix, stacked (GGUF ffn_*_exps)
            want.insert(want.begin(), stackedExperts);
        if (transposed)   // [out, in] stored [in, out]; stacked experts keep their leading dimension
            std::reverse(want.end() - std::min<ptrdiff_t>(2, static_cast<ptrdiff_t>(want.size())), want.end());
        if (t->shape != want)
            throw Error(ErrorKind::Model, m_c.path, name, -1,
                        std::string("tensor (") + tensorRoleLabel(b.role) + ") has shape " + shapeString(t->shape) +
                            ", which does not match the config's " + shapeString(want));
        if (!dtypeInfo(t->dtype).dequantizable)
            throw Error(ErrorKind::Unsupported, m_c.path, name, -1,
                        std::string("dtype ") + dtypeName(t->dtype) + " cannot be converted to float32");
        m_claimed.insert(t);
        return {t, transposed};
    }

    /// Per-expert tensors of the MoE layers (templates with {L} and {E}).
    void bindExperts(bool gguf)
    {
        m_plan.experts.resize(static_cast<size_t>(m_cfg.nLayers));
        for (int l = 0; l < m_cfg.nLayers; ++l) {
            if (m_cfg.layers[static_cast<size_t>(l)].ffn != FfnKind::Moe)
                continue;
            auto& experts = m_plan.experts[static_cast<size_t>(l)];
            experts.resize(static_cast<size_t>(m_cfg.moe.experts));
            for (const TensorBinding& b : m_arch.expertTensors) {
                const char* tmpl = gguf ? b.gguf : b.hf;
                if (!tmpl)
                    continue;
                // GGUF stacks the layer's experts in one tensor [experts, out, in]: bind it once, slice per expert.
                const bool stacked = gguf && (b.flags & kGgufStacked);
                BoundTensor whole;
                if (stacked)
                    whole = bind(b, expandTemplate(tmpl, l), false, m_cfg.moe.experts);
                for (int e = 0; e < m_cfg.moe.experts; ++e) {
                    ExpertTensors& x = experts[static_cast<size_t>(e)];
                    BoundTensor& slot = b.role == TensorRole::MoeExpertGate ? x.gate
                                        : b.role == TensorRole::MoeExpertUp ? x.up
                                                                             : x.down;
                    if (stacked) {
                        slot = whole;
                        slot.slice = e;
                    } else {
                        slot = bind(b, expandTemplate(tmpl, l, e), false);
                    }
                }
            }
        }
        for (const TensorBinding& b : m_arch.expertTensors)
            if (const char* tmpl = gguf ? b.gguf : b.hf)
                addLayerPrefix(tmpl);
    }

    void addLayerPrefix(const char* tmpl)
    {
        const std::string s(tmpl);
        const size_t p = s.find("{L}");
        if (p != std::string::npos && std::find(m_prefixes.begin(), m_prefixes.end(), s.substr(0, p)) == m_prefixes.end())
            m_prefixes.push_back(s.substr(0, p));
    }

    /// The layer index of a tensor inside a layer namespace ("blk.12.x" → 12), if it is one.
    std::optional<int64_t> layerOf(const std::string& name) const
    {
        for (std::string prefix : m_prefixes) {
            for (int pass = 0; pass < 2; ++pass) {
                if (pass == 1) {
                    if (m_c.format == CheckpointFormat::Gguf || !m_arch.hfOptionalPrefix)
                        break;
                    prefix = m_arch.hfOptionalPrefix + prefix;
                }
                if (name.compare(0, prefix.size(), prefix) != 0)
                    continue;
                size_t i = prefix.size();
                int64_t v = 0;
                size_t digits = 0;
                while (i < name.size() && name[i] >= '0' && name[i] <= '9' && digits < 10) {
                    v = v * 10 + (name[i] - '0');
                    ++i;
                    ++digits;
                }
                if (digits > 0 && i < name.size() && name[i] == '.')
                    return v;
            }
        }
        return std::nullopt;
    }

    bool matches(const char* pattern, const std::string& name, std::optional<int64_t> layer) const
    {
        std::string p(pattern);
        if (p.find("{L}") != std::string::npos) {
            if (!layer)
                return false;
            p = expandTemplate(pattern, static_cast<int>(*layer));
        }
        auto eq = [&](const std::string& full) {
            if (!full.empty() && full.back() == '*')
                return name.compare(0, full.size() - 1, full, 0, full.size() - 1) == 0;
            return name == full;
        };
        return eq(p) || (m_arch.hfOptionalPrefix && m_c.format != CheckpointFormat::Gguf && eq(m_arch.hfOptionalPrefix + p));
    }

    void checkLeftovers(bool gguf)
    {
        (void)gguf;
        for (const TensorInfo& t : m_c.tensors) {
            if (m_claimed.count(&t))
                continue;
            const std::optional<int64_t> layer = layerOf(t.name);
            for (const char* r : m_arch.refusedTensors)
                if (matches(r, t.name, layer))
                    throw Error(ErrorKind::Unsupported, m_c.path, t.name, -1,
                                std::string("the maths of this tensor is not implemented for architecture ") + m_arch.name);
            bool ignorable = false;
            for (const char* ig : m_arch.ignoredTensors)
                ignorable = ignorable || matches(ig, t.name, layer);
            if (layer && *layer >= m_cfg.nLayers && *layer < m_cfg.nLayers + m_cfg.mtpBlocks) {
                m_plan.unused.push_back(t.name);   // a multi-token-prediction block (not part of the forward)
                continue;
            }
            if (layer && *layer >= m_cfg.nLayers)
                throw Error(ErrorKind::Model, m_c.path, t.name, -1,
                            "belongs to layer " + std::to_string(*layer) + " but the model declares " +
                                std::to_string(m_cfg.nLayers) + " layer" + (m_cfg.nLayers == 1 ? "" : "s") +
                                " (block_count / num_hidden_layers)");
            if (layer && !ignorable)
                throw Error(ErrorKind::Model, m_c.path, t.name, -1,
                            std::string("no role of architecture ") + m_arch.name +
                                " uses this layer tensor; the file may be a different architecture than it declares");
            if (!(m_cfg.tiedEmbeddings && t.name == "lm_head.weight"))
                m_plan.unused.push_back(t.name);
        }
    }

    const Checkpoint& m_c;
    const ModelConfig& m_cfg;
    const ArchitectureDesc& m_arch;
    LayerPlan m_plan;
    std::unordered_set<const TensorInfo*> m_claimed;
    std::vector<std::string> m_prefixes;
};

} // namespace

bool roleAppliesToLayer(TensorRole r, const ModelConfig& cfg, int layer)
{
    const LayerConfig& l = cfg.layers[static_cast<size_t>(layer)];
    using R = TensorRole;
    switch (r) {
    case R::Q: case R::QBias: case R::K: case R::KBias: case R::V: case R::VBias: case R::Qkv: case R::QkvBias:
    case R::O: case R::OBias:
        return l.mixer == TokenMixer::SoftmaxAttention;
    case R::QNorm: case R::KNorm:
        return l.mixer == TokenMixer::SoftmaxAttention && cfg.qkNorm;
    case R::DeltaInProjQkvz: case R::DeltaInProjBa: case R::DeltaConv: case R::DeltaDtBias: case R::DeltaALog:
    case R::DeltaNorm: case R::DeltaOutProj: case R::DeltaInProjQkv: case R::DeltaInProjZ: case R::DeltaA:
        return l.mixer == TokenMixer::GatedDeltaNet;
    case R::Gate: case R::Up: case R::UpBias: case R::Down: case R::DownBias:
        return l.ffn == FfnKind::Dense;
    case R::MoeRouter:   // Qwen3-Next's MoE layers, or every layer of a gpt-oss model (its own expert roles)
        return l.ffn == FfnKind::Moe || cfg.gptOssExperts > 0;
    case R::MoeSharedGate: case R::MoeSharedUp: case R::MoeSharedDown: case R::MoeSharedExpertGate:
    case R::MoeExpertGate: case R::MoeExpertUp: case R::MoeExpertDown:
        return l.ffn == FfnKind::Moe;
    default:
        return true;
    }
}

LayerPlan buildLayerPlan(const Checkpoint& ckpt, const ModelConfig& cfg)
{
    if (!cfg.arch)
        throw Error(ErrorKind::Internal, ckpt.path, "architecture", -1, "the config has no architecture row");
    return PlanBuilder(ckpt, cfg).build();
}

} // namespace attnscope
