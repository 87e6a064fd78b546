// Fuzz target: safetensors header parse + every tensor extent + dequantising the first row of every tensor.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/formats/safetensors_reader.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    try {
        auto ck = readSafetensors(MappedFile::fromBytes("fuzz.safetensors", std::vector<uint8_t>(data, data + size)));
        fuzz::touchAllTensors(*ck);
        fuzz::dequantizeFirstRows(*ck);
    } catch (const Error&) {
    }
    return 0;
}
