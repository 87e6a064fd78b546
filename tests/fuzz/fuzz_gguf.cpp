// Fuzz target: GGUF container parse + every tensor extent + dequantising the first rows of every tensor +
// the model description and tokenizer built from the metadata.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/formats/gguf_reader.h"
#include "core/model/layer_plan.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    try {
        auto ck = readGguf(MappedFile::fromBytes("fuzz.gguf", std::vector<uint8_t>(data, data + size)));
        fuzz::touchAllTensors(*ck);
        fuzz::dequantizeFirstRows(*ck);
        try {
            ModelConfig cfg = modelConfigFromCheckpoint(*ck);
            buildLayerPlan(*ck, cfg);
        } catch (const Error&) {
        }
        makeTokenizerFromGguf(*ck)->encode("Hello world 123 <|im_start|>");
    } catch (const Error&) {
    }
    return 0;
}
