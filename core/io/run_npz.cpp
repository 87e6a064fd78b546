// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/run_npz.h"

#include "core/io/zip_writer.h"

#include <vector>

namespace attnscope {

bool writeRunNpz(ByteSink& sink, const RunData& run, std::string& error, bool compress)
{
    ZipWriter zip(sink, compress);
    auto fail = [&](const std::string& what) {
        error = zip.error().empty() ? what : zip.error();
        return false;
    };
    std::string descr;
    const std::string meta = runDataMetaJson(run);
    const std::vector<char32_t> metaU = toUcs4Array({meta}, descr);
    if (!addNpyMember(zip, "meta", {descr, {}, metaU.data(), metaU.size() * sizeof(char32_t)}))
        return fail("cannot write meta");
    const auto t = static_cast<int64_t>(run.tokens.size());
    if (!addNpyMember(zip, "tokens/ids", {"<i4", {t}, run.tokens.ids.data(), static_cast<uint64_t>(t) * 4}))
        return fail("cannot write tokens/ids");
    const std::vector<char32_t> text = toUcs4Array(run.tokens.display, descr);
    if (!addNpyMember(zip, "tokens/text", {descr, {t}, text.data(), text.size() * sizeof(char32_t)}))
        return fail("cannot write tokens/text");
    std::vector<int64_t> offsets(static_cast<size_t>(t) * 2, 0);
    for (size_t k = 0; k < static_cast<size_t>(t); ++k) {
        offsets[2 * k] = k < run.tokens.byteBegin.size() ? run.tokens.byteBegin[k] : 0;
        offsets[2 * k + 1] = k < run.tokens.byteEnd.size() ? run.tokens.byteEnd[k] : 0;
    }
    if (!addNpyMember(zip, "tokens/offsets", {"<i8", {t, 2}, offsets.data(), offsets.size() * 8}))
        return fail("cannot write tokens/offsets");

    std::vector<float> row;
    for (const LayerArray& a : gatherLayerArrays(run)) {
        const std::string name = dataArrayName(a.quantity, a.layer);
        uint64_t count = 1;
        for (int64_t d : a.shape)
            count *= static_cast<uint64_t>(d);
        const std::string header = npyHeader("<f4", a.shape);
        if (!zip.beginMember(name + ".npy") || !zip.write(header.data(), header.size()))
            return fail("cannot write " + name);
        const bool perHead = !a.maps.empty() || quantityInfo(a.quantity).shape == QuantityShape::HeadSeries;
        if (perHead) {
            const uint64_t inner = a.shape.empty() || a.shape[0] == 0 ? 0 : count / static_cast<uint64_t>(a.shape[0]);
            row.resize(static_cast<size_t>(inner));
            for (int64_t h = 0; h < a.shape[0]; ++h) {
                fillLayerArrayRow(a, h, row.data());
                if (!zip.write(row.data(), row.size() * sizeof(float)))
                    return fail("cannot write " + name);
            }
        } else if (!a.series.empty() && a.series[0] && !zip.write(a.series[0]->values.data(), count * sizeof(float))) {
            return fail("cannot write " + name);
        }
        if (!zip.endMember())
            return fail("cannot write " + name);
        if (perHead) {
            const std::string key = std::string(quantityInfo(a.quantity).key) + "/captured_heads/layer_" + std::to_string(a.layer);
            if (!addNpyMember(zip, key, {"<i4", {static_cast<int64_t>(a.capturedHeads.size())}, a.capturedHeads.data(),
                                         a.capturedHeads.size() * 4}))
                return fail("cannot write " + key);
        }
    }
    if (!run.layerStats.empty()) {
        std::vector<float> maxAbs;
        for (const LayerStats& s : run.layerStats)
            maxAbs.push_back(s.hiddenMaxAbs);
        if (!addNpyMember(zip, "hidden/max_abs", {"<f4", {static_cast<int64_t>(maxAbs.size())}, maxAbs.data(), maxAbs.size() * 4}))
            return fail("cannot write hidden/max_abs");
    }
    if (run.metrics) {
        const MetricsTable& m = *run.metrics;
        std::vector<float> v(static_cast<size_t>(m.layers) * static_cast<size_t>(m.heads));
        for (int k = 0; k < kHeadMetricCount; ++k) {
            const auto metric = static_cast<HeadMetric>(k);
            for (int l = 0; l < m.layers; ++l)
                for (int h = 0; h < m.heads; ++h)
                    v[static_cast<size_t>(l) * static_cast<size_t>(m.heads) + static_cast<size_t>(h)] =
                        static_cast<float>(m.value(l, h, metric));
            const std::string key = std::string("metrics/") + headMetricId(metric);
            if (!addNpyMember(zip, key, {"<f4", {m.layers, m.heads}, v.data(), v.size() * 4}))
                return fail("cannot write " + key);
        }
    }
    if (!zip.finish())
        return fail("cannot finish the archive");
    return true;
}

} // namespace attnscope
