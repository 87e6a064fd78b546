// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/hf_folder.h"
#include "core/formats/json_strict.h"
#include "core/formats/safetensors_reader.h"
#include "core/util/error.h"

namespace attnscope {

std::string pickleRefusalMessage()
{
    return "PyTorch pickle checkpoints are never loaded (pickle can execute code). Convert it to safetensors first, "
           "e.g. `python -c \"from transformers import AutoModel; AutoModel.from_pretrained('DIR')"
           ".save_pretrained('OUT', safe_serialization=True)\"`";
}

std::string readTextFileCapped(const std::string& path, uint64_t cap)
{
    return readTextCapped(*MappedFile::open(path), cap);
}

std::shared_ptr<Checkpoint> readHfFolder(const std::string& folder)
{
    return readHfFolder(*diskFolder(folder));
}

std::shared_ptr<Checkpoint> readHfFolder(const ModelFolder& dir)
{
    const std::string& folder = dir.path();
    auto has = [&dir](const char* name) { return dir.has(name); };

    std::shared_ptr<Checkpoint> ck;
    if (has("model.safetensors.index.json")) {
        ck = readSafetensorsIndex(dir, "model.safetensors.index.json");
    } else if (has("model.safetensors")) {
        ck = readSafetensors(dir.open("model.safetensors"));
    } else if (has("pytorch_model.bin") || has("pytorch_model.bin.index.json") || has("model.pt") || has("model.pth")) {
        throw Error(ErrorKind::Unsupported, folder, "", -1,
                    "the folder holds only PyTorch pickle weights (pytorch_model.bin). " + pickleRefusalMessage());
    } else {
        throw Error::format(folder, "", -1, "no model.safetensors or model.safetensors.index.json in the folder");
    }
    ck->format = CheckpointFormat::HfFolder;
    ck->path = folder;

    if (!has("config.json"))
        throw Error::format(folder, "config.json", -1, "config.json is missing from the model folder");
    const auto configFile = dir.open("config.json");
    const std::string configText = readTextCapped(*configFile, kMaxJsonBytes);
    ck->config = parseJsonStrict(configText, configFile->path(), "config");
    if (!ck->config.is_object())
        throw Error::format(configFile->path(), "config", 0, "config.json is not a JSON object");
    ck->totalBytes += configText.size();

    if (has("tokenizer.json")) {
        ck->tokenizerJson = readTextCapped(*dir.open("tokenizer.json"), kMaxJsonBytes);
        ck->totalBytes += ck->tokenizerJson.size();
    }
    if (has("tokenizer_config.json")) {
        ck->tokenizerConfigJson = readTextCapped(*dir.open("tokenizer_config.json"), kMaxJsonBytes);
        ck->totalBytes += ck->tokenizerConfigJson.size();
    }
    return ck;
}

} // namespace attnscope
