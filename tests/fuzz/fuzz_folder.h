// Input layout of the model-folder fuzz targets: a prompt, then files, each introduced by a line
// "@@file NAME" — e.g. "Hello\n@@file config.json\n{...}\n@@file model.safetensors\n<bytes>". The files become
// an in-memory ModelFolder, so the HF-folder, sharded-index, config and tokenizer code run exactly as on disk.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/model_folder.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::fuzz {

struct FolderInput {
    std::string text;                                      // the prompt to tokenise
    std::map<std::string, std::vector<uint8_t>> files;     // name -> bytes (at most 16 files)
};

inline FolderInput splitFolderInput(const uint8_t* data, size_t size)
{
    constexpr std::string_view kMarker = "\n@@file ";
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    FolderInput in;
    size_t pos = all.find(kMarker);
    in.text = std::string(all.substr(0, pos));
    while (pos != std::string_view::npos && in.files.size() < 16) {
        const size_t nameBegin = pos + kMarker.size();
        const size_t nameEnd = all.find('\n', nameBegin);
        if (nameEnd == std::string_view::npos)
            break;
        const size_t next = all.find(kMarker, nameEnd);
        const std::string_view body = all.substr(nameEnd + 1, next == std::string_view::npos ? std::string_view::npos
                                                                                             : next - nameEnd - 1);
        in.files[std::string(all.substr(nameBegin, nameEnd - nameBegin))] =
            std::vector<uint8_t>(body.begin(), body.end());
        pos = next;
    }
    return in;
}

} // namespace attnscope::fuzz
