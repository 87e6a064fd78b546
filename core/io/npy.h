// NumPy .npy writer (format version 1.0, little-endian float32, C order) over a ByteSink.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"

#include <cstdint>
#include <vector>

namespace attnscope {

/// Writes a float32 array of the given shape; returns false when the sink reports an error.
bool writeNpyFloat32(ByteSink& sink, const float* data, const std::vector<int64_t>& shape);

} // namespace attnscope
