// attnscope-cli as a script would use it: JSON keys, .npy output, non-zero exit with one line on bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"
#include "support/gguf_writer.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>

namespace {

struct Result {
    int exitCode = -1;
    std::string out;   // stdout
    std::string err;   // stderr
};

std::string shellQuote(const std::string& s)
{
    std::string r = "'";
    for (char c : s)
        r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

Result runCli(const std::string& args)
{
    const auto errFile = std::filesystem::temp_directory_path() / ("attnscope_cli_err_" + std::to_string(::getpid()));
    const std::string cmd = std::string(ATTNSCOPE_CLI_PATH) + " " + args + " 2>" + errFile.string();
    Result r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(errFile);
    r.err.assign(std::istreambuf_iterator<char>(e), {});
    std::filesystem::remove(errFile);
    return r;
}

std::filesystem::path tempPath(const std::string& name)
{
    return std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name);
}

} // namespace

TEST(Cli, InfoJsonHasArchitectureFields)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    Result r = runCli("info " + shellQuote(path) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["architecture"], "llama");
    EXPECT_EQ(j["n_layers"], 30);
    EXPECT_EQ(j["n_heads"], 9);
    EXPECT_EQ(j["n_kv_heads"], 3);
    EXPECT_EQ(j["head_dim"], 64);
    EXPECT_EQ(j["d_model"], 576);
    EXPECT_EQ(j["vocab_size"], 49152);
    EXPECT_EQ(j["dtypes"]["Q4_1"]["tensors"], 210);
    EXPECT_EQ(j["dtypes"]["Q8_0"]["tensors"], 1);
    EXPECT_EQ(j["dtypes"]["F32"]["tensors"], 61);
    // The backend a run would use: cpu on machines without a usable GPU, with the reason CUDA was skipped when
    // this build has CUDA; cuda on a GPU machine.
    ASSERT_TRUE(j.contains("backend"));
    EXPECT_TRUE(j["backend"] == "cpu" || j["backend"] == "cuda") << j["backend"];
    EXPECT_FALSE(j["backend_description"].get<std::string>().empty());
}

TEST(Cli, InfoNamesTheBackendAndBackendCpuForcesIt)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    Result r = runCli("info " + shellQuote(path) + " --backend cpu --threads 2");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("  backend       cpu: CPU, 2 threads"), std::string::npos) << r.out;
    Result bad = runCli("info " + shellQuote(path) + " --backend tpu");
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("unknown backend 'tpu'"), std::string::npos) << bad.err;
}

TEST(Cli, TokenizeJsonGivesIdsAndTokens)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    Result r = runCli("tokenize " + shellQuote(path) + " --text 'Hello world!' --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j["ids"].is_array());
    EXPECT_EQ(j["ids"].size(), j["tokens"].size());
    EXPECT_EQ(j["ids"], nlohmann::json::parse("[19556, 905, 17]"));   // HF tokenizer: Hello, Ġworld, !
}

