// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/model_info.h"

#include "core/formats/checkpoint.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "core/util/json_output.h"

#include <filesystem>

#include <cstdio>

namespace attnscope {

namespace {

void fillConfig(ModelInfo& info, const ModelConfig& c)
{
    info.architecture = c.architecture;
    if (!c.name.empty())
        info.name = c.name;
    info.nLayers = c.nLayers;
    info.nHeads = c.nHeads;
    info.nKvHeads = c.nKvHeads;
    info.headDim = c.headDim;
    info.dModel = c.dModel;
    info.ffnDim = c.ffnDim;
    info.vocabSize = c.vocabSize;
    info.contextLength = c.contextLength;
    info.ropeTheta = c.ropeTheta;
    info.ropePairing = ropePairingName(c.ropePairing);
    info.tiedEmbeddings = c.tiedEmbeddings;
    info.hasLmHead = c.hasLmHead;
    info.block = std::string(residualLayoutName(c.residual)) + ", " + normKindName(c.norm) +
                 (c.normWeightOffset != 0.f ? " (1 + w)" : "") + ", " + mlpKindName(c.mlp) + " MLP (" +
                 activationName(c.activation) + "), " +
                 (c.position == PositionKind::Rope ? std::string("RoPE (") + ropePairingName(c.ropePairing) + ")"
                                                   : std::string("learned positions")) +
                 (c.qkNorm ? ", q/k norm" : "") + (c.embeddingScale != 1.f ? ", embeddings scaled by √d" : "");
    if (c.ropeDims > 0 && c.ropeDims < c.headDim && c.position == PositionKind::Rope)
        info.block += ", partial RoPE (" + std::to_string(c.ropeDims) + " of " + std::to_string(c.headDim) + " dims)";
    if (c.outputGate != OutputGate::None)
        info.block += std::string(", ") + outputGateName(c.outputGate) + " output gate (" + gateLayoutName(c.gateLayout) + ")";
    if (c.anyLayer(TokenMixer::GatedDeltaNet)) {
        const DeltaNetDims& d = c.deltaNet;
        info.block += ", Gated DeltaNet layers (" + std::to_string(d.keyHeads) + " key / " + std::to_string(d.valueHeads) +
                      " value heads, dims " + std::to_string(d.keyDim) + "/" + std::to_string(d.valueDim) + ", conv " +
                      std::to_string(d.convKernel) + ")";
    }
    if (c.anyLayer(FfnKind::Moe))
        info.block += ", MoE MLP (" + std::to_string(c.moe.experts) + " experts, top " + std::to_string(c.moe.topK) +
                      (c.moe.normTopK ? " renormalised" : "") + ", gated shared expert)";
    if (c.diff != DiffVersion::None)
        info.block += std::string(", ") + diffVersionName(c.diff) + " attention (" + std::to_string(c.nHeads) +
                      " heads of two maps, value " + std::to_string(c.valueDim()) + ")";
    if (c.arch && c.arch->gptOssExperts)
        info.block += ", learned attention sinks, " + std::to_string(c.gptOssExperts) + " experts (top " +
                      std::to_string(c.gptOssExpertsUsed) + ", clamped SwiGLU)";
    if (c.mtpBlocks > 0)
        info.block += ", " + std::to_string(c.mtpBlocks) + " multi-token-prediction block" + (c.mtpBlocks == 1 ? "" : "s") +
                      " after the last layer (not run)";
    info.layerRules = c.layerRulesSummary();
    info.layerRuleList.clear();
    info.softmaxMapPerLayer.clear();
    for (size_t l = 0; l < c.layers.size(); ++l) {
        info.layerRuleList.push_back(c.layerRule(l));
        info.softmaxMapPerLayer.push_back(c.layers[l].hasSoftmaxMap());
    }
}

} // namespace

ModelInfo describeCheckpoint(const Checkpoint& ckpt)
{
    ModelInfo info;
    info.path = ckpt.path;
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(ckpt.path, ec);
    info.resolvedPath = ec ? ckpt.path : canonical.string();
    for (const auto& f : ckpt.files)
        info.files.push_back({f->path(), f->resolvedPath(), f->size()});
    info.format = ckpt.format == CheckpointFormat::Gguf ? "gguf"
                  : ckpt.format == CheckpointFormat::Safetensors ? "safetensors"
                                                                  : "hf-folder";
    info.sizeOnDisk = ckpt.totalBytes;
    info.tensorCount = ckpt.tensors.size();
    for (const TensorInfo& t : ckpt.tensors) {
        info.tensorsByDtype[dtypeName(t.dtype)] += 1;
        info.paramsByDtype[dtypeName(t.dtype)] += t.elementCount();
        info.parameterCount += t.elementCount();
    }
    if (const MetaValue* n = ckpt.meta("general.name"); n && n->type == MetaValue::Type::String)
        info.name = n->s;
    if (const MetaValue* a = ckpt.meta("general.architecture"); a && a->type == MetaValue::Type::String)
        info.architecture = a->s;
    else if (ckpt.config.is_object() && ckpt.config.contains("model_type") && ckpt.config["model_type"].is_string())
        info.architecture = ckpt.config["model_type"].get<std::string>();
    try {
        const ModelConfig cfg = modelConfigFromCheckpoint(ckpt);
        fillConfig(info, cfg);
        info.unusedTensors = buildLayerPlan(ckpt, cfg).unused;
        info.runnable = true;
    } catch (const Error& e) {
        info.runnable = false;
        info.notRunnableReason = e.what();
    }
    return info;
}

ModelInfo describeModel(const LoadedModel& model)
{
    ModelInfo info = describeCheckpoint(model.checkpoint());
    fillConfig(info, model.config());
    info.unusedTensors = model.plan().unused;
    info.runnable = true;
    info.notRunnableReason.clear();
    info.tokenizer = model.tokenizer().kind();
    return info;
}

nlohmann::json toJson(const ModelInfo& i)
{
    nlohmann::json j;
    j["path"] = i.path;
    j["resolved_path"] = i.resolvedPath;
    j["format"] = i.format;
    j["architecture"] = i.architecture;
    j["name"] = i.name;
    j["runnable"] = i.runnable;
    if (!i.runnable)
        j["not_runnable_reason"] = i.notRunnableReason;
    j["n_layers"] = i.nLayers;
    j["n_heads"] = i.nHeads;
    j["n_kv_heads"] = i.nKvHeads;
    j["head_dim"] = i.headDim;
    j["d_model"] = i.dModel;
    j["ffn_dim"] = i.ffnDim;
    j["vocab_size"] = i.vocabSize;
    j["context_length"] = i.contextLength;
    j["rope_theta"] = i.ropeTheta;
    j["rope_pairing"] = i.ropePairing;
    j["tied_embeddings"] = i.tiedEmbeddings;
    if (i.runnable) {
        j["has_lm_head"] = i.hasLmHead;
        j["block"] = i.block;
        j["layer_rules"] = i.layerRules;
        j["layer_rule_per_layer"] = i.layerRuleList;
        j["softmax_map_per_layer"] = i.softmaxMapPerLayer;
    }
    j["unused_tensors"] = i.unusedTensors;
    if (!i.tokenizer.empty())
        j["tokenizer"] = i.tokenizer;
    j["tensor_count"] = i.tensorCount;
    j["parameter_count"] = i.parameterCount;
    j["size_on_disk"] = i.sizeOnDisk;
    j["dtypes"] = nlohmann::json::object();
    for (const auto& [k, v] : i.tensorsByDtype)
        j["dtypes"][k] = {{"tensors", v}, {"parameters", i.paramsByDtype.at(k)}};
    j["files"] = nlohmann::json::array();
    for (const ModelFile& f : i.files)
        j["files"].push_back({{"path", f.path}, {"resolved_path", f.resolvedPath}, {"bytes", f.bytes}});
    const std::vector<std::string> escaped = makeJsonPrintable(j);
    if (!escaped.empty())
        j["escaped_fields"] = escaped;
    return j;
}

} // namespace attnscope
