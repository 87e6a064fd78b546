// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/hf_folder.h"
#include "core/formats/json_strict.h"
#include "core/formats/safetensors_reader.h"
#include "core/util/error.h"

#include <filesystem>

namespace attnscope {

namespace fs = std::filesystem;

std::string pickleRefusalMessage()
{
    return "PyTorch pickle checkpoints are never loaded (pickle can execute code). Convert it to safetensors first, "
           "e.g. `python -c \"from transformers import AutoModel; AutoModel.from_pretrained('DIR')"
           ".save_pretrained('OUT', safe_serialization=True)\"`";
}

std::string readTextFileCapped(const std::string& path, uint64_t cap)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > cap)
        throw Error::format(path, "", -1, "file of " + std::to_string(size) + " bytes exceeds the cap of " +
                                              std::to_string(cap) + " bytes");
    auto f = MappedFile::open(path);
    // Re-check on the mapping: the file may have grown between stat and open.
    if (f->size() > cap)
        throw Error::format(path, "", -1, "file of " + std::to_string(f->size()) + " bytes exceeds the cap of " +
                                              std::to_string(cap) + " bytes");
    return std::string(reinterpret_cast<const char*>(f->data()), static_cast<size_t>(f->size()));
}

std::shared_ptr<Checkpoint> readHfFolder(const std::string& folder)
{
    const fs::path dir(folder);
    auto has = [&dir](const char* name) {
        std::error_code ec;
        return fs::is_regular_file(dir / name, ec);
    };

    std::shared_ptr<Checkpoint> ck;
    if (has("model.safetensors.index.json")) {
        ck = readSafetensorsIndex((dir / "model.safetensors.index.json").string());
    } else if (has("model.safetensors")) {
        ck = readSafetensors(MappedFile::open((dir / "model.safetensors").string()));
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
    const std::string configPath = (dir / "config.json").string();
    const std::string configText = readTextFileCapped(configPath, kMaxJsonBytes);
    ck->config = parseJsonStrict(configText, configPath, "config");
    if (!ck->config.is_object())
        throw Error::format(configPath, "config", 0, "config.json is not a JSON object");
    ck->totalBytes += configText.size();

    if (has("tokenizer.json")) {
        ck->tokenizerJson = readTextFileCapped((dir / "tokenizer.json").string(), kMaxJsonBytes);
        ck->totalBytes += ck->tokenizerJson.size();
    }
    if (has("tokenizer_config.json")) {
        ck->tokenizerConfigJson = readTextFileCapped((dir / "tokenizer_config.json").string(), kMaxJsonBytes);
        ck->totalBytes += ck->tokenizerConfigJson.size();
    }
    return ck;
}

} // namespace attnscope
