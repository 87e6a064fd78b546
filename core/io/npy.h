// NumPy .npy writer (format 1.0, or 2.0 when the header needs it; little-endian, C order) over a ByteSink.
// Layout (NumPy lib/format.py): magic "\x93NUMPY", major, minor, header length (uint16 in 1.0, uint32 in 2.0),
// an ASCII dict {'descr', 'fortran_order', 'shape'} padded with spaces and ended by '\n' so that the data starts
// at a multiple of 64 bytes, then the raw data. Strings are fixed-width UCS-4 ('<U n'), never object arrays.
// Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

/// One array to write: its NumPy dtype string ('<f4', '<i4', '<i8', '|u1', '<U12'), shape (outermost first),
/// and its bytes in C order. `bytes` must equal the product of the shape times the item size.
struct NpyArray {
    std::string descr;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    uint64_t bytes = 0;
};

/// The header bytes (magic, version, length, padded dict) for an array of this dtype and shape.
std::string npyHeader(const std::string& descr, const std::vector<int64_t>& shape);
/// Item size of a descr ('<f4' → 4, '<U12' → 48); 0 when unknown.
uint64_t npyItemSize(const std::string& descr);

/// Writes header and data; returns false when the sink reports an error or the byte count does not match.
bool writeNpy(ByteSink& sink, const NpyArray& a);
/// Writes a float32 array of the given shape; returns false when the sink reports an error.
bool writeNpyFloat32(ByteSink& sink, const float* data, const std::vector<int64_t>& shape);

/// UTF-8 strings as a fixed-width UCS-4 array ('<U n', n = the longest string in code points, at least 1).
/// Invalid UTF-8 bytes become U+FFFD. `descr` receives the dtype string.
std::vector<char32_t> toUcs4Array(const std::vector<std::string>& utf8, std::string& descr);

} // namespace attnscope