TEST(Cli, RunWritesTopKAndOneHeadAsNpy)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    std::ifstream fin(std::string(ATTNSCOPE_TEST_FIXTURES) + "/smollm2_reference.json");
    const auto fx = nlohmann::json::parse(fin);
    const auto& c = fx["cases"][0];
    const auto npy = tempPath("head.npy");
    Result r = runCli("run " + shellQuote(path) + " --text " + shellQuote(c["text"]) +
                      " --top 5 --json --threads 2 --attn-out " + shellQuote(npy.string()) + " --layer 0 --head 4");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["ids"], c["ids"]);
    ASSERT_EQ(j["top"].size(), 5u);
    EXPECT_EQ(j["top"][0]["id"], c["positions"].back()["argmax"]);
    double prev = 2;
    for (const auto& e : j["top"]) {
        EXPECT_LE(e["prob"].get<double>(), prev);
        prev = e["prob"].get<double>();
        EXPECT_TRUE(e["token"].is_string());
    }
    EXPECT_TRUE(j["timings_ms"].contains("forward"));
    EXPECT_EQ(j["backend"], "cpu");   // no GPU on CI machines; on a GPU machine `auto` may pick cuda

    // The .npy: header then T×T little-endian float32, equal to the reference head (layer 0, head 4).
    std::ifstream in(npy, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_GT(bytes.size(), 10u);
    ASSERT_EQ(std::string(bytes.data() + 1, 5), "NUMPY");
    const uint16_t hlen = uint16_t(uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8));
    const std::string header(bytes.data() + 10, hlen);
    const size_t T = c["ids"].size();
    EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos);
    EXPECT_NE(header.find("(" + std::to_string(T) + ", " + std::to_string(T) + ")"), std::string::npos) << header;
    ASSERT_EQ(bytes.size(), 10 + hlen + T * T * 4);
    EXPECT_EQ((10 + hlen) % 64, 0u);
    const float* probs = reinterpret_cast<const float*>(bytes.data() + 10 + hlen);
    const auto& ref = c["heads"][1];   // (0, 4)
    ASSERT_EQ(ref["layer"], 0);
    ASSERT_EQ(ref["head"], 4);
    for (size_t i = 0; i < T; ++i)
        for (size_t k = 0; k < T; ++k)
            ASSERT_NEAR(probs[i * T + k], ref["probs"][i][k].get<double>(), 1e-4);
    std::filesystem::remove(npy);
}

TEST(Cli, BadInputGivesOneLineErrorAndNonZeroExit)
{
    const auto bogus = tempPath("bogus.gguf");
    {
        std::ofstream f(bogus, std::ios::binary);
        f << "GGUF\x03\x00\x00\x00garbage";
    }
    const auto pickle = tempPath("model.bin");
    {
        std::ofstream f(pickle, std::ios::binary);
        f << "PK\x03\x04 not really";
    }
    struct Case {
        std::string args;
        std::string expect;
    } cases[] = {
        {"info " + shellQuote(bogus.string()), bogus.filename().string()},
        {"info /nonexistent/model.gguf", "no such file"},
        {"info " + shellQuote(pickle.string()), "safetensors"},
        {"run", "missing MODEL"},
        {"frobnicate x", "unknown command"},
        {"run x.gguf --top", "needs a value"},
        {"run x.gguf --bogus 1", "unknown option"},
    };
    for (const Case& c : cases) {
        Result r = runCli(c.args);
        EXPECT_NE(r.exitCode, 0) << c.args;
        EXPECT_TRUE(r.out.empty()) << c.args;
        ASSERT_FALSE(r.err.empty()) << c.args;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << ": " << r.err;
        EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << ": " << r.err;
    }
    std::filesystem::remove(bogus);
    std::filesystem::remove(pickle);
}

TEST(Cli, RunRejectsOutOfRangeHead)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    Result r = runCli("run " + shellQuote(path) + " --text hi --attn-out /tmp/x.npy --layer 0 --head 9");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--head must be in 0..8"), std::string::npos) << r.err;
}

TEST(Cli, BenchJsonHasTheDocumentedKeys)
{
    // A tiny HF-written checkpoint keeps this quick; the numbers themselves are benchmarks, not test targets.
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-qwen2";
    Result r = runCli("bench " + shellQuote(tiny) + " --tokens 40 --threads 2 --repeats 2 --skip-peak --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    for (const char* k : {"forward_ms", "forward_with_attention_ms", "first_layer_maps_ms", "threads", "tokens",
                          "peak_rss_mb_without_maps", "peak_rss_mb_with_all_maps", "fma_peak_gflops"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["tokens"], 40);
    EXPECT_EQ(j["threads"], 2);
    EXPECT_GT(j["forward_ms"].get<double>(), 0.0);
    EXPECT_GE(j["forward_with_attention_ms"].get<double>(), 0.0);
    EXPECT_EQ(j["maps_captured"], 2 * 4);
    EXPECT_TRUE(j["backend"] == "cpu" || j["backend"] == "cuda") << j["backend"];
    EXPECT_TRUE(j.contains("backend_description"));
}

