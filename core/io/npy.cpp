// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/npy.h"

#include "core/tokenizer/utf8.h"

#include <algorithm>
#include <cstring>

namespace attnscope {

uint64_t npyItemSize(const std::string& descr)
{
    if (descr.size() < 3)
        return 0;
    const char kind = descr[1];
    uint64_t n = 0;
    for (size_t i = 2; i < descr.size(); ++i) {
        if (descr[i] < '0' || descr[i] > '9')
            return 0;
        n = n * 10 + static_cast<uint64_t>(descr[i] - '0');
        if (n > (1u << 20))
            return 0;
    }
    return kind == 'U' ? n * 4 : n;
}

std::string npyHeader(const std::string& descr, const std::vector<int64_t>& shape)
{
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size())
            dict += ",";
        if (i + 1 < shape.size())
            dict += " ";
    }
    dict += "), }";
    // Version 1.0 has a uint16 length (10-byte preamble); 2.0 a uint32 length (12 bytes). The preamble, the dict
    // and its '\n' are padded with spaces to a multiple of 64.
    const bool v2 = dict.size() + 1 + 10 + 63 > 65535;
    const size_t preamble = v2 ? 12 : 10;
    const size_t total = preamble + dict.size() + 1;
    const size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(v2 ? 2 : 1);
    out += static_cast<char>(0);
    const uint32_t len = static_cast<uint32_t>(dict.size());
    out += static_cast<char>(len & 0xFF);
    out += static_cast<char>((len >> 8) & 0xFF);
    if (v2) {
        out += static_cast<char>((len >> 16) & 0xFF);
        out += static_cast<char>((len >> 24) & 0xFF);
    }
    return out + dict;
}

bool writeNpy(ByteSink& sink, const NpyArray& a)
{
    uint64_t count = 1;
    for (int64_t d : a.shape) {
        if (d < 0)
            return false;
        count *= static_cast<uint64_t>(d);
    }
    const uint64_t item = npyItemSize(a.descr);
    if (item == 0 || count * item != a.bytes)
        return false;
    const std::string header = npyHeader(a.descr, a.shape);
    return sink.write(header.data(), header.size()) && (a.bytes == 0 || sink.write(a.data, a.bytes));
}

bool writeNpyFloat32(ByteSink& sink, const float* data, const std::vector<int64_t>& shape)
{
    uint64_t count = 1;
    for (int64_t d : shape)
        count *= static_cast<uint64_t>(std::max<int64_t>(0, d));
    return writeNpy(sink, {"<f4", shape, data, count * sizeof(float)});
}

std::vector<char32_t> toUcs4Array(const std::vector<std::string>& utf8, std::string& descr)
{
    std::vector<std::u32string> decoded;
    decoded.reserve(utf8.size());
    size_t width = 1;
    for (const std::string& s : utf8) {
        std::u32string u;
        size_t i = 0;
        while (i < s.size()) {
            size_t len = 1;
            bool ok = false;
            const char32_t cp = utf8::decode(s, i, len, ok);
            u.push_back(ok ? cp : char32_t(0xFFFD));
            i += std::max<size_t>(1, len);
        }
        width = std::max(width, u.size());
        decoded.push_back(std::move(u));
    }
    descr = "<U" + std::to_string(width);
    std::vector<char32_t> out(decoded.size() * width, 0);
    for (size_t r = 0; r < decoded.size(); ++r)
        std::copy(decoded[r].begin(), decoded[r].end(), out.begin() + static_cast<std::ptrdiff_t>(r * width));
    return out;
}

} // namespace attnscope
