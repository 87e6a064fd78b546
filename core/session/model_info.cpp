// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/model_info.h"

#include "core/formats/checkpoint.h"
#include "core/model/loaded_model.h"
#include "core/util/error.h"
#include "core/util/json_output.h"

#include <filesystem>

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
        fillConfig(info, modelConfigFromCheckpoint(ckpt));
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
