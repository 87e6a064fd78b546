// Test-side safetensors writer: valid files for every dtype plus hooks for every defect the reader must
// refuse (raw header text, header length, offsets, trailing bytes).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnscope::test {

inline std::string jsonQuote(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

struct StTensor {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
    std::optional<std::pair<uint64_t, uint64_t>> offsetsOverride;
};

class SafetensorsBuilder {
public:
    std::vector<StTensor> tensors;
    std::vector<std::pair<std::string, std::string>> metadata;
    bool writeMetadata = false;
    std::string extraMembers;                 // raw JSON members appended inside the top object (",..." added)
    std::optional<std::string> headerOverride; // the whole header text
    std::optional<uint64_t> lengthOverride;    // the 8-byte N
    size_t padHeaderTo = 8;                    // pad with spaces like the reference writer
    std::vector<uint8_t> trailing;             // bytes appended after the buffer

    SafetensorsBuilder& tensor(std::string name, std::string dtype, std::vector<int64_t> shape, std::vector<uint8_t> data)
    {
        tensors.push_back({std::move(name), std::move(dtype), std::move(shape), std::move(data), {}});
        return *this;
    }

    std::string headerJson() const
    {
        std::string h = "{";
        bool first = true;
        auto sep = [&] {
            if (!first)
                h += ",";
            first = false;
        };
        if (writeMetadata || !metadata.empty()) {
            sep();
            h += "\"__metadata__\":{";
            for (size_t i = 0; i < metadata.size(); ++i)
                h += (i ? "," : "") + jsonQuote(metadata[i].first) + ":" + jsonQuote(metadata[i].second);
            h += "}";
        }
        uint64_t off = 0;
        for (const StTensor& t : tensors) {
            sep();
            uint64_t b = off, e = off + t.data.size();
            if (t.offsetsOverride) {
                b = t.offsetsOverride->first;
                e = t.offsetsOverride->second;
            }
            off += t.data.size();
            h += jsonQuote(t.name) + ":{\"dtype\":" + jsonQuote(t.dtype) + ",\"shape\":[";
            for (size_t i = 0; i < t.shape.size(); ++i)
                h += (i ? "," : "") + std::to_string(t.shape[i]);
            h += "],\"data_offsets\":[" + std::to_string(b) + "," + std::to_string(e) + "]}";
        }
        if (!extraMembers.empty()) {
            sep();
            h += extraMembers;
        }
        return h + "}";
    }

    std::vector<uint8_t> build() const
    {
        std::string h = headerOverride ? *headerOverride : headerJson();
        if (!headerOverride)
            while (padHeaderTo > 1 && h.size() % padHeaderTo != 0)
                h += ' ';
        std::vector<uint8_t> out(8);
        const uint64_t n = lengthOverride.value_or(h.size());
        std::memcpy(out.data(), &n, 8);
        out.insert(out.end(), h.begin(), h.end());
        for (const StTensor& t : tensors)
            out.insert(out.end(), t.data.begin(), t.data.end());
        out.insert(out.end(), trailing.begin(), trailing.end());
        return out;
    }
};

} // namespace attnscope::test
