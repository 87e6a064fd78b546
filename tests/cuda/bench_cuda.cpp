// GPU benchmarks (docs/CUDA.md "Benchmarks"; a benchmark, not a test: ctest does not run it, scripts/gpu-check.sh
// does). Method as docs/PERFORMANCE.md states it: warm-up runs first, medians of timed runs with min and max,
// CUDA events on the measured stream, same-run ceilings (a bf16 GEMM and a device-to-device copy), and a
// correctness check against an fp64 reference on sampled rows before any timing.
//
//   bench_cuda [--repeats R] [--quick] [--attention] [--ceilings]
//              [--tokens N] [--cpu-repeats C] [--no-maps-only] [--streamed] [--model PATH]...
// --tokens, --cpu-repeats, --no-maps-only and --streamed apply to the --model options after them. A model run is
// timed without captures and with every map, or with --streamed with the long-prompt statistics of every head
// (scores, pooled maps, row normalisers; docs/LONG-CONTEXT.md) instead of maps. Prints one JSON object on
// stdout (a human summary goes to stderr); exits 0 with {"skipped": reason} where no GPU works.
//
// Attention: heads·batch folded into heads (the kernels have no batch dimension; the work is the same), shapes of
// the FlashAttention-3 paper's set-up (batch·sequence = 16k, heads·d = 2048): n = 4096 with 64 heads of d = 128
// and 128 heads of d = 64, causal and not; n = 16384 with 16 heads of d = 128. Counted FLOPs 4·n²·d per head
// (halved when causal); the two-pass kernel really does 6·n²·d.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/capture/quantity.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/attention_tc.cuh"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/mask_math.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace attnscope;
using nlohmann::json;

namespace {

struct Stats {
    double median = 0, min = 0, max = 0;
    int runs = 0;
};

Stats stats(std::vector<double> v)
{
    Stats s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    s.runs = static_cast<int>(v.size());
    s.min = v.front();
    s.max = v.back();
    s.median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
    return s;
}

json toJson(const Stats& s)
{
    return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"runs", s.runs}};
}