namespace {

const nlohmann::json& diffSinkReference()
{
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/reference_diff_sink.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

const nlohmann::json& referenceModel(const std::string& folder)
{
    for (const auto& m : diffSinkReference()["models"])
        if (m["folder"] == folder)
            return m;
    throw std::runtime_error("no reference for " + folder);
}

} // namespace

TEST(Cli, StatsShowsLambdaPerHeadAndTheNegativeShareOfDifferentialHeads)
{
    const auto& m = referenceModel("tiny-diffllama");
    const auto& c = m["cases"][0];
    const std::string dir = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-diffllama";
    Result r = runCli("stats " + shellQuote(dir) + " --text " + shellQuote(c["text"].get<std::string>()) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["layers"].size(), c["lambda"].size());
    for (size_t l = 0; l < j["layers"].size(); ++l) {
        const auto& e = j["layers"][l];
        ASSERT_EQ(e["lambda"].size(), 4u);
        for (size_t h = 0; h < 4; ++h)
            EXPECT_NEAR(e["lambda"][h].get<double>(), c["lambda"][l][h][0].get<double>(), 1e-5);
        // diff_negative_share from the reference's combined maps: Σ max(−D, 0) / Σ |D| over heads and causal cells
        double neg = 0, abs = 0;
        for (const auto& head : c["combined"][l])
            for (size_t i = 0; i < head.size(); ++i)
                for (size_t k = 0; k <= i; ++k) {
                    const double v = head[i][k].get<double>();
                    abs += std::fabs(v);
                    neg += v < 0 ? -v : 0;
                }
        EXPECT_NEAR(e["diff_negative_share"].get<double>(), neg / abs, 1e-5) << "layer " << l;
        EXPECT_TRUE(e.contains("sink_rate"));
        EXPECT_FALSE(e.contains("sink_mass")) << "no learned sinks";
    }
    EXPECT_TRUE(j["sink_rate"].is_number());
    r = runCli("stats " + shellQuote(dir) + " --text " + shellQuote(c["text"].get<std::string>()));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("λ per head"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("sink rate over all heads"), std::string::npos) << r.out;
}

TEST(Cli, StatsShowsTheMassLearnedSinksTakePerLayerAndHead)
{
    const auto& m = referenceModel("tiny-gpt-oss");
    const auto& c = m["cases"][0];
    const std::string dir = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-gpt-oss";
    Result r = runCli("stats " + shellQuote(dir) + " --text " + shellQuote(c["text"].get<std::string>()) +
                      " --sink-threshold 0.05 --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["sink_threshold"], 0.05);
    for (size_t l = 0; l < j["layers"].size(); ++l) {
        const auto& e = j["layers"][l];
        double layerSum = 0;
        size_t n = 0;
        for (size_t h = 0; h < c["sink_probs"][l].size(); ++h) {
            double headSum = 0;
            for (const auto& v : c["sink_probs"][l][h])
                headSum += v.get<double>();
            layerSum += headSum;
            n += c["sink_probs"][l][h].size();
            EXPECT_NEAR(e["sink_mass_per_head"][h].get<double>(), headSum / c["sink_probs"][l][h].size(), 1e-5);
        }
        EXPECT_NEAR(e["sink_mass"].get<double>(), layerSum / double(n), 1e-5) << "layer " << l;
        EXPECT_FALSE(e.contains("lambda"));
        EXPECT_FALSE(e.contains("diff_negative_share"));
        // The layer's sink rate at ε = 0.05 from its per-head α.
        int above = 0;
        for (const auto& a : e["first_token_alpha_per_head"])
            above += a.get<double>() > 0.05 ? 1 : 0;
        EXPECT_NEAR(e["sink_rate"].get<double>(), above / 4.0, 1e-12);
    }
    r = runCli("stats " + shellQuote(dir) + " --text " + shellQuote(c["text"].get<std::string>()));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("sink mass"), std::string::npos) << r.out;
}

TEST(Cli, HeadsRanksEveryHeadByTheChosenScore)
{
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    Result r = runCli("heads " + shellQuote(tiny) + " --text 'a token and a token and a token' --score prev_token "
                      "--threads 2 --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["score"], "prev_token");
    EXPECT_EQ(j["order"], "descending");
    const auto& heads = j["heads"];
    ASSERT_EQ(heads.size(), 2u * 4u);   // tiny-llama: 2 layers × 4 heads
    double prev = 2;
    for (const auto& h : heads) {
        for (const char* k : {"layer", "head", "kv_head", "rank", "scores"})
            EXPECT_TRUE(h.contains(k)) << k;
        for (const char* s : {"sink", "entropy", "distance", "topk", "prev_token", "duplicate", "induction", "self",
                              "distance_nosink", "entropy_nosink"})
            EXPECT_TRUE(h["scores"].contains(s)) << s;
        const double v = h["scores"]["prev_token"].get<double>();
        EXPECT_LE(v, prev);
        prev = v;
    }
    Result asc = runCli("heads " + shellQuote(tiny) + " --text 'a token and a token' --score entropy --ascending "
                        "--top 3 --json");
    ASSERT_EQ(asc.exitCode, 0) << asc.err;
    auto ja = nlohmann::json::parse(asc.out);
    ASSERT_EQ(ja["heads"].size(), 3u);
    EXPECT_LE(ja["heads"][0]["scores"]["entropy"].get<double>(), ja["heads"][2]["scores"]["entropy"].get<double>());

    Result bad = runCli("heads " + shellQuote(tiny) + " --text x --score nonsense");
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("--score must be one of"), std::string::npos) << bad.err;
    Result both = runCli("heads " + shellQuote(tiny) + " --text x --induction-probe");
    EXPECT_EQ(both.exitCode, 2);
}

TEST(Cli, HeadsNormalisedEntropyIsAShareOfTheMaximum)
{
    // H_i / ln(n_i) lies in [0, 1] per row, so its mean does too, while the raw entropy of the same heads
    // reaches above 1 nat on a 9-token prompt whose later rows see up to 9 keys.
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    const std::string cmd = "heads " + shellQuote(tiny) + " --text 'a token and a token and a token' --score entropy --threads 2 --json";
    Result raw = runCli(cmd), norm = runCli(cmd + " --normalised-entropy");
    ASSERT_EQ(raw.exitCode, 0) << raw.err;
    ASSERT_EQ(norm.exitCode, 0) << norm.err;
    const auto jr = nlohmann::json::parse(raw.out), jn = nlohmann::json::parse(norm.out);
    ASSERT_EQ(jr["heads"].size(), jn["heads"].size());
    double rawMax = 0;
    for (const auto& h : jn["heads"]) {
        const double v = h["scores"]["entropy"].get<double>();
        EXPECT_GE(v, 0.0);
        EXPECT_LE(v, 1.0 + 1e-12);
    }
    for (const auto& h : jr["heads"])
        rawMax = std::max(rawMax, h["scores"]["entropy"].get<double>());
    EXPECT_GT(rawMax, 1.0);
}

TEST(Cli, HeadsStreamedByTheKernelEqualTheScoresOfTheWholeMaps)
{
    // --streamed scores each row inside the attention kernel and never forms a map (the path prompts above
    // 4,096 tokens take); every score of every head must equal the one computed from the stored map.
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    const std::string cmd = "heads " + shellQuote(tiny) + " --text 'a token and a token and a token' --threads 2 --json";
    Result maps = runCli(cmd), streamed = runCli(cmd + " --streamed");
    ASSERT_EQ(maps.exitCode, 0) << maps.err;
    ASSERT_EQ(streamed.exitCode, 0) << streamed.err;
    const auto jm = nlohmann::json::parse(maps.out), js = nlohmann::json::parse(streamed.out);
    EXPECT_FALSE(jm["streamed"].get<bool>());
    EXPECT_TRUE(js["streamed"].get<bool>());
    ASSERT_EQ(jm["heads"].size(), js["heads"].size());
    ASSERT_GT(jm["heads"].size(), 0u);
    std::map<std::pair<int, int>, nlohmann::json> byHead;
    for (const auto& h : jm["heads"])
        byHead[{h["layer"].get<int>(), h["head"].get<int>()}] = h["scores"];
    int compared = 0;
    for (const auto& h : js["heads"]) {
        const auto& want = byHead.at({h["layer"].get<int>(), h["head"].get<int>()});
        for (const auto& [name, v] : h["scores"].items()) {
            ASSERT_EQ(v.is_null(), want[name].is_null()) << name;
            if (v.is_null())
                continue;
            EXPECT_NEAR(v.get<double>(), want[name].get<double>(), 1e-5 * std::max(1.0, std::fabs(want[name].get<double>())))
                << name << " L" << h["layer"] << "H" << h["head"];
            ++compared;
        }
    }
    EXPECT_GE(compared, static_cast<int>(js["heads"].size()) * 4);
    Result both = runCli(cmd + " --streamed --normalised-entropy");
    EXPECT_NE(both.exitCode, 0);
    EXPECT_NE(both.err.find("--normalised-entropy"), std::string::npos) << both.err;
}

TEST(Cli, CompareAsALongPromptFormsNoMapsAndKeepsTheNumbers)
{
    // --run-mode long is what a prompt over 4,096 tokens gets: perplexity, KL and top-1 need only logits, the mass
    // outside a mask pattern comes from the baseline's exact tiles, and a top-k variant (whole rows) reports null.
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    const std::string cmd = "compare " + shellQuote(tiny) + " --text 'a token and a token and a token and more tokens' "
                            "--variant sliding:window=3 --variant topk:k=2 --threads 2 --json";
    Result maps = runCli(cmd + " --run-mode maps"), lng = runCli(cmd + " --run-mode long");
    ASSERT_EQ(maps.exitCode, 0) << maps.err;
    ASSERT_EQ(lng.exitCode, 0) << lng.err;
    const auto jm = nlohmann::json::parse(maps.out), jl = nlohmann::json::parse(lng.out);
    EXPECT_FALSE(jm["long_prompt"].get<bool>());
    EXPECT_TRUE(jl["long_prompt"].get<bool>());
    EXPECT_DOUBLE_EQ(jm["baseline"]["ppl"].get<double>(), jl["baseline"]["ppl"].get<double>());
    ASSERT_EQ(jm["variants"].size(), 2u);
    ASSERT_EQ(jl["variants"].size(), 2u);
    for (int v = 0; v < 2; ++v) {
        EXPECT_DOUBLE_EQ(jm["variants"][v]["ppl"].get<double>(), jl["variants"][v]["ppl"].get<double>());
        EXPECT_DOUBLE_EQ(jm["variants"][v]["kl_mean"].get<double>(), jl["variants"][v]["kl_mean"].get<double>());
    }
    const double slidingMaps = jm["variants"][0]["mass_outside_mask"].get<double>();
    EXPECT_GT(slidingMaps, 0.01);   // a 3-key window drops real mass on a 13-token prompt
    EXPECT_NEAR(jl["variants"][0]["mass_outside_mask"].get<double>(), slidingMaps, 1e-6);
    EXPECT_TRUE(jm["variants"][1]["mass_outside_mask"].is_number());
    EXPECT_TRUE(jl["variants"][1]["mass_outside_mask"].is_null());
    Result bad = runCli(cmd + " --run-mode sometimes");
    EXPECT_NE(bad.exitCode, 0);
    EXPECT_NE(bad.err.find("--run-mode"), std::string::npos) << bad.err;
}

TEST(Cli, HeadsInductionProbeOnSmolLM2)
{
    ATTNSCOPE_REQUIRE_MODEL(path, attnscope::test::kSmolLM2);
    Result r = runCli("heads " + shellQuote(path) + " --induction-probe --top 5 --threads 2 --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["score"], "induction");
    EXPECT_EQ(j["input"], "induction-probe");
    EXPECT_EQ(j["tokens"], 100);   // 50 random words twice; SmolLM2 adds no BOS
    ASSERT_EQ(j["heads"].size(), 5u);
    EXPECT_GE(j["heads"][0]["scores"]["induction"].get<double>(), 0.3);
}

TEST(Cli, StatsUnderASinkVariantReportsTheMassTheVirtualSinkTook)
{
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    Result base = runCli("stats " + shellQuote(tiny) + " --text 'a token and a token and a token' --threads 2 --json");
    Result sink = runCli("stats " + shellQuote(tiny) + " --text 'a token and a token and a token' --threads 2 "
                         "--variant sink:logit=0 --json");
    ASSERT_EQ(base.exitCode, 0) << base.err;
    ASSERT_EQ(sink.exitCode, 0) << sink.err;
    const auto b = nlohmann::json::parse(base.out), s = nlohmann::json::parse(sink.out);
    EXPECT_FALSE(b.contains("variant"));
    EXPECT_EQ(s["variant"], "sink");
    for (size_t l = 0; l < s["layers"].size(); ++l) {
        EXPECT_FALSE(b["layers"][l].contains("sink_mass")) << "no sink column in the baseline";
        const double m = s["layers"][l]["sink_mass"].get<double>();
        EXPECT_GT(m, 0.0);
        EXPECT_LT(m, 1.0);
    }
    Result bad = runCli("stats " + shellQuote(tiny) + " --text x --variant 'sink:nonsense=1'");
    EXPECT_EQ(bad.exitCode, 2) << bad.out;
}

// Hostile files as a terminal user meets them (docs/SECURITY.md): nothing from the file reaches the terminal as
// a control sequence, JSON output stays valid, a named pipe is refused at once, error lines stay short.
TEST(Cli, HostileMetadataNeverReachesTheTerminalRaw)
{
    attnscope::test::GgufBuilder g;
    g.str("general.architecture", "llama\x1b]0;pwned\x07").str("general.name", "\x1b[2J\x1b[31mname\xC2\x9B\xE2\x80\xAE\xFF");
    const auto bytes = g.build();
    const auto file = tempPath("escape.gguf");
    {
        std::ofstream f(file, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    Result plain = runCli("info " + shellQuote(file.string()));
    EXPECT_EQ(plain.exitCode, 0) << plain.err;
    for (const std::string& text : {plain.out, plain.err}) {
        EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
        EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
        EXPECT_EQ(text.find("\xC2\x9B"), std::string::npos) << text;
        EXPECT_EQ(text.find("\xE2\x80\xAE"), std::string::npos) << text;
    }
    EXPECT_NE(plain.out.find("\\x1b[2J\\x1b[31mname\\u{009B}\\u{202E}\\xff"), std::string::npos) << plain.out;

    Result json = runCli("info " + shellQuote(file.string()) + " --json");
    ASSERT_EQ(json.exitCode, 0) << json.err;
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(json.out)) << json.out;
    EXPECT_EQ(j["escaped_fields"], nlohmann::json::parse(R"(["/name"])"));
    for (const char* raw : {"\x1b", "\x07", "\xC2\x9B", "\xE2\x80\xAE"})
        EXPECT_EQ(json.out.find(raw), std::string::npos) << json.out;
    EXPECT_EQ(j["name"], "\x1b[2J\x1b[31mname\xC2\x9B\xE2\x80\xAE\\xFF");   // the same value, escaped in the text
    std::filesystem::remove(file);
}

TEST(Cli, NamedPipeIsRefusedAtOnceAndLongValuesAreShortened)
{
    const auto fifo = tempPath("pipe.gguf");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Result r = runCli("info " + shellQuote(fifo.string()));   // a blocking open would hang here (ctest TIMEOUT)
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("is a named pipe (FIFO), not a regular file"), std::string::npos) << r.err;
    // The prompt file too: a pipe would block, /dev/zero would be read until memory ran out.
    const std::string tiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama";
    r = runCli("tokenize " + shellQuote(tiny) + " --text-file " + shellQuote(fifo.string()));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("is a named pipe"), std::string::npos) << r.err;
    r = runCli("tokenize " + shellQuote(tiny) + " --text-file /dev/zero");
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("/dev/zero: is a character device"), std::string::npos) << r.err;
    std::filesystem::remove(fifo);

