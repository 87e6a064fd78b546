// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/npy.h"

#include <string>

namespace attnscope {

bool writeNpyFloat32(ByteSink& sink, const float* data, const std::vector<int64_t>& shape)
{
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    uint64_t count = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size())
            dict += ",";
        if (i + 1 < shape.size())
            dict += " ";
        count *= static_cast<uint64_t>(shape[i]);
    }
    dict += "), }";
    // Header (magic 6 + version 2 + length 2 + dict + '\n') is padded with spaces to a multiple of 64.
    size_t total = 10 + dict.size() + 1;
    const size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict += '\n';
    const uint16_t len = static_cast<uint16_t>(dict.size());
    const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    const char lenBytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
    return sink.write(magic, 8) && sink.write(lenBytes, 2) && sink.write(dict.data(), dict.size()) &&
           sink.write(data, count * sizeof(float));
}

} // namespace attnscope
