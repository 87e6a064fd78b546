// Shared shape of attnscope's fuzz targets (docs/SECURITY.md): each target feeds untrusted bytes to one
// entry point and must end in either success — after touching everything the parse claims exists — or an
// attnscope::Error. Anything else (a crash, an out-of-bounds read under ASan, another exception) is a bug.
// Built as libFuzzer binaries with ATTNSCOPE_FUZZ=ON (clang), and always as corpus-replay tests.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/checkpoint.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace attnscope::fuzz {

/// Reads every byte of every tensor (the extents were validated, so this must stay inside the file).
inline uint64_t touchAllTensors(const Checkpoint& c)
{
    uint64_t sum = 0;
    for (const TensorInfo& t : c.tensors) {
        const uint8_t* p = c.data(t);
        for (uint64_t i = 0; i < t.nbytes; ++i)
            sum += p[i];
    }
    return sum;
}

/// Converts the first row of every float-convertible tensor (bounded row length keeps each input fast).
inline void dequantizeFirstRows(const Checkpoint& c)
{
    std::vector<float> row;
    for (const TensorInfo& t : c.tensors) {
        if (!dtypeInfo(t.dtype).dequantizable || t.rows() == 0 || t.rowLength() > (1 << 16))
            continue;
        row.resize(static_cast<size_t>(t.rowLength()));
        dequantizeRows(c, t, 0, 1, row.data());
    }
}

} // namespace attnscope::fuzz
