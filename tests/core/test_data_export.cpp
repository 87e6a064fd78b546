// Data exports read back by NumPy and h5py (tests/fixtures/check_data_export.py under Debian's /usr/bin/python3
// with python3-numpy and python3-h5py): .npy, .npz and HDF5 hold the captured arrays bit for bit with the
// documented names and shapes (heads not captured are NaN), HDF5 maps are chunked per head with gzip + shuffle,
// CSV round-trips float32 values; .npy headers are 64-byte aligned; a sink that fails mid-write makes every
// writer fail with a reason.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/csv_writer.h"
#include "core/io/hdf5_writer.h"
#include "core/io/npy.h"
#include "core/io/run_npz.h"
#include "core/io/zip_writer.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

using namespace attnscope;

namespace {

constexpr int kLayers = 2, kHeads = 3, kT = 5;

AttentionMapPtr makeMap(int layer, int head)
{
    auto m = std::make_shared<AttentionMap>();
    m->layer = layer;
    m->head = head;
    m->tokens = kT;
    m->mask = AttentionMask::causal();
    m->probs.assign(static_cast<size_t>(kT * kT), 0.f);
    m->lse.assign(kT, 0.f);
    for (int i = 0; i < kT; ++i) {
        float sum = 0;
        for (int j = 0; j <= i; ++j)
            sum += 1.0f + static_cast<float>((layer * 7 + head * 3 + i * 5 + j) % 11);
        for (int j = 0; j <= i; ++j)
            m->probs[static_cast<size_t>(i * kT + j)] = (1.0f + static_cast<float>((layer * 7 + head * 3 + i * 5 + j) % 11)) / sum;
        m->lse[static_cast<size_t>(i)] = std::log(sum) + 0.1f * static_cast<float>(head);
    }
    return m;
}

RunData makeRun(bool skipHead)
{
    RunData r;
    r.info.modelName = "tiny";
    r.info.modelHash = "sha256:0123abcd";
    r.info.prompt = "héllo, \"world\"\n✓";
    r.info.layers = kLayers;
    r.info.heads = kHeads;
    r.info.kvHeads = 1;
    r.tokens.ids = {1, 17, 4, 99, 2};
    r.tokens.display = {"<s>", "h\xc3\xa9llo", ",", "␣\"world\"", "↵✓"};
    r.tokens.byteBegin = {0, 0, 6, 7, 15};
    r.tokens.byteEnd = {0, 6, 7, 15, 19};
    for (int l = 0; l < kLayers; ++l)
        for (int h = 0; h < kHeads; ++h)
            if (!(skipHead && l == 1 && h == 2))
                r.captures.add(makeMap(l, h));
    for (int h = 0; h < kHeads; ++h) {
        auto s = std::make_shared<CapturedSeries>();
        s->key = {Quantity::Gate, 1, h};
        s->shape = {kT};
        for (int i = 0; i < kT; ++i)
            s->values.push_back(0.1f * static_cast<float>(h + 1) + 0.01f * static_cast<float>(i));
        r.captures.add(s);
    }
    r.layerStats = {{0, 12.5f, 0, 3, 1.0}, {1, 800.25f, 0, 17, 1.0}};
    return r;
}

std::string writeFile(const std::filesystem::path& p, const std::vector<char>& bytes)
{
    std::ofstream f(p, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
}

std::string writeRaw(const std::filesystem::path& p, const std::vector<float>& v)
{
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    return p.string();
}

/// Fails after `limit` bytes, like a full disk.
class FailingSink final : public ByteSink {
public:
    explicit FailingSink(size_t limit) : m_limit(limit) {}
    bool write(const void*, size_t n) override
    {
        if (m_written + n > m_limit) {
            m_failed = true;
            return false;
        }
        m_written += n;
        return true;
    }
    bool commit() override { return !m_failed; }
    std::string errorString() const override { return "No space left on device"; }

private:
    size_t m_limit, m_written = 0;
    bool m_failed = false;
};

int runPython(const std::string& manifest, std::string& output)
{
    const std::string cmd = "/usr/bin/python3 " ATTNSCOPE_TEST_FIXTURES "/check_data_export.py '" + manifest + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return -1;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p))
        output += buf;
    const int rc = ::pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

} // namespace