    attnscope::test::GgufBuilder g;
    g.str("general.architecture", std::string(100000, 'a'));
    const auto bytes = g.build();
    const auto file = tempPath("longarch.gguf");
    {
        std::ofstream f(file, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    r = runCli("tokenize " + shellQuote(file.string()) + " --text hi");
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_LT(r.err.size(), 4096u) << r.err.size();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
    EXPECT_EQ(r.err.find("json.exception"), std::string::npos) << r.err;
    std::filesystem::remove(file);
}

TEST(Cli, InfoShowsWhereAHuggingFaceCacheSnapshotsFilesAre)
{
    namespace fs = std::filesystem;
    const fs::path root = tempPath("hfcache");
    const fs::path snapshot = root / "models--attnscope--tiny-llama" / "snapshots" / "abc123";
    fs::create_directories(root / "models--attnscope--tiny-llama" / "blobs");
    fs::create_directories(snapshot);
    int n = 0;
    for (const auto& e : fs::directory_iterator(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-llama")) {
        const std::string blob = "blob" + std::to_string(++n);
        fs::copy_file(e.path(), root / "models--attnscope--tiny-llama" / "blobs" / blob);
        fs::create_symlink(fs::path("..") / ".." / "blobs" / blob, snapshot / e.path().filename());
    }
    Result r = runCli("info " + shellQuote(snapshot.string()));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("architecture  llama"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("model.safetensors -> "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/blobs/blob"), std::string::npos) << r.out;
    Result j = runCli("info " + shellQuote(snapshot.string()) + " --json");
    ASSERT_EQ(j.exitCode, 0) << j.err;
    const auto info = nlohmann::json::parse(j.out);
    EXPECT_EQ(info["files"][0]["resolved_path"], fs::canonical(snapshot / "model.safetensors").string());
    fs::remove_all(root);
}

TEST(Cli, StatsJsonHasGateStatisticsAndMarksLinearAttentionLayers)
{
    const std::string model = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-qwen3-next";
    Result r = runCli("stats " + shellQuote(model) + " --text 'Gates close where heads attend to the first token.' --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["layers"].size(), 4u);
    for (int l = 0; l < 4; ++l) {
        const auto& e = j["layers"][l];
        const bool softmax = l % 2 == 1;   // layer_types: linear, full, linear, full
        EXPECT_EQ(e["softmax_map"], softmax) << l;
        if (!softmax) {
            EXPECT_TRUE(e["first_token_share"].is_null()) << "a Gated DeltaNet layer has no map to score";
            EXPECT_FALSE(e.contains("gate_mean"));
            continue;
        }
        EXPECT_GT(e["gate_mean"].get<double>(), 0.0);
        EXPECT_LT(e["gate_mean"].get<double>(), 1.0);
        for (const char* t : {"0.5", "0.1", "0.01"})
            EXPECT_TRUE(e["gate_frac_below"].contains(t)) << t;
        EXPECT_LT(e["attn_out_norm_after_gate"].get<double>(), e["attn_out_norm_before_gate"].get<double>());
        EXPECT_TRUE(e["first_token_share"].is_number());
    }
    EXPECT_TRUE(j["means"].contains("gate_mean"));
}
