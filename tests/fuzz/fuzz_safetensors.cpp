// Fuzz target: safetensors header parse + every tensor extent + dequantising the first row of every tensor.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/formats/safetensors_reader.h"
#include "core/tensor/dequant.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    try {
        auto ck = readSafetensors(MappedFile::fromBytes("fuzz.safetensors", std::vector<uint8_t>(data, data + size)));
        fuzz::touchAllTensors(*ck);
        std::vector<float> row;
        for (const TensorInfo& t : ck->tensors) {
            if (!dtypeInfo(t.dtype).dequantizable || t.rows() == 0 || t.rowLength() > (1 << 16))
                continue;
            row.resize(static_cast<size_t>(t.rowLength()));
            dequantizeRows(*ck, t, 0, 1, row.data());
        }
    } catch (const Error&) {
    }
    return 0;
}