TEST(DataExport, NpyHeaderIsAlignedAndVersioned)
{
    const std::string h = npyHeader("<f4", {3, 4});
    EXPECT_EQ(h.size() % 64, 0u);
    EXPECT_EQ(h.substr(0, 6), "\x93NUMPY");
    EXPECT_EQ(h[6], 1);
    EXPECT_NE(h.find("'shape': (3, 4), "), std::string::npos);
    EXPECT_NE(npyHeader("<f4", {7}).find("(7,)"), std::string::npos);
    EXPECT_NE(npyHeader("<U3", {}).find("'shape': ()"), std::string::npos);
    EXPECT_EQ(npyItemSize("<U3"), 12u);
    EXPECT_EQ(npyItemSize("<f4"), 4u);
    EXPECT_EQ(npyItemSize("bogus"), 0u);
    MemorySink s;
    const float v[2] = {1, 2};
    EXPECT_FALSE(writeNpy(s, {"<f4", {3}, v, 8}));   // byte count does not match the shape
}

TEST(DataExport, Ucs4StringsReplaceInvalidBytes)
{
    std::string descr;
    const auto a = toUcs4Array({"a✓", "\xff", ""}, descr);
    EXPECT_EQ(descr, "<U2");
    ASSERT_EQ(a.size(), 6u);
    EXPECT_EQ(a[0], U'a');
    EXPECT_EQ(a[1], U'✓');
    EXPECT_EQ(a[2], char32_t(0xFFFD));
    EXPECT_EQ(a[3], char32_t(0));
}

TEST(DataExport, GatherStacksHeadsAndLeavesMissingHeadsNaN)
{
    const RunData run = makeRun(true);
    const auto arrays = gatherLayerArrays(run);
    ASSERT_EQ(arrays.size(), 3u);   // probs layer 0, probs layer 1, gate layer 1
    EXPECT_EQ(arrays[1].shape, (std::vector<int64_t>{kHeads, kT, kT}));
    EXPECT_EQ(arrays[1].capturedHeads, (std::vector<int32_t>{0, 1}));
    std::vector<float> row(kT * kT);
    fillLayerArrayRow(arrays[1], 2, row.data());
    EXPECT_TRUE(std::isnan(row[0]));
    EXPECT_EQ(arrays[2].shape, (std::vector<int64_t>{kHeads, kT}));
    EXPECT_EQ(dataArrayName(Quantity::Gate, 1), "gate/layer_1");
}

