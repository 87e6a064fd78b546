// attnscope-cli figure / export: headless figures from a session or a model, with no display (a broken
// QT_QPA_PLATFORM and no DISPLAY are ignored), the requested width and dpi, PDFs without JPEG, the data behind
// a figure equal to what `run --attn-out` writes for the same head, sessions' composer layouts and view figures,
// and one-line errors for bad input.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

namespace {

struct Result {
    int exitCode = -1;
    std::string out, err;
};

std::string q(const std::string& s)
{
    std::string r = "'";
    for (char c : s)
        r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

/// Runs the CLI with no display at all and a platform plugin that cannot work without one.
Result cli(const std::string& args)
{
    const auto errFile = std::filesystem::temp_directory_path() / ("attnscope_clifig_err_" + std::to_string(::getpid()));
    const std::string cmd = "env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb " + std::string(ATTNSCOPE_CLI_PATH) + " " +
                            args + " 2>" + errFile.string();
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

std::string slurp(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

class TempFolder {
public:
    TempFolder()
    {
        std::string t = (std::filesystem::temp_directory_path() / "attnscope-clifig-XXXXXX").string();
        path = ::mkdtemp(t.data());
    }
    ~TempFolder() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

uint32_t be32(const std::string& s, size_t o)
{
    return (uint32_t(uint8_t(s[o])) << 24) | (uint32_t(uint8_t(s[o + 1])) << 16) | (uint32_t(uint8_t(s[o + 2])) << 8) | uint8_t(s[o + 3]);
}

const char* kText = "The quick brown fox jumps over the lazy dog. The quick brown fox";

} // namespace

TEST(CliFigure, ExportWritesAPdfAndTheHeadsData)
{
    ATTNSCOPE_REQUIRE_MODEL(model, attnscope::test::kSmolLM2);
    TempFolder dir;
    const auto pdf = dir.path / "head.pdf", npy = dir.path / "head.npy", ref = dir.path / "ref.npy";
    Result r = cli("export " + q(model) + " --text " + q(kText) + " --layer 3 --head 1 --out " + q(pdf.string()) +
                   " --data-out " + q(npy.string()) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.err, "");   // no Qt chatter
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["format"], "pdf");
    EXPECT_EQ(j["width_pt"], 234.0);
    EXPECT_EQ(j["tokens"], 14);
    const std::string bytes = slurp(pdf);
    ASSERT_EQ(bytes.rfind("%PDF-", 0), 0u);
    EXPECT_EQ(bytes.find("DCTDecode"), std::string::npos);
    EXPECT_NE(bytes.find("/MediaBox [0 0 234.000000 " + std::to_string(static_cast<int>(j["height_pt"].get<double>()))),
              std::string::npos);
    // The same head through `run --attn-out`: the figure's data is that map, byte for byte.
    Result rr = cli("run " + q(model) + " --text " + q(kText) + " --attn-out " + q(ref.string()) + " --layer 3 --head 1");
    ASSERT_EQ(rr.exitCode, 0) << rr.err;
    EXPECT_EQ(slurp(npy), slurp(ref));
}

TEST(CliFigure, ExportHonoursWidthAndDpiForPng)
{
    ATTNSCOPE_REQUIRE_MODEL(model, attnscope::test::kSmolLM2);
    TempFolder dir;
    const auto png = dir.path / "head.png";
    Result r = cli("export " + q(model) + " --text " + q(kText) + " --layer 0 --head 0 --out " + q(png.string()) +
                   " --width-in 6.75 --dpi 600 --colormap magma --title 'Layer 0' --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const std::string s = slurp(png);
    ASSERT_GT(s.size(), 33u);
    EXPECT_EQ(be32(s, 16), 4050u);   // 6.75 in × 600 dpi
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(be32(s, 20), static_cast<uint32_t>(std::ceil(j["height_pt"].get<double>() * 600 / 72 - 1e-6)));
    const size_t phys = s.find("pHYs");
    ASSERT_NE(phys, std::string::npos);
    EXPECT_EQ(be32(s, phys + 4), 23622u);   // 600 dpi in pixels per metre
}

TEST(CliFigure, FigureDrawsTheSessionsComposerLayoutOrItsView)
{
    ATTNSCOPE_REQUIRE_MODEL(model, attnscope::test::kSmolLM2);
    TempFolder dir;
    nlohmann::json panel = {{"kind", "head"}, {"layer", 2}, {"head", 0}};
    nlohmann::json panel2 = {{"kind", "head"}, {"layer", 5}, {"head", 0}};
    nlohmann::json composer = {{"rows", 1}, {"cols", 2}, {"panels", {panel, panel2}},
                               {"style", {{"width_pt", 486}, {"dpi", 150}, {"title", "two layers"}}}};
    nlohmann::json session = {{"format", "attnscope-session"}, {"version", 1}, {"model", {{"path", model}, {"hash", ""}}},
                              {"prompt", kText}, {"selection", {{"layer", 4}, {"head", 2}, {"query", 3}, {"key", 1}}},
                              {"view", "token"}, {"figure", {{"source", "composer"}, {"composer", composer}}}};
    const auto file = dir.path / "s.attnscope";
    std::ofstream(file) << session.dump(2);
    Result r = cli("figure " + q(file.string()) + " --out " + q((dir.path / "c.png").string()) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["figure"], "composer layout");
    EXPECT_EQ(j["panels"], 2);
    EXPECT_EQ(j["width_pt"], 486.0);
    EXPECT_EQ(j["dpi"], 150);
    EXPECT_TRUE(j["problems"].empty());
    // --view draws the view the session was saved on (the token view here).
    r = cli("figure " + q(file.string()) + " --view --out " + q((dir.path / "v.svg").string()) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["figure"], "view figure");
    EXPECT_EQ(j["panels"], 1);
    EXPECT_NE(slurp(dir.path / "v.svg").find("Query #3"), std::string::npos);
    // A relative model path is taken from the session's folder.
    std::filesystem::copy_file(model, dir.path / "m.gguf");
    session["model"]["path"] = "m.gguf";
    std::ofstream(file) << session.dump(2);
    r = cli("figure " + q(file.string()) + " --out " + q((dir.path / "r.pdf").string()));
    EXPECT_EQ(r.exitCode, 0) << r.err;
}

/// The .npy's float32 payload (after its 64-byte-aligned header).
std::vector<float> npyFloats(const std::string& bytes, size_t count)
{
    std::vector<float> v(count);
    if (bytes.size() >= count * 4)
        std::memcpy(v.data(), bytes.data() + bytes.size() - count * 4, count * 4);
    return v;
}

TEST(CliFigure, LongRunsDrawPooledFiguresAndStreamTheirData)
{
    // A long run forced at ~560 tokens (automatic past 4,096), against the same head run with maps.
    ATTNSCOPE_REQUIRE_MODEL(model, attnscope::test::kSmolLM2);
    TempFolder dir;
    std::string text;
    while (text.size() < 2600)
        text += "Attention heads look back at earlier tokens; some copy what followed an earlier occurrence. ";
    const auto textFile = dir.path / "t.txt";
    std::ofstream(textFile) << text;
    const auto longPdf = dir.path / "long.pdf", longNpy = dir.path / "long.npy", denseNpy = dir.path / "dense.npy";
    Result r = cli("export " + q(model) + " --text-file " + q(textFile.string()) + " --layer 5 --head 3 --out " +
                   q(longPdf.string()) + " --data-out " + q(longNpy.string()) + " --run-mode long --width-in 1.5 --dpi 150 --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const int64_t t = j["tokens"].get<int64_t>();
    ASSERT_GT(t, 400);
    EXPECT_TRUE(j["problems"].empty()) << j.dump();
    // 108 pt at 150 dpi = 225 pixels: blocks of 4 tokens (a power of two no narrower than t / 225).
    int64_t pool = 1;
    while (pool * 225 < t)
        pool *= 2;
    const int64_t side = (t + pool - 1) / pool;
    EXPECT_EQ(j["cells"].get<int64_t>(), side * side);
    const std::string pdf = slurp(longPdf);
    EXPECT_EQ(pdf.find("DCTDecode"), std::string::npos);
    EXPECT_LT(pdf.size(), 400000u);
    r = cli("export " + q(model) + " --text-file " + q(textFile.string()) + " --layer 5 --head 3 --out " +
            q((dir.path / "dense.pdf").string()) + " --data-out " + q(denseNpy.string()) + " --run-mode maps");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const std::string a = slurp(longNpy), b = slurp(denseNpy);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a.substr(0, a.size() - size_t(t * t * 4)), b.substr(0, b.size() - size_t(t * t * 4)));   // same header
    const std::vector<float> x = npyFloats(a, size_t(t * t)), y = npyFloats(b, size_t(t * t));
    double worst = 0;
    for (size_t k = 0; k < x.size(); ++k)
        worst = std::max(worst, static_cast<double>(std::fabs(x[k] - y[k])));
    EXPECT_LE(worst, 1e-6);

    // A session's figure (a head and the overview) of the same long prompt, headless through the same code.
    nlohmann::json composer = {{"rows", 1}, {"cols", 2},
                               {"panels", {{{"kind", "head"}, {"layer", 5}, {"head", 3}}, {{"kind", "overview"}}}},
                               {"style", {{"width_pt", 486}, {"dpi", 150}}}};
    nlohmann::json session = {{"format", "attnscope-session"}, {"version", 1}, {"model", {{"path", model}, {"hash", ""}}},
                              {"prompt", text}, {"selection", {{"layer", 5}, {"head", 3}}},
                              {"view", "head"}, {"figure", {{"source", "composer"}, {"composer", composer}}}};
    const auto file = dir.path / "s.attnscope";
    std::ofstream(file) << session.dump(2);
    r = cli("figure " + q(file.string()) + " --run-mode long --out " + q((dir.path / "s.png").string()) + " --json");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(nlohmann::json::parse(r.out)["problems"].empty()) << r.out;
    // CSV of a long map over 2,048 tokens is refused with the reason; this one is small enough to write.
    r = cli("export " + q(model) + " --text-file " + q(textFile.string()) + " --layer 5 --head 3 --out " +
            q((dir.path / "c.pdf").string()) + " --data-out " + q((dir.path / "c.csv").string()) + " --run-mode long");
    EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(CliFigure, BadInputGivesOneLine)
{
    TempFolder dir;
    const auto file = dir.path / "s.attnscope";
    std::ofstream(file) << "{not json";
    for (const std::string& args : std::vector<std::string>{"figure " + q(file.string()) + " --out x.pdf", "figure " + q(file.string()) + " --out x.jpg",
                                    "figure " + q(file.string()), "export /nonexistent.gguf --text a --layer 0 --head 0 --out x.gif",
                                    "export /nonexistent.gguf --text a --out x.pdf"}) {
        Result r = cli(args);
        EXPECT_NE(r.exitCode, 0) << args;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
        EXPECT_EQ(r.err.rfind("attnscope-cli: error: ", 0), 0u) << r.err;
    }
}
