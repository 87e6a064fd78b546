// Fuzz target: a whole Hugging Face model folder in memory (fuzz_folder.h layout) — config.json, a single
// model.safetensors or a sharded index with its shards, tokenizer.json and tokenizer_config.json together —
// through the folder reader, every tensor extent, the tokenizer built from the folder, encoding the prompt, and
// the `info --json` description (which must always serialise).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_folder.h"
#include "fuzz_target.h"

#include "core/formats/hf_folder.h"
#include "core/session/model_info.h"
#include "core/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    fuzz::FolderInput in = fuzz::splitFolderInput(data, size);
    try {
        auto folder = memoryFolder("fuzz-model", std::move(in.files));
        auto ck = readHfFolder(*folder);
        fuzz::touchAllTensors(*ck);
        fuzz::dequantizeFirstRows(*ck);
        (void)toJson(describeCheckpoint(*ck)).dump();
        auto tok = makeTokenizer(*ck);
        TokenizedText t = tok->encode(in.text);
        for (int32_t id : t.ids)
            tok->tokenDisplay(id);
    } catch (const Error&) {
    }
    return 0;
}