TEST(DataExport, NumpyAndH5pyReadWhatWeWrote)
{
    ASSERT_TRUE(hdf5Available()) << "built without HDF5 (install libhdf5-dev)";
    test::TempDir dir;
    RunData run = makeRun(true);
    MetricsTable table = buildMetricsTable(run.captures.grid(Quantity::AttentionProbs, kLayers, kHeads), kLayers, kHeads);
    run.metrics = table;

    nlohmann::json manifest;
    manifest["prompt"] = run.info.prompt;
    manifest["model_sha256"] = run.info.modelHash;
    manifest["heads"] = kHeads;
    manifest["token_ids"] = run.tokens.ids;
    manifest["token_text"] = run.tokens.display;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int l = 0; l < kLayers; ++l) {
        std::vector<float> all;
        std::vector<float> lse;
        for (int h = 0; h < kHeads; ++h) {
            const AttentionMapPtr m = run.captures.map(l, h);
            for (int k = 0; k < kT * kT; ++k)
                all.push_back(m ? m->probs[static_cast<size_t>(k)] : nan);
            for (int k = 0; k < kT; ++k)
                lse.push_back(m ? m->lse[static_cast<size_t>(k)] : nan);
        }
        const std::string name = "attention.probs/layer_" + std::to_string(l);
        manifest["arrays"][name] = {{"shape", {kHeads, kT, kT}}, {"raw", writeRaw(dir.path() / ("probs" + std::to_string(l)), all)}};
        manifest["h5_only"][name] = true;
        (void)lse;
    }
    std::vector<float> gate;
    for (int h = 0; h < kHeads; ++h)
        for (float v : run.captures.series(Quantity::Gate, 1, h)->values)
            gate.push_back(v);
    manifest["arrays"]["gate/layer_1"] = {{"shape", {kHeads, kT}}, {"raw", writeRaw(dir.path() / "gate", gate)}};
    manifest["arrays"]["hidden/max_abs"] = {{"shape", {kLayers}}, {"raw", writeRaw(dir.path() / "hidden", {12.5f, 800.25f})}};
    std::vector<float> induction;
    for (int l = 0; l < kLayers; ++l)
        for (int h = 0; h < kHeads; ++h)
            induction.push_back(static_cast<float>(table.value(l, h, HeadMetric::Entropy)));
    manifest["arrays"]["metrics/entropy"] = {{"shape", {kLayers, kHeads}}, {"raw", writeRaw(dir.path() / "entropy", induction)}};

    std::string error;
    MemorySink npz;
    ASSERT_TRUE(writeRunNpz(npz, run, error)) << error;
    manifest["npz"] = writeFile(dir.path() / "run.npz", npz.bytes());
    MemorySink h5;
    ASSERT_TRUE(writeRunHdf5(h5, run, error)) << error;
    manifest["h5"] = writeFile(dir.path() / "run.h5", h5.bytes());
    // One head as .npy (what `attnscope-cli run --attn-out` and the head view's "Save data" write).
    MemorySink npy;
    const AttentionMapPtr m01 = run.captures.map(0, 1);
    ASSERT_TRUE(writeNpyFloat32(npy, m01->probs.data(), {kT, kT}));
    manifest["npy"] = {{"path", writeFile(dir.path() / "head.npy", npy.bytes())}, {"shape", {kT, kT}},
                       {"raw", writeRaw(dir.path() / "head.raw", std::vector<float>(m01->probs.begin(), m01->probs.end()))}};
    // Layer 0's maps as CSV.
    MemorySink csv;
    ASSERT_TRUE(writeMapsCsv(csv, run.captures.layerMaps(Quantity::AttentionProbs, 0, kHeads), run.tokens.display, error)) << error;
    manifest["csv"] = {{"path", writeFile(dir.path() / "layer0.csv", csv.bytes())}, {"array", "attention.probs/layer_0"}};

    const std::string manifestPath = (dir.path() / "manifest.json").string();
    std::ofstream(manifestPath) << manifest.dump(2);
    std::string output;
    const int rc = runPython(manifestPath, output);
    EXPECT_NE(output.find("ok"), std::string::npos) << output;
    EXPECT_EQ(rc, 0) << output << "(needs Debian's python3-numpy and python3-h5py: scripts/install-deps.sh)";
}

TEST(DataExport, CsvQuotesAndRefusesLargeMaps)
{
    EXPECT_EQ(csvField("a,b"), "\"a,b\"");
    EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csvNumber(0.1f), "0.100000001");
    EXPECT_EQ(csvNumber(std::nan("")), "nan");
    auto big = std::make_shared<AttentionMap>();
    big->tokens = 3000;   // 9 M cells
    MemorySink s;
    std::string error;
    EXPECT_FALSE(writeMapsCsv(s, {big}, {}, error));
    EXPECT_NE(error.find("npz"), std::string::npos);
    MetricsTable t;
    t.layers = 1;
    t.heads = 1;
    t.cells = {HeadMetrics::missing()};
    ASSERT_TRUE(writeMetricsCsv(s, t, error));
    const std::string text(s.bytes().begin(), s.bytes().end());
    EXPECT_EQ(text.rfind("layer,head,metric,value\n0,0,sink,nan\n", 0), 0u);
}

TEST(DataExport, FullDiskMakesEveryWriterFailWithAReason)
{
    const RunData run = makeRun(false);
    for (size_t limit : {size_t(0), size_t(100), size_t(1000)}) {
        std::string error;
        FailingSink a(limit);
        EXPECT_FALSE(writeRunNpz(a, run, error));
        EXPECT_NE(error.find("No space left"), std::string::npos) << error;
        error.clear();
        FailingSink b(limit);
        EXPECT_FALSE(writeRunHdf5(b, run, error));
        EXPECT_NE(error.find("No space left"), std::string::npos) << error;
        error.clear();
        FailingSink c(limit);
        EXPECT_FALSE(writeMapsCsv(c, run.captures.layerMaps(Quantity::AttentionProbs, 0, kHeads), run.tokens.display, error));
        EXPECT_NE(error.find("No space left"), std::string::npos) << error;
    }
}
