// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/run_data.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>

namespace attnscope {

std::string dataArrayName(Quantity q, int layer)
{
    const std::string key = quantityInfo(q).key;
    return layer < 0 ? key + "/model" : key + "/layer_" + std::to_string(layer);
}

std::vector<LayerArray> gatherLayerArrays(const RunData& run, std::vector<std::string>* skipped)
{
    const int heads = std::max(1, run.info.heads);
    std::map<std::pair<int, int>, LayerArray> byKey;   // (quantity, layer) → array
    auto note = [&](const std::string& why) {
        if (skipped)
            skipped->push_back(why);
    };
    for (const auto& [key, map] : run.captures.maps()) {
        if (!map || key.head < 0 || key.head >= heads)
            continue;
        LayerArray& a = byKey[{static_cast<int>(key.quantity), key.layer}];
        if (a.maps.empty()) {
            a.quantity = key.quantity;
            a.layer = key.layer;
            a.maps.resize(static_cast<size_t>(heads));
            a.shape = {heads, map->tokens, map->tokens};
        }
        if (a.shape[1] != map->tokens) {
            note(dataArrayName(key.quantity, key.layer) + " head " + std::to_string(key.head) + ": token count differs");
            continue;
        }
        a.maps[static_cast<size_t>(key.head)] = map;
        a.capturedHeads.push_back(key.head);
    }
    for (const auto& [key, s] : run.captures.allSeries()) {
        if (!s)
            continue;
        const QuantityShape shape = quantityInfo(key.quantity).shape;
        LayerArray& a = byKey[{static_cast<int>(key.quantity), key.layer}];
        if (shape == QuantityShape::HeadSeries) {
            if (key.head < 0 || key.head >= heads)
                continue;
            if (a.series.empty()) {
                a.quantity = key.quantity;
                a.layer = key.layer;
                a.series.resize(static_cast<size_t>(heads));
                a.shape = {heads};
                a.shape.insert(a.shape.end(), s->shape.begin(), s->shape.end());
            }
            if (!std::equal(a.shape.begin() + 1, a.shape.end(), s->shape.begin(), s->shape.end())) {
                note(dataArrayName(key.quantity, key.layer) + " head " + std::to_string(key.head) + ": shape differs");
                continue;
            }
            a.series[static_cast<size_t>(key.head)] = s;
            a.capturedHeads.push_back(key.head);
        } else {
            a.quantity = key.quantity;
            a.layer = key.layer;
            a.series = {s};
            a.shape = s->shape;
        }
    }
    std::vector<LayerArray> out;
    out.reserve(byKey.size());
    for (auto& [k, a] : byKey) {
        std::sort(a.capturedHeads.begin(), a.capturedHeads.end());
        out.push_back(std::move(a));
    }
    return out;
}

void fillLayerArrayRow(const LayerArray& a, int64_t r, float* out)
{
    int64_t inner = 1;
    for (size_t i = 1; i < a.shape.size(); ++i)
        inner *= a.shape[i];
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (!a.maps.empty()) {
        const AttentionMapPtr& m = a.maps[static_cast<size_t>(r)];
        if (m)
            std::memcpy(out, m->probs.data(), static_cast<size_t>(inner) * sizeof(float));
        else
            std::fill(out, out + inner, nan);
        return;
    }
    if (a.series.size() == 1 && !a.shape.empty() && quantityInfo(a.quantity).shape != QuantityShape::HeadSeries) {
        // Layer series: the array is the series itself; "row" r is its r-th outer slice.
        const CapturedSeriesPtr& s = a.series[0];
        std::memcpy(out, s->values.data() + r * inner, static_cast<size_t>(inner) * sizeof(float));
        return;
    }
    const CapturedSeriesPtr& s = a.series[static_cast<size_t>(r)];
    if (s && static_cast<int64_t>(s->values.size()) == inner)
        std::memcpy(out, s->values.data(), static_cast<size_t>(inner) * sizeof(float));
    else
        std::fill(out, out + inner, nan);
}

std::string runDataMetaJson(const RunData& run)
{
    const RunDataInfo& i = run.info;
    nlohmann::json j;
    j["format"] = "attnscope-data";
    j["version"] = 1;
    j["model_name"] = i.modelName;
    j["model_path"] = i.modelPath;
    j["model_sha256"] = i.modelHash;
    j["architecture"] = i.architecture;
    j["file_format"] = i.fileFormat;
    j["prompt"] = i.prompt;
    j["variant"] = i.variant;
    j["app_version"] = i.appVersion;
    j["backend"] = i.backend;
    j["n_layers"] = i.layers;
    j["n_heads"] = i.heads;
    j["n_kv_heads"] = i.kvHeads;
    j["head_dim"] = i.headDim;
    j["n_tokens"] = run.tokens.size();
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace attnscope
