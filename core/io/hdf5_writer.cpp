// HDF5 writer over the C API (Debian's serial HDF5 1.10).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/hdf5_writer.h"

#include "attnscope_config.h"

#if ATTNSCOPE_HAVE_HDF5
#include <H5PLpublic.h>
#include <hdf5.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

namespace attnscope {

#if !ATTNSCOPE_HAVE_HDF5

bool hdf5Available()
{
    return false;
}

bool writeRunHdf5(ByteSink&, const RunData&, std::string& error, const Hdf5Options&)
{
    error = "this build has no HDF5 support (libhdf5-dev was not found when it was built); export .npz instead";
    return false;
}

#else

bool hdf5Available()
{
    return true;
}

namespace {

std::mutex& hdf5Mutex()
{
    static std::mutex m;
    return m;
}

/// Closes an HDF5 handle when it goes out of scope.
class Handle {
public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    ~Handle()
    {
        if (m_id >= 0)
            m_close(m_id);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    hid_t get() const { return m_id; }
    bool ok() const { return m_id >= 0; }

private:
    hid_t m_id;
    herr_t (*m_close)(hid_t);
};

struct Writer {
    hid_t file = -1;
    std::string error;

    bool fail(const std::string& why)
    {
        if (error.empty())
            error = why;
        return false;
    }

    bool stringAttr(hid_t loc, const char* name, const std::string& value)
    {
        Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type.get(), H5T_VARIABLE);
        H5Tset_cset(type.get(), H5T_CSET_UTF8);
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle attr(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        const char* p = value.c_str();
        if (!attr.ok() || H5Awrite(attr.get(), type.get(), &p) < 0)
            return fail(std::string("cannot write attribute ") + name);
        return true;
    }