#define CHECK_CUDA(x)                                                                                                \
    do {                                                                                                             \
        cudaError_t e_ = (x);                                                                                        \
        if (e_ != cudaSuccess)                                                                                       \
            throw std::runtime_error(std::string(#x) + ": " + cudaGetErrorString(e_));                               \
    } while (0)

/// Device memory freed on scope exit.
struct Dev {
    void* p = nullptr;
    size_t bytes = 0;
    explicit Dev(size_t n) : bytes(n) { CHECK_CUDA(cudaMalloc(&p, std::max<size_t>(n, 256))); }
    ~Dev() { cudaFree(p); }
    Dev(const Dev&) = delete;
    Dev& operator=(const Dev&) = delete;
    template <typename T>
    T* as() const { return static_cast<T*>(p); }
};

/// Times `body` with CUDA events on the default stream: `warm` untimed runs, then `reps` timed ones (ms).
Stats timeEvents(int warm, int reps, const std::function<void()>& body)
{
    cudaEvent_t a, b;
    CHECK_CUDA(cudaEventCreate(&a));
    CHECK_CUDA(cudaEventCreate(&b));
    for (int i = 0; i < warm; ++i)
        body();
    CHECK_CUDA(cudaDeviceSynchronize());
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        CHECK_CUDA(cudaEventRecord(a));
        body();
        CHECK_CUDA(cudaEventRecord(b));
        CHECK_CUDA(cudaEventSynchronize(b));
        float ms = 0;
        CHECK_CUDA(cudaEventElapsedTime(&ms, a, b));
        t.push_back(ms);
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return stats(t);
}

/// Uniform values in [-r, r) from a xorshift generator (fast enough for 10⁸ values).
std::vector<float> randomUniform(size_t n, uint64_t seed, float r)
{
    std::vector<float> v(n);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (float& f : v) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f = (float((x >> 40) & 0xFFFFFF) / float(1 << 24) * 2.f - 1.f) * r;
    }
    return v;
}

/// A 16-bit device copy of host floats, and those values rounded back to fp32 on the host.
void upload16(const std::vector<float>& host, cuda::DType t, Dev& dst, std::vector<float>* rounded)
{
    Dev f(host.size() * 4);
    CHECK_CUDA(cudaMemcpy(f.p, host.data(), host.size() * 4, cudaMemcpyHostToDevice));
    cuda::ConvertParams c{int64_t(host.size()), cuda::DType::F32, t, f.p, dst.p};
    if (!cuda::ConvertOp::run(c, nullptr, nullptr).ok())
        throw std::runtime_error("convert failed");
    if (rounded) {
        cuda::ConvertParams back{int64_t(host.size()), t, cuda::DType::F32, dst.p, f.p};
        if (!cuda::ConvertOp::run(back, nullptr, nullptr).ok())
            throw std::runtime_error("convert failed");
        rounded->resize(host.size());
        CHECK_CUDA(cudaMemcpy(rounded->data(), f.p, host.size() * 4, cudaMemcpyDeviceToHost));
    }
}

json ceilings(int reps)
{
    json j;
    {   // bf16 GEMM 8192³ through the op the backend uses (cuBLASLt, fp32 accumulation, fp32 C)
        const int64_t n = 8192;
        Dev a(size_t(n * n) * 2), b(size_t(n * n) * 2), c(size_t(n * n) * 4), ws(cuda::gemmWorkspaceBytes(0));
        CHECK_CUDA(cudaMemset(a.p, 0x3c, a.bytes));   // bf16 ≈ 0.0115 everywhere: no denormals, no overflow
        CHECK_CUDA(cudaMemset(b.p, 0x3c, b.bytes));
        cublasLtHandle_t lt;
        cublasHandle_t blas;
        cublasLtCreate(&lt);
        cublasCreate(&blas);
        cuda::GemmPlanCache cache;
        cuda::GemmParams p;
        p.m = p.n = p.k = n; p.dtype = cuda::DType::BF16;
        p.a = a.p; p.lda = n; p.b = b.p; p.ldb = n; p.c = c.as<float>(); p.ldc = n;
        const cuda::GemmContext ctx{lt, blas, ws.p, ws.bytes, &cache};
        const Stats s = timeEvents(3, reps, [&] {
            if (!cuda::GemmOp::run(p, ctx, nullptr).ok())
                throw std::runtime_error("gemm failed");
        });
        j["bf16_gemm_8192_tflops"] = 2.0 * n * n * n / (s.median * 1e-3) / 1e12;
        j["bf16_gemm_8192_ms"] = toJson(s);
        cublasDestroy(blas);
        cublasLtDestroy(lt);
    }
    {   // device-to-device copy, bytes read + written
        const size_t bytes = size_t(1) << 31;
        Dev src(bytes), dst(bytes);
        CHECK_CUDA(cudaMemset(src.p, 1, bytes));
        const Stats s = timeEvents(2, reps, [&] { CHECK_CUDA(cudaMemcpyAsync(dst.p, src.p, bytes, cudaMemcpyDeviceToDevice)); });
        j["d2d_copy_gb_per_s"] = 2.0 * double(bytes) / (s.median * 1e-3) / 1e9;
    }
    return j;
}

struct AttnShape {
    int64_t n, heads, d;
    bool causal;
};

/// fp64 reference of sampled rows of head 0 (inputs: the rounded fp32 values) against the kernel's P and O.
json checkRows(const AttnShape& s, const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
               const std::vector<float>& pRows, const std::vector<int64_t>& rows, const std::vector<float>& oRows)
{
    const int64_t n = s.n, d = s.d, ld = s.heads * d;
    const double scale = 1.0 / std::sqrt(double(d));
    double worstP = 0, worstO = 0;
    std::vector<double> sc(static_cast<size_t>(n));
    for (size_t r = 0; r < rows.size(); ++r) {
        const int64_t i = rows[r], last = s.causal ? i + 1 : n;
        double m = -INFINITY;
        for (int64_t j = 0; j < last; ++j) {
            double acc = 0;
            for (int64_t c = 0; c < d; ++c)
                acc += double(q[size_t(i * ld + c)]) * double(k[size_t(j * ld + c)]);
            sc[size_t(j)] = acc * scale;
            m = std::max(m, sc[size_t(j)]);
        }
        double z = 0;
        for (int64_t j = 0; j < last; ++j)
            z += std::exp(sc[size_t(j)] - m);
        std::vector<double> o(static_cast<size_t>(d), 0.0);
        for (int64_t j = 0; j < n; ++j) {
            const double p = j < last ? std::exp(sc[size_t(j)] - m) / z : 0.0;
            worstP = std::max(worstP, std::fabs(p - double(pRows[r * size_t(n) + size_t(j)])));
            for (int64_t c = 0; c < d && j < last; ++c)
                o[size_t(c)] += p * double(v[size_t(j * ld + c)]);
        }
        for (int64_t c = 0; c < d; ++c)
            worstO = std::max(worstO, std::fabs(o[size_t(c)] - double(oRows[r * size_t(d) + size_t(c)])));
    }
    return {{"rows_checked", rows.size()}, {"max_abs_dp", worstP}, {"max_abs_do", worstO}, {"ok", worstP <= 2e-3 && worstO <= 2e-2}};
}

json attentionCase(const AttnShape& s, int reps, int smMajor)
{
    const int64_t n = s.n, H = s.heads, d = s.d;
    const size_t elems = size_t(n * H * d);
    json j = {{"n", n}, {"heads", H}, {"d", d}, {"causal", s.causal}, {"dtype", "bf16"}};
    const cuda::DType t = smMajor >= 8 ? cuda::DType::BF16 : cuda::DType::F16;
    if (t != cuda::DType::BF16)
        j["dtype"] = "fp16 (bf16 needs sm_80)";
    Dev q16(elems * 2), k16(elems * 2), v16(elems * 2), out(elems * 4), ws(2 * size_t(H * n) * 4);
    std::vector<float> qr, kr, vr;
    upload16(randomUniform(elems, 1, 2.f), t, q16, &qr);
    upload16(randomUniform(elems, 2, 2.f), t, k16, &kr);
    upload16(randomUniform(elems, 3, 1.f), t, v16, &vr);
    cuda::AttentionParams p;
    p.tokens = n; p.heads = H; p.kvHeads = H; p.headDim = d; p.scale = 1.f / std::sqrt(float(d)); p.dtype = t;
    p.mask.kind = s.causal ? cuda::MaskKind::Causal : cuda::MaskKind::Bidirectional;
    p.mask.requireCausal = s.causal ? 1 : 0;
    p.q = q16.p; p.ldq = H * d; p.headStrideQ = d;
    p.k = k16.p; p.ldk = H * d; p.headStrideK = d;
    p.v = v16.p; p.ldv = H * d; p.headStrideV = d;
    p.out = out.as<float>(); p.ldo = H * d; p.headStrideO = d;
    p.rowNorm = ws.as<float>();
    const double counted = 4.0 * double(n) * double(n) * double(d) * double(H) * (s.causal ? 0.5 : 1.0);
    auto tflops = [&](const Stats& st) { return counted / (st.median * 1e-3) / 1e12; };

    for (cuda::DType pt : {t, cuda::DType::F32}) {
        const size_t pBytes = pt == cuda::DType::F32 ? 4 : 2;
        const std::string label = pt == cuda::DType::F32 ? "tc_fp32_probs" : "tc_16bit_probs";
        std::unique_ptr<Dev> probs;
        try {
            probs = std::make_unique<Dev>(size_t(H) * size_t(n) * size_t(n) * pBytes);
        } catch (const std::exception& e) {
            j[label] = {{"skipped", std::string("cannot allocate every head's map: ") + e.what()}};
            continue;
        }
        cuda::AttentionTcCapture cap;
        for (int64_t h = 0; h < H; ++h)
            cap.probs.push_back(static_cast<char*>(probs->p) + size_t(h) * size_t(n) * size_t(n) * pBytes);
        const cuda::Result can = cuda::AttentionTcOp::canImplement(p, pt, smMajor);
        if (!can.ok())
            throw std::runtime_error(can.message);
        auto run = [&] {
            if (!cuda::AttentionTcOp::run(p, pt, cap, 0, {}, nullptr).ok())
                throw std::runtime_error("attention failed");
        };
        run();
        CHECK_CUDA(cudaDeviceSynchronize());
        if (pt == cuda::DType::F32) {   // correctness before timing: sampled rows of head 0
            const std::vector<int64_t> rows = {0, 1, n / 3, n / 2, n - 2, n - 1};
            std::vector<float> pRows(rows.size() * size_t(n)), oRows(rows.size() * size_t(d));
            for (size_t r = 0; r < rows.size(); ++r) {
                CHECK_CUDA(cudaMemcpy(pRows.data() + r * size_t(n), static_cast<float*>(probs->p) + size_t(rows[r]) * size_t(n),
                                      size_t(n) * 4, cudaMemcpyDeviceToHost));
                CHECK_CUDA(cudaMemcpy(oRows.data() + r * size_t(d), out.as<float>() + size_t(rows[r]) * size_t(H * d),
                                      size_t(d) * 4, cudaMemcpyDeviceToHost));
            }
            j["check"] = checkRows(s, qr, kr, vr, pRows, rows, oRows);
        }
        const Stats st = timeEvents(2, reps, run);
        j[label] = {{"ms", toJson(st)}, {"tflops_counted", tflops(st)}, {"tflops_real", tflops(st) * 1.5},
                    {"probs_gb_per_s", double(H) * n * n * pBytes * (s.causal ? 0.5 : 1.0) / (st.median * 1e-3) / 1e9}};
    }
    {   // the same without writing probabilities: what the P write costs
        const Stats st = timeEvents(2, reps, [&] {
            if (!cuda::AttentionTcOp::run(p, t, {}, 0, {}, nullptr).ok())
                throw std::runtime_error("attention failed");
        });
        j["tc_no_probs"] = {{"ms", toJson(st)}, {"tflops_counted", tflops(st)}};
    }
    return j;
}

json attentionFp32Case(int reps)
{
    // The forward's fp32 kernel (CUDA cores) writing every head's map: SmolLM2's shape at 4096 tokens.
    const int64_t n = 4096, H = 9, Hkv = 3, d = 64;
    Dev q(size_t(n * H * d) * 4), k(size_t(n * Hkv * d) * 4), v(size_t(n * Hkv * d) * 4), out(size_t(n * H * d) * 4),
        ws(2 * size_t(H * n) * 4), probs(size_t(H) * n * n * 4);
    const auto hq = randomUniform(size_t(n * H * d), 4, 2.f), hk = randomUniform(size_t(n * Hkv * d), 5, 2.f);
    CHECK_CUDA(cudaMemcpy(q.p, hq.data(), q.bytes, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(k.p, hk.data(), k.bytes, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(v.p, hk.data(), v.bytes, cudaMemcpyHostToDevice));
    cuda::AttentionParams p;
    p.tokens = n; p.heads = H; p.kvHeads = Hkv; p.headDim = d; p.scale = 0.125f;
    p.q = q.p; p.ldq = H * d; p.headStrideQ = d;
    p.k = k.p; p.ldk = Hkv * d; p.headStrideK = d;
    p.v = v.p; p.ldv = Hkv * d; p.headStrideV = d;
    p.out = out.as<float>(); p.ldo = H * d; p.headStrideO = d;
    p.rowNorm = ws.as<float>();
    cuda::AttentionCapture cap;
    for (int64_t h = 0; h < H; ++h)
        cap.probs.push_back(probs.as<float>() + size_t(h) * n * n);
    const cuda::AttentionTiles tiles = cuda::chooseAttentionTiles(n, d, H, 0);
    const Stats st = timeEvents(2, reps, [&] {
        if (!cuda::AttentionOp::run(p, tiles, cap, {}, nullptr).ok())
            throw std::runtime_error("attention failed");
    });
    const double counted = 4.0 * n * n * d * H * 0.5;
    return {{"n", n}, {"heads", H}, {"kv_heads", Hkv}, {"d", d}, {"causal", true}, {"dtype", "fp32"},
            {"ms", toJson(st)}, {"tflops_counted", counted / (st.median * 1e-3) / 1e12}};
}

const char* kText =
    "Attention is a mechanism that lets every token look at every earlier token and decide how much of each to take "
    "in. Researchers study which heads attend to the first token, which track syntax, and which copy earlier "
    "patterns. In 2023, the paper on attention sinks showed that keeping four initial tokens restores perplexity "
    "under a sliding window; gated attention later removed the sink altogether.\n";

/// What a model run captures besides the last logits.
enum class Capture { None, AllMaps, Streamed };

json modelCase(const std::string& path, int64_t tokens, int reps, int cpuReps, bool noMapsOnly, bool streamed)
{
    auto model = LoadedModel::open(path);
    std::vector<int32_t> ids;
    while (int64_t(ids.size()) < tokens) {
        const TokenizedText t = model->tokenizer().encode(kText, ids.empty());
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
    }
    ids.resize(size_t(tokens));
    const ModelConfig& cfg = model->config();
    json j = {{"model", path}, {"tokens", tokens}, {"layers", cfg.nLayers}, {"heads", cfg.nHeads}};
    const Capture kind = streamed ? Capture::Streamed : Capture::AllMaps;
    auto timeRuns = [&](Backend& be, WeightStore& store, bool maps, int n, bool timed) {
        std::vector<double> t;
        for (int r = 0; r < n; ++r) {
            CaptureSpec spec;
            spec.heads = maps ? CaptureSpec::Heads::All : CaptureSpec::Heads::None;
            spec.logits = CaptureSpec::Logits::Last;
            if (maps && kind == Capture::Streamed)   // docs/LONG-CONTEXT.md: statistics streamed, no map stored
                spec.quantities = {Quantity::RowLogSumExp, Quantity::HeadScores, Quantity::CoarseMax, Quantity::CoarseMean};
            CollectingObserver obs(spec);
            ForwardOptions fo;
            fo.opTimings = false;
            const auto t0 = std::chrono::steady_clock::now();
            runForward(*model, be, ids, obs, fo, &store);
            if (timed)
                t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        return stats(t);
    };
    std::string reason;
    auto factory = cuda::makeCudaBackendFactory();
    if (!factory->probe(reason))
        throw std::runtime_error("no CUDA device: " + reason);
    auto gpu = factory->create();
    Stats cudaNoMaps, cudaMaps, cpuNoMaps, cpuMaps;
    {
        WeightStore store(*model, *gpu);
        timeRuns(*gpu, store, false, 1, false);   // warm-up: converts and uploads the weights
        cudaNoMaps = timeRuns(*gpu, store, false, reps, true);
        if (!noMapsOnly) {
            timeRuns(*gpu, store, true, 1, false);
            cudaMaps = timeRuns(*gpu, store, true, std::max(3, reps / 2), true);
        }
    }
    j["capture"] = noMapsOnly ? "none" : (streamed ? "streamed statistics of every head (scores, pooled maps, row normalisers)" : "every map");
    j["cuda"] = {{"backend", gpu->description()}, {"forward_ms", toJson(cudaNoMaps)}};
    if (!noMapsOnly)
        j["cuda"][streamed ? "forward_streamed_ms" : "forward_all_maps_ms"] = toJson(cudaMaps);
    if (cpuReps > 0) {
        cpu::CpuBackend cpuBe(0);
        WeightStore store(*model, cpuBe);
        timeRuns(cpuBe, store, false, 1, false);
        cpuNoMaps = timeRuns(cpuBe, store, false, cpuReps, true);
        j["cpu"] = {{"backend", cpuBe.description()}, {"forward_ms", toJson(cpuNoMaps)}};
        if (!noMapsOnly) {
            cpuMaps = timeRuns(cpuBe, store, true, cpuReps, true);
            j["cpu"][streamed ? "forward_streamed_ms" : "forward_all_maps_ms"] = toJson(cpuMaps);
            j[streamed ? "speedup_streamed_cuda_vs_cpu" : "speedup_all_maps_cuda_vs_cpu"] = cpuMaps.median / cudaMaps.median;
        }
        j["speedup_cuda_vs_cpu"] = cpuNoMaps.median / cudaNoMaps.median;
    } else {
        j["cpu"] = {{"skipped", "not run (too long for the benchmark's time budget at this length)"}};
    }
    return j;
}

} // namespace

int main(int argc, char** argv)
{
    int reps = 10, cpuReps = 3;
    int64_t tokens = 4096;
    bool quick = false, doAttention = false, doCeilings = false, noMapsOnly = false, streamed = false;
    std::vector<std::pair<std::string, std::tuple<int64_t, int, bool, bool>>> models;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--repeats") reps = std::stoi(next());
        else if (a == "--quick") quick = true;
        else if (a == "--attention") doAttention = true;
        else if (a == "--ceilings") doCeilings = true;
        else if (a == "--tokens") tokens = std::stoll(next());
        else if (a == "--cpu-repeats") cpuReps = std::stoi(next());
        else if (a == "--no-maps-only") noMapsOnly = true;
        else if (a == "--streamed") streamed = true;
        else if (a == "--model") models.push_back({next(), {tokens, cpuReps, noMapsOnly, streamed}});
        else {
            std::fprintf(stderr, "bench_cuda: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    json out;
    try {
        std::string reason;
        if (!cuda::makeCudaBackendFactory()->probe(reason)) {
            out["skipped"] = "no usable CUDA device: " + reason;
            std::printf("%s\n", out.dump(2).c_str());
            return 0;
        }
        cudaDeviceProp prop{};
        CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
        int driver = 0, runtime = 0;
        cudaDriverGetVersion(&driver);
        cudaRuntimeGetVersion(&runtime);
        out["device"] = {{"name", prop.name}, {"sm", std::to_string(prop.major) + std::to_string(prop.minor)},
                         {"memory_gib", double(prop.totalGlobalMem) / double(1 << 30)}, {"sms", prop.multiProcessorCount},
                         {"driver", driver}, {"runtime", runtime}};
        std::fprintf(stderr, "bench_cuda on %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
        if (doCeilings) {
            out["ceilings"] = ceilings(reps);
            std::fprintf(stderr, "  ceilings: bf16 GEMM %.0f TFLOP/s, device copy %.0f GB/s\n",
                         out["ceilings"]["bf16_gemm_8192_tflops"].get<double>(), out["ceilings"]["d2d_copy_gb_per_s"].get<double>());
        }
        if (doAttention) {
            std::vector<AttnShape> shapes = {{4096, 64, 128, false}, {4096, 64, 128, true}, {4096, 128, 64, false},
                                             {4096, 128, 64, true},  {16384, 16, 128, false}, {16384, 16, 128, true}};
            if (quick)
                shapes = {{1024, 8, 128, true}, {1024, 16, 64, true}};
            out["attention"] = json::array();
            for (const AttnShape& s : shapes) {
                json r = attentionCase(s, reps, prop.major);
                std::fprintf(stderr, "  attention n %lld d %lld heads %lld %s: %s\n", (long long)s.n, (long long)s.d,
                             (long long)s.heads, s.causal ? "causal" : "full", r.dump().c_str());
                out["attention"].push_back(std::move(r));
            }
            out["attention_fp32_kernel"] = attentionFp32Case(reps);
        }
        for (const auto& [path, opt] : models) {
            const auto [n, c, nm, st] = opt;
            json r = modelCase(path, n, std::max(3, reps / 2), c, nm, st);
            std::fprintf(stderr, "  model %s: %s\n", path.c_str(), r.dump().c_str());
            out["models"].push_back(std::move(r));
        }
    } catch (const std::exception& e) {
        out["error"] = e.what();
        std::printf("%s\n", out.dump(2).c_str());
        return 1;
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
