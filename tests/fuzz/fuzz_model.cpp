// Fuzz target: model-level validation. A checkpoint that parsed — a GGUF file (input starting with "GGUF") or
// an in-memory model folder (fuzz_folder.h layout) — goes through LoadedModel::fromCheckpoint (config, layer
// plan, tokenizer); what it accepts must describe itself (info --json always serialises), have every planned
// tensor readable, and tokenise the prompt.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_folder.h"
#include "fuzz_target.h"

#include "core/formats/gguf_reader.h"
#include "core/formats/hf_folder.h"
#include "core/model/loaded_model.h"
#include "core/session/model_info.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    try {
        std::shared_ptr<const Checkpoint> ck;
        std::string text = "Hello world 123 <|im_start|>";
        if (size >= 4 && std::memcmp(data, "GGUF", 4) == 0) {
            ck = readGguf(MappedFile::fromBytes("fuzz.gguf", std::vector<uint8_t>(data, data + size)));
        } else {
            fuzz::FolderInput in = fuzz::splitFolderInput(data, size);
            text = std::move(in.text);
            ck = readHfFolder(*memoryFolder("fuzz-model", std::move(in.files)));
        }
        (void)toJson(describeCheckpoint(*ck)).dump();
        auto model = LoadedModel::fromCheckpoint(ck);
        (void)toJson(describeModel(*model)).dump();
        fuzz::touchAllTensors(model->checkpoint());
        fuzz::dequantizeFirstRows(model->checkpoint());
        TokenizedText t = model->tokenizer().encode(text);
        for (int32_t id : t.ids)
            model->tokenizer().tokenDisplay(id);
    } catch (const Error&) {
    }
    return 0;
}