    bool intAttr(hid_t loc, const char* name, int64_t value)
    {
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle attr(H5Acreate2(loc, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        if (!attr.ok() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0)
            return fail(std::string("cannot write attribute ") + name);
        return true;
    }

    bool intListAttr(hid_t loc, const char* name, const std::vector<int32_t>& values)
    {
        const hsize_t n = values.size();
        Handle space(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL), H5Sclose);
        Handle attr(H5Acreate2(loc, name, H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        if (!attr.ok() || (n && H5Awrite(attr.get(), H5T_NATIVE_INT32, values.data()) < 0))
            return fail(std::string("cannot write attribute ") + name);
        return true;
    }

    /// Creates intermediate groups as needed ("a/b/c" → groups a and a/b).
    hid_t linkCreatePlist()
    {
        const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(lcpl, 1);
        H5Pset_char_encoding(lcpl, H5T_CSET_UTF8);
        return lcpl;
    }

    /// A chunked, gzip + shuffle compressed float32 dataset, NaN where nothing was written.
    hid_t createFloatDataset(const std::string& path, const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                             int gzip)
    {
        Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
        Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        bool empty = false;
        for (hsize_t d : dims)
            empty |= d == 0;
        if (!empty) {
            H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
            H5Pset_shuffle(dcpl.get());
            H5Pset_deflate(dcpl.get(), static_cast<unsigned>(gzip));
        }
        const float nan = std::numeric_limits<float>::quiet_NaN();
        H5Pset_fill_value(dcpl.get(), H5T_NATIVE_FLOAT, &nan);
        Handle lcpl(linkCreatePlist(), H5Pclose);
        const hid_t ds = H5Dcreate2(file, path.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT);
        if (ds < 0)
            fail("cannot create dataset " + path);
        return ds;
    }

    /// Writes `count` outer rows starting at `row` of a dataset whose rows are `inner` floats.
    bool writeRows(hid_t ds, const std::vector<hsize_t>& dims, hsize_t row, hsize_t count, const float* data)
    {
        Handle fspace(H5Dget_space(ds), H5Sclose);
        std::vector<hsize_t> start(dims.size(), 0), cnt = dims;
        start[0] = row;
        cnt[0] = count;
        H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
        Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
        if (H5Dwrite(ds, H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, data) < 0)
            return fail("cannot write dataset rows");
        return true;
    }

    bool writeSimple(const std::string& path, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims, const void* data)
    {
        Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
        Handle lcpl(linkCreatePlist(), H5Pclose);
        Handle ds(H5Dcreate2(file, path.c_str(), fileType, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
        if (!ds.ok())
            return fail("cannot create dataset " + path);
        bool empty = false;
        for (hsize_t d : dims)
            empty |= d == 0;
        if (!empty && H5Dwrite(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
            return fail("cannot write dataset " + path);
        return true;
    }

    bool writeStrings(const std::string& path, const std::vector<std::string>& strings)
    {
        Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type.get(), H5T_VARIABLE);
        H5Tset_cset(type.get(), H5T_CSET_UTF8);
        std::vector<const char*> ptrs;
        ptrs.reserve(strings.size());
        for (const std::string& s : strings)
            ptrs.push_back(s.c_str());
        return writeSimple(path, type.get(), type.get(), {strings.size()}, ptrs.data());
    }
};

std::atomic<uint64_t> g_fileCounter{0};

} // namespace

namespace {

/// The long run's heads (RunData::streamedMaps): one [heads, T, T] dataset per (quantity, layer) with the same
/// name and chunks as stored maps, filled block by block of kStreamedRowBlock recomputed rows.
void writeStreamedMaps(Writer& w, const RunData& run, int64_t t, const Hdf5Options& options)
{
    std::map<std::pair<Quantity, int>, std::vector<const StreamedMap*>> byLayer;
    for (const StreamedMap& m : run.streamedMaps)
        if (m.source && m.source->tokens() == t && m.head >= 0 && m.head < run.info.heads)
            byLayer[{m.quantity, m.layer}].push_back(&m);
    const auto tt = static_cast<hsize_t>(t);
    const auto heads = static_cast<hsize_t>(std::max(1, run.info.heads));
    const auto tile = std::max<hsize_t>(1, std::min(tt, static_cast<hsize_t>(std::max(1, options.mapTile))));
    std::vector<float> rows;
    for (const auto& [key, maps] : byLayer) {
        const std::vector<hsize_t> dims = {heads, tt, tt};
        const std::string path = dataArrayName(key.first, key.second);
        Handle ds(w.createFloatDataset(path, dims, {1, tile, tile}, options.gzipLevel), H5Dclose);
        if (!ds.ok())
            return;
        w.stringAttr(ds.get(), "quantity", quantityInfo(key.first).key);
        w.stringAttr(ds.get(), "label", quantityInfo(key.first).label);
        std::vector<int32_t> captured;
        for (const StreamedMap* m : maps)
            captured.push_back(m->head);
        std::sort(captured.begin(), captured.end());
        w.intListAttr(ds.get(), "captured_heads", captured);
        w.stringAttr(ds.get(), "mask", maps.front()->source->mask().describe());
        w.stringAttr(ds.get(), "recomputed", "rows recomputed from queries, keys and row normalisers (long run)");
        Handle fspace(H5Dget_space(ds.get()), H5Sclose);
        for (const StreamedMap* m : maps) {
            for (int64_t i0 = 0; i0 < t && w.error.empty(); i0 += kStreamedRowBlock) {
                const int64_t i1 = std::min(t, i0 + kStreamedRowBlock);
                rows.resize(static_cast<size_t>((i1 - i0) * t));
                streamedMapRows(*m->source, i0, i1, rows.data());
                const hsize_t start[3] = {static_cast<hsize_t>(m->head), static_cast<hsize_t>(i0), 0};
                const hsize_t count[3] = {1, static_cast<hsize_t>(i1 - i0), tt};
                H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
                Handle mspace(H5Screate_simple(3, count, nullptr), H5Sclose);
                if (H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, rows.data()) < 0) {
                    w.fail("cannot write the rows of " + path);
                    return;
                }
            }
        }
    }
}

/// Copies a finished temporary file into the sink in 4 MB pieces.
bool copyToSink(const std::string& path, ByteSink& sink, std::string& error)
{
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = "HDF5: cannot read back the temporary file " + path;
        return false;
    }
    std::vector<char> buf(size_t(4) << 20);
    bool ok = true;
    for (;;) {
        const size_t n = std::fread(buf.data(), 1, buf.size(), f);
        if (n > 0 && !sink.write(buf.data(), n)) {
            error = "write failed: " + sink.errorString();
            ok = false;
            break;
        }
        if (n < buf.size()) {
            if (std::ferror(f)) {
                error = "HDF5: cannot read back the temporary file " + path;
                ok = false;
            }
            break;
        }
    }
    std::fclose(f);
    return ok;
}

/// Removes the temporary file when it goes out of scope.
struct TempFile {
    std::string path;
    ~TempFile()
    {
        if (!path.empty())
            std::remove(path.c_str());
    }
};

} // namespace

bool writeRunHdf5(ByteSink& sink, const RunData& run, std::string& error, const Hdf5Options& options)
{
    std::vector<char> image;
    const bool toDisk = !run.streamedMaps.empty();
    TempFile temp;
    std::string tempPath;
    if (toDisk) {
        std::error_code ec;
        std::string dir = std::filesystem::temp_directory_path(ec).string();
        if (ec || dir.empty())
            dir = "/tmp";
        std::string pattern = dir + "/attnscope-export-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        const int fd = mkstemp(buf.data());
        if (fd < 0) {
            error = "HDF5: cannot create a temporary file in " + dir;
            return false;
        }
        close(fd);
        tempPath = temp.path = buf.data();
    }
    {
        const std::lock_guard<std::mutex> lock(hdf5Mutex());
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);   // errors come back as return values, not stderr noise
        H5PLset_loading_state(0);                       // never load filter plugins
        Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        std::string name;
        if (toDisk) {
            // Streamed maps: a temporary file (removed below), so memory never holds the compressed maps either.
            name = tempPath;
        } else {
            H5Pset_fapl_core(fapl.get(), 16 << 20, 0);      // in memory, no backing file
            name = "attnscope-export-" + std::to_string(++g_fileCounter) + ".h5";
        }
        Handle file(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
        if (!file.ok()) {
            error = toDisk ? "HDF5: cannot create the temporary file " + tempPath : "HDF5: cannot create the file image";
            return false;
        }
        Writer w;
        w.file = file.get();
        const hid_t root = file.get();
        const RunDataInfo& i = run.info;
        const int64_t t = static_cast<int64_t>(run.tokens.size());
        w.stringAttr(root, "format", "attnscope-data");
        w.intAttr(root, "format_version", 1);
        w.stringAttr(root, "model_name", i.modelName);
        w.stringAttr(root, "model_path", i.modelPath);
        w.stringAttr(root, "model_sha256", i.modelHash);
        w.stringAttr(root, "architecture", i.architecture);
        w.stringAttr(root, "file_format", i.fileFormat);
        w.stringAttr(root, "prompt", i.prompt);
        w.stringAttr(root, "variant", i.variant);
        w.stringAttr(root, "app_version", i.appVersion);
        w.stringAttr(root, "backend", i.backend);
        w.intAttr(root, "n_layers", i.layers);
        w.intAttr(root, "n_heads", i.heads);
        w.intAttr(root, "n_kv_heads", i.kvHeads);
        w.intAttr(root, "head_dim", i.headDim);
        w.intAttr(root, "n_tokens", t);

        // Tokens.
        const auto tt = static_cast<hsize_t>(t);
        w.writeSimple("tokens/ids", H5T_STD_I32LE, H5T_NATIVE_INT32, {tt}, run.tokens.ids.data());
        w.writeStrings("tokens/text", run.tokens.display);
        std::vector<int64_t> offsets(static_cast<size_t>(t) * 2, 0);
        for (size_t k = 0; k < static_cast<size_t>(t); ++k) {
            offsets[2 * k] = k < run.tokens.byteBegin.size() ? run.tokens.byteBegin[k] : 0;
            offsets[2 * k + 1] = k < run.tokens.byteEnd.size() ? run.tokens.byteEnd[k] : 0;
        }
        w.writeSimple("tokens/offsets", H5T_STD_I64LE, H5T_NATIVE_INT64, {tt, 2}, offsets.data());

        // Captured quantities.
        std::vector<std::string> skipped;
        const std::vector<LayerArray> arrays = gatherLayerArrays(run, &skipped);
        std::vector<float> row;
        for (const LayerArray& a : arrays) {
            if (!w.error.empty())
                break;
            const std::string path = dataArrayName(a.quantity, a.layer);
            std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
            std::vector<hsize_t> chunk = dims;
            const bool isMap = !a.maps.empty();
            const bool perHead = isMap || quantityInfo(a.quantity).shape == QuantityShape::HeadSeries;
            if (perHead && !chunk.empty())
                chunk[0] = 1;   // one head per chunk (at most)
            if (isMap) {
                const auto tile = static_cast<hsize_t>(std::max(1, options.mapTile));
                chunk[1] = std::max<hsize_t>(1, std::min(dims[1], tile));
                chunk[2] = std::max<hsize_t>(1, std::min(dims[2], tile));
            }
            for (hsize_t& c : chunk)
                c = std::max<hsize_t>(1, c);
            Handle ds(w.createFloatDataset(path, dims, chunk, options.gzipLevel), H5Dclose);
            if (!ds.ok())
                break;
            w.stringAttr(ds.get(), "quantity", quantityInfo(a.quantity).key);
            w.stringAttr(ds.get(), "label", quantityInfo(a.quantity).label);
            if (perHead)
                w.intListAttr(ds.get(), "captured_heads", a.capturedHeads);
            if (isMap) {
                for (const AttentionMapPtr& m : a.maps)
                    if (m) {
                        w.stringAttr(ds.get(), "mask", m->mask.describe());
                        break;
                    }
            }
            if (perHead) {
                int64_t inner = 1;
                for (size_t d = 1; d < a.shape.size(); ++d)
                    inner *= a.shape[d];
                row.resize(static_cast<size_t>(inner));
                for (int64_t h = 0; h < a.shape[0] && w.error.empty(); ++h) {
                    const bool present = isMap ? a.maps[static_cast<size_t>(h)] != nullptr
                                               : a.series[static_cast<size_t>(h)] != nullptr;
                    if (!present)
                        continue;   // stays the NaN fill value, costs no chunk
                    fillLayerArrayRow(a, h, row.data());
                    w.writeRows(ds.get(), dims, static_cast<hsize_t>(h), 1, row.data());
                }
            } else if (!a.series.empty() && a.series[0] && !dims.empty()) {
                w.writeRows(ds.get(), dims, 0, dims[0], a.series[0]->values.data());
            }
            // The per-row log-sum-exp of attention maps (+inf marks fully masked rows).
            if (isMap && w.error.empty()) {
                bool any = false;
                for (const AttentionMapPtr& m : a.maps)
                    any |= m && static_cast<int64_t>(m->lse.size()) == a.shape[1];
                if (any) {
                    const std::vector<hsize_t> ldims = {dims[0], dims[1]};
                    Handle lds(w.createFloatDataset(std::string(quantityInfo(a.quantity).key) + "/lse/layer_" +
                                                        std::to_string(a.layer),
                                                    ldims, {1, dims[1]}, options.gzipLevel),
                               H5Dclose);
                    for (size_t h = 0; h < a.maps.size() && lds.ok(); ++h) {
                        const AttentionMapPtr& m = a.maps[h];
                        if (m && static_cast<int64_t>(m->lse.size()) == a.shape[1])
                            w.writeRows(lds.get(), ldims, h, 1, m->lse.data());
                    }
                }
            }
        }
        if (!run.streamedMaps.empty() && w.error.empty())
            writeStreamedMaps(w, run, t, options);
        if (!run.layerStats.empty() && w.error.empty()) {
            std::vector<float> maxAbs;
            for (const LayerStats& s : run.layerStats)
                maxAbs.push_back(s.hiddenMaxAbs);
            w.writeSimple("hidden/max_abs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {maxAbs.size()}, maxAbs.data());
        }
        if (run.metrics && w.error.empty()) {
            const MetricsTable& m = *run.metrics;
            std::vector<float> v(static_cast<size_t>(m.layers) * static_cast<size_t>(m.heads));
            for (int k = 0; k < kHeadMetricCount && w.error.empty(); ++k) {
                const auto metric = static_cast<HeadMetric>(k);
                for (int l = 0; l < m.layers; ++l)
                    for (int h = 0; h < m.heads; ++h)
                        v[static_cast<size_t>(l) * static_cast<size_t>(m.heads) + static_cast<size_t>(h)] =
                            static_cast<float>(m.value(l, h, metric));
                const std::string path = std::string("metrics/") + headMetricId(metric);
                if (w.writeSimple(path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                                  {static_cast<hsize_t>(m.layers), static_cast<hsize_t>(m.heads)}, v.data())) {
                    Handle ds(H5Dopen2(file.get(), path.c_str(), H5P_DEFAULT), H5Dclose);
                    w.stringAttr(ds.get(), "label", headMetricLabel(metric, m.params.topK));
                }
            }
        }
        if (!w.error.empty()) {
            error = "HDF5: " + w.error;
            return false;
        }
        if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) {
            error = "HDF5: cannot finish the file image";
            return false;
        }
        if (!toDisk) {   // a temporary file is closed on leaving this scope and copied by copyToSink
            const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
            if (size <= 0) {
                error = "HDF5: cannot read back the file image";
                return false;
            }
            try {
                image.resize(static_cast<size_t>(size));
            } catch (const std::bad_alloc&) {
                error = "HDF5: out of memory for a " + std::to_string(size >> 20) + " MB file image";
                return false;
            }
            if (H5Fget_file_image(file.get(), image.data(), image.size()) != size) {
                error = "HDF5: cannot read back the file image";
                return false;
            }
        }
    }
    if (toDisk)
        return copyToSink(tempPath, sink, error);
    if (!sink.write(image.data(), image.size())) {
        error = "write failed: " + sink.errorString();
        return false;
    }
    return true;
}

#endif

} // namespace attnscope
