// Every CUDA op against the CPU reference on the same inputs (docs/CUDA.md "Tolerances"): fp32 ops within 1e-5
// relative error (max |Δ| / max |ref|; probabilities and LSE: 1e-5 absolute), the bf16/fp16 GEMM within 2e-3
// of the fp32 product of the same rounded inputs. Through the Backend interface (the glue, the kernels and the
// buffers together), at every tile level, under every mask kind, with GQA, strides, a sink column and partial
// capture. Skipped with the probe's reason on machines without a usable GPU.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cuda_test_support.h"

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/attention_tc.cuh"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/mask_tables.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

using namespace attnscope;
using namespace attnscope::test;

namespace {

constexpr double kFp32Tol = 1e-5;
constexpr double kHalfTol = 2e-3;

} // namespace

TEST(CudaOps, GemmFp32MatchesCpu)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    struct Shape {
        int64_t m, n, k, padA, padB, padC;
        float beta;
    };
    for (const Shape& s : {Shape{1, 1, 1, 0, 0, 0, 0.f}, Shape{7, 13, 5, 3, 1, 2, 0.f}, Shape{64, 576, 576, 0, 0, 0, 1.f},
                           Shape{100, 1536, 576, 0, 0, 0, 0.f}, Shape{33, 576, 1536, 0, 0, 0, 1.f},
                           Shape{5, 49152, 576, 0, 0, 0, 0.f}, Shape{17, 19, 23, 1, 2, 3, 0.5f}}) {
        SCOPED_TRACE(std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k));
        const int64_t lda = s.k + s.padA, ldb = s.k + s.padB, ldc = s.n + s.padC;
        const std::vector<float> A = randomVector(sz(s.m * lda), 1), B = randomVector(sz(s.n * ldb), 2),
                                 C0 = randomVector(sz(s.m * ldc), 3);
        std::vector<float> ref = C0;
        GemmArgs g;
        g.m = s.m; g.n = s.n; g.k = s.k;
        g.a = A.data(); g.lda = lda; g.b = B.data(); g.ldb = ldb; g.c = ref.data(); g.ldc = ldc; g.beta = s.beta;
        ASSERT_TRUE(cpu::gemmCpu(g, 2).ok);
        auto dA = toDevice(*gpu, A), dB = toDevice(*gpu, B), dC = toDevice(*gpu, C0);
        g.a = dA.data(); g.b = dB.data(); g.c = dC.data();
        const OpStatus st = gpu->gemm(g);
        ASSERT_TRUE(st.ok) << st.message;
        EXPECT_LE(relError(toHost(*gpu, dC), ref), kFp32Tol);
    }
}

TEST(CudaOps, GemmBf16AndFp16MatchTheFp32ProductOfTheRoundedInputs)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    cublasLtHandle_t lt = nullptr;
    cublasHandle_t blas = nullptr;
    ASSERT_EQ(cublasLtCreate(&lt), CUBLAS_STATUS_SUCCESS);
    ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
    cuda::GemmPlanCache cache;
    for (cuda::DType t : {cuda::DType::BF16, cuda::DType::F16}) {
        const int64_t m = 96, n = 576, k = 1536;
        // The backend copies on its own stream, the ops below run on the default stream: wait between them.
        auto sync = [&] {
            ASSERT_TRUE(gpu->synchronize().ok);
            ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        };
        const std::vector<float> A = randomVector(sz(m * k), 4), B = randomVector(sz(n * k), 5);
        auto dA = toDevice(*gpu, A), dB = toDevice(*gpu, B);
        auto hA = toDevice(*gpu, std::vector<uint16_t>(sz(m * k))), hB = toDevice(*gpu, std::vector<uint16_t>(sz(n * k)));
        sync();
        auto back = [&](const DeviceArray<uint16_t>& h, size_t count) {   // the rounded values, as fp32
            auto f = toDevice(*gpu, std::vector<float>(count));
            sync();
            cuda::ConvertParams c{int64_t(count), t, cuda::DType::F32, h.data(), f.data()};
            EXPECT_TRUE(cuda::ConvertOp::run(c, nullptr, nullptr).ok());
            sync();
            return toHost(*gpu, f);
        };
        cuda::ConvertParams ca{m * k, cuda::DType::F32, t, dA.data(), hA.data()};
        cuda::ConvertParams cb{n * k, cuda::DType::F32, t, dB.data(), hB.data()};
        ASSERT_TRUE(cuda::ConvertOp::run(ca, nullptr, nullptr).ok());
        ASSERT_TRUE(cuda::ConvertOp::run(cb, nullptr, nullptr).ok());
        sync();
        const std::vector<float> rA = back(hA, sz(m * k)), rB = back(hB, sz(n * k));
        EXPECT_LE(relError(rA, A), 1e-2) << "rounding to 16 bits moved the inputs by more than 1 %";
        std::vector<float> ref(sz(m * n));
        GemmArgs g;
        g.m = m; g.n = n; g.k = k; g.a = rA.data(); g.lda = k; g.b = rB.data(); g.ldb = k; g.c = ref.data(); g.ldc = n;
        ASSERT_TRUE(cpu::gemmCpu(g, 2).ok);
        auto dC = toDevice(*gpu, std::vector<float>(sz(m * n)));
        auto ws = toDevice(*gpu, std::vector<char>(cuda::gemmWorkspaceBytes(0)));
        sync();
        cuda::GemmParams p;
        p.m = m; p.n = n; p.k = k; p.dtype = t;
        p.a = hA.data(); p.lda = k; p.b = hB.data(); p.ldb = k; p.c = dC.data(); p.ldc = n;
        ASSERT_TRUE(cuda::GemmOp::canImplement(p).ok());
        const cuda::Result r = cuda::GemmOp::run(p, cuda::GemmContext{lt, blas, ws.data(), cuda::gemmWorkspaceBytes(0), &cache}, nullptr);
        ASSERT_TRUE(r.ok()) << r.message;
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_LE(relError(toHost(*gpu, dC), ref), kHalfTol) << (t == cuda::DType::BF16 ? "bf16" : "fp16");
    }
    cublasDestroy(blas);
    cublasLtDestroy(lt);
}

TEST(CudaOps, NormsMatchCpu)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    for (int64_t cols : {12, 64, 256, 576, 640, 2048, 5000})
        for (NormKind kind : {NormKind::Rms, NormKind::Layer})
            for (int variant = 0; variant < 4; ++variant) {   // weight / offset 1 / bias / in place with strides
                SCOPED_TRACE(std::string(normKindName(kind)) + " cols " + std::to_string(cols) + " variant " +
                             std::to_string(variant));
                const int64_t rows = 37, ldx = cols + (variant == 3 ? 5 : 0);
                const std::vector<float> x = randomVector(sz(rows * ldx), 6, 3.f), w = randomVector(sz(cols), 7),
                                         b = randomVector(sz(cols), 8);
                NormArgs a;
                a.kind = kind; a.rows = rows; a.cols = cols; a.ldx = ldx; a.ldy = ldx;
                a.weightOffset = variant == 1 ? 1.f : 0.f;
                a.eps = 1e-6f;
                std::vector<float> ref = x;
                a.x = ref.data(); a.y = ref.data();
                a.weight = variant == 0 ? nullptr : w.data();
                a.bias = variant >= 2 && kind == NormKind::Layer ? b.data() : nullptr;
                ASSERT_TRUE(cpu::normCpu(a).ok);
                auto dx = toDevice(*gpu, x), dw = toDevice(*gpu, w), db = toDevice(*gpu, b);
                auto dy = toDevice(*gpu, std::vector<float>(x.size(), -5.f));
                a.x = dx.data();
                a.y = variant == 3 ? dx.data() : dy.data();
                a.weight = a.weight ? dw.data() : nullptr;
                a.bias = a.bias ? db.data() : nullptr;
                ASSERT_TRUE(gpu->norm(a).ok);
                std::vector<float> got = toHost(*gpu, variant == 3 ? dx : dy);
                if (variant != 3)   // the padding columns of y are untouched: compare the rows only
                    for (int64_t r = 0; r < rows; ++r)
                        for (int64_t c = cols; c < ldx; ++c)
                            got[sz(r * ldx + c)] = ref[sz(r * ldx + c)];
                EXPECT_LE(relError(got, ref), kFp32Tol);
            }
}

TEST(CudaOps, RopeMatchesCpu)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    for (int pairing : {0, 1})
        for (int64_t ropeDims : {64, 32, 16}) {
            SCOPED_TRACE("pairing " + std::to_string(pairing) + " dims " + std::to_string(ropeDims));
            const int64_t T = 50, heads = 3, d = 64, ldx = heads * d + 40;   // q inside a wider row
            const std::vector<float> x = randomVector(sz(T * ldx), 9), cs = randomVector(sz(T * ropeDims / 2), 10),
                                     sn = randomVector(sz(T * ropeDims / 2), 11);
            std::vector<float> ref = x;
            RopeArgs a;
            a.tokens = T; a.heads = heads; a.headDim = d; a.ropeDims = ropeDims; a.ldx = ldx; a.pairing = pairing;
            a.x = ref.data(); a.cos = cs.data(); a.sin = sn.data();
            ASSERT_TRUE(cpu::ropeCpu(a).ok);
            auto dx = toDevice(*gpu, x), dc = toDevice(*gpu, cs), ds = toDevice(*gpu, sn);
            a.x = dx.data(); a.cos = dc.data(); a.sin = ds.data();
            ASSERT_TRUE(gpu->rope(a).ok);
            EXPECT_LE(relError(toHost(*gpu, dx), ref), kFp32Tol);
        }
}

TEST(CudaOps, ActivationsAndGatedActivationsMatchCpu)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    const std::vector<float> x = randomVector(4096, 12, 4.f), up = randomVector(4096, 13);
    for (Activation act : {Activation::Silu, Activation::GeluErf, Activation::GeluTanh, Activation::Softcap,
                           Activation::Sigmoid, Activation::Identity}) {
        SCOPED_TRACE(activationName(act));
        std::vector<float> ref(x.size());
        ActivationArgs a;
        a.n = int64_t(x.size()); a.act = act; a.param = 3.f; a.x = x.data(); a.y = ref.data();
        ASSERT_TRUE(cpu::activationCpu(a).ok);
        auto dx = toDevice(*gpu, x);
        a.x = dx.data(); a.y = dx.data();   // in place
        ASSERT_TRUE(gpu->activation(a).ok);
        EXPECT_LE(relError(toHost(*gpu, dx), ref), kFp32Tol);
        if (act == Activation::Softcap)
            continue;
        for (int64_t repeat : {1, 16}) {
            std::vector<float> gref(x.size());
            GatedActivationArgs g;
            g.n = int64_t(x.size()); g.repeat = repeat; g.act = act; g.gate = x.data(); g.up = up.data(); g.out = gref.data();
            ASSERT_TRUE(cpu::gatedActivationCpu(g).ok);
            auto dg = toDevice(*gpu, x), du = toDevice(*gpu, up);
            g.gate = dg.data(); g.up = du.data(); g.out = repeat == 1 ? dg.data() : du.data();   // the forward's aliasing
            ASSERT_TRUE(gpu->gatedActivation(g).ok);
            EXPECT_LE(relError(toHost(*gpu, repeat == 1 ? dg : du), gref), kFp32Tol) << "repeat " << repeat;
        }
    }
}

TEST(CudaOps, BiasAddScaleAndGatherAreExact)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    const int64_t rows = 9, cols = 70, ldy = 77;
    const std::vector<float> y = randomVector(sz(rows * ldy), 14), bias = randomVector(sz(cols), 15);
    std::vector<float> ref = y;
    AddBiasArgs ab;
    ab.rows = rows; ab.cols = cols; ab.ldy = ldy; ab.y = ref.data(); ab.bias = bias.data();
    ASSERT_TRUE(cpu::addBiasCpu(ab).ok);
    auto dy = toDevice(*gpu, y), db = toDevice(*gpu, bias);
    ab.y = dy.data(); ab.bias = db.data();
    ASSERT_TRUE(gpu->addBias(ab).ok);
    EXPECT_EQ(toHost(*gpu, dy), ref);

    const std::vector<float> x = randomVector(1000, 16);
    std::vector<float> sum = randomVector(1000, 17);
    auto dx = toDevice(*gpu, x), ds = toDevice(*gpu, sum);
    AddArgs ad{1000, dx.data(), ds.data()};
    ASSERT_TRUE(gpu->add(ad).ok);
    ScaleArgs sc{1000, ds.data(), 0.37f};
    ASSERT_TRUE(gpu->scale(sc).ok);
    for (size_t i = 0; i < sum.size(); ++i)
        sum[i] = (sum[i] + x[i]) * 0.37f;
    EXPECT_EQ(toHost(*gpu, ds), sum);

    const std::vector<float> table = randomVector(50 * 24, 18);
    const std::vector<int32_t> ids = {3, 0, 49, 3, 17};
    std::vector<float> gref(ids.size() * 24);
    GatherArgs g;
    g.count = int64_t(ids.size()); g.cols = 24; g.ids = ids.data(); g.table = table.data(); g.ldTable = 24;
    g.tableRows = 50; g.out = gref.data(); g.ldOut = 24; g.scale = 8.f;
    ASSERT_TRUE(cpu::gatherCpu(g).ok);
    auto dt = toDevice(*gpu, table), dout = toDevice(*gpu, std::vector<float>(gref.size()));
    auto di = toDevice(*gpu, ids);
    g.ids = di.data(); g.table = dt.data(); g.out = dout.data();
    ASSERT_TRUE(gpu->gather(g).ok);
    EXPECT_EQ(toHost(*gpu, dout), gref);
    auto bad = toDevice(*gpu, std::vector<int32_t>{1, 50});
    g.ids = bad.data();
    g.count = 2;
    const OpStatus st = gpu->gather(g);
    EXPECT_FALSE(st.ok);
    EXPECT_NE(st.message.find("outside the table"), std::string::npos) << st.message;
    EXPECT_TRUE(gpu->healthy()) << "a bad id is the caller's error, not the device's";
}

TEST(CudaOps, HeadGroupMeanEqualsCpuBitForBit)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    for (auto [heads, groups] : {std::pair<int64_t, int64_t>{8, 2}, {3, 1}, {6, 3}, {4, 4}}) {
        const int64_t rows = 33, d = 12, ld = heads * d + 5;
        const std::vector<float> x = randomVector(sz(rows * ld), 30);
        std::vector<float> ref = x;
        HeadGroupMeanArgs a;
        a.rows = rows; a.heads = heads; a.groups = groups; a.headDim = d; a.x = ref.data(); a.ld = ld;
        ASSERT_TRUE(cpu::headGroupMeanCpu(a).ok);
        auto dx = toDevice(*gpu, x);
        a.x = dx.data();
        ASSERT_TRUE(gpu->headGroupMean(a).ok);
        EXPECT_EQ(toHost(*gpu, dx), ref) << heads << " heads in " << groups << " groups";
    }
}

namespace {

struct AttnCase {
    int64_t T, H, Hkv, d;
    AttentionMask mask;
    bool sink;
};

/// Runs the CPU reference and the GPU op on the same inputs; probabilities, LSE and sink probabilities for every
/// other head (the rest uncaptured, as in a partial capture).
void checkAttention(Backend& gpu, const AttnCase& c, unsigned seed)
{
    SCOPED_TRACE("T " + std::to_string(c.T) + " H " + std::to_string(c.H) + "/" + std::to_string(c.Hkv) + " d " +
                 std::to_string(c.d) + " " + c.mask.describe() + (c.sink ? " + sink column" : ""));
    const int64_t T = c.T, H = c.H, Hkv = c.Hkv, d = c.d;
    const std::vector<float> q = randomVector(sz(T * H * d), seed, 1.5f), k = randomVector(sz(T * Hkv * d), seed + 1, 1.5f),
                             v = randomVector(sz(T * Hkv * d), seed + 2), sinks = randomVector(sz(H), seed + 3, 2.f);
    AttentionArgs a;
    a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d;
    a.scale = 1.f / std::sqrt(float(d));
    a.mask = c.mask;
    a.ldq = H * d; a.ldk = Hkv * d; a.ldv = Hkv * d; a.ldo = H * d;
    std::vector<std::vector<float>> probs(sz(H)), lse(sz(H)), sinkP(sz(H)), rmax(sz(H)), rsum(sz(H));
    std::vector<float*> pp(sz(H), nullptr), lp(sz(H), nullptr), sp(sz(H), nullptr), mp(sz(H), nullptr), np(sz(H), nullptr);
    for (int64_t h = 0; h < H; h += 2) {
        probs[sz(h)].assign(sz(T * T), -1.f);
        lse[sz(h)].assign(sz(T), -1.f);
        sinkP[sz(h)].assign(sz(T), -1.f);
        rmax[sz(h)].assign(sz(T), -1.f);
        rsum[sz(h)].assign(sz(T), -1.f);
        pp[sz(h)] = probs[sz(h)].data();
        lp[sz(h)] = lse[sz(h)].data();
        sp[sz(h)] = sinkP[sz(h)].data();
        mp[sz(h)] = rmax[sz(h)].data();
        np[sz(h)] = rsum[sz(h)].data();
    }
    std::vector<float> out(sz(T * H * d));
    a.q = q.data(); a.k = k.data(); a.v = v.data(); a.out = out.data();
    a.probs = pp.data(); a.lse = lp.data();
    a.rowMax = mp.data(); a.rowLogSum = np.data();
    a.sinkLogits = c.sink ? sinks.data() : nullptr;
    a.sinkProbs = sp.data();
    ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);

    auto dq = toDevice(gpu, q), dk = toDevice(gpu, k), dv = toDevice(gpu, v);
    auto dout = toDevice(gpu, std::vector<float>(out.size(), 7.f));
    std::vector<DeviceArray<float>> dp(sz(H)), dl(sz(H)), dsp(sz(H)), dm(sz(H)), dn(sz(H));
    std::vector<float*> gp(sz(H), nullptr), gl(sz(H), nullptr), gs(sz(H), nullptr), gm(sz(H), nullptr), gn(sz(H), nullptr);
    for (int64_t h = 0; h < H; h += 2) {
        dp[sz(h)] = toDevice(gpu, std::vector<float>(sz(T * T), -1.f));   // every cell must be written
        dl[sz(h)] = toDevice(gpu, std::vector<float>(sz(T), -1.f));
        dsp[sz(h)] = toDevice(gpu, std::vector<float>(sz(T), -1.f));
        dm[sz(h)] = toDevice(gpu, std::vector<float>(sz(T), -1.f));
        dn[sz(h)] = toDevice(gpu, std::vector<float>(sz(T), -1.f));
        gp[sz(h)] = dp[sz(h)].data();
        gl[sz(h)] = dl[sz(h)].data();
        gs[sz(h)] = dsp[sz(h)].data();
        gm[sz(h)] = dm[sz(h)].data();
        gn[sz(h)] = dn[sz(h)].data();
    }
    a.q = dq.data(); a.k = dk.data(); a.v = dv.data(); a.out = dout.data();
    a.probs = gp.data(); a.lse = gl.data(); a.sinkProbs = gs.data();
    a.rowMax = gm.data(); a.rowLogSum = gn.data();
    a.sinkLogits = c.sink ? sinks.data() : nullptr;   // host memory, as the forward passes them
    const OpStatus st = gpu.attention(a);
    ASSERT_TRUE(st.ok) << st.message;
    EXPECT_LE(relError(toHost(gpu, dout), out), kFp32Tol) << "output";
    for (int64_t h = 0; h < H; h += 2) {
        EXPECT_LE(maxAbsError(toHost(gpu, dp[sz(h)]), probs[sz(h)]), kFp32Tol) << "probabilities, head " << h;
        EXPECT_LE(maxAbsError(toHost(gpu, dl[sz(h)]), lse[sz(h)]), kFp32Tol * 10) << "LSE, head " << h;
        EXPECT_LE(maxAbsError(toHost(gpu, dsp[sz(h)]), sinkP[sz(h)]), kFp32Tol) << "sink, head " << h;
        EXPECT_LE(maxAbsError(toHost(gpu, dm[sz(h)]), rmax[sz(h)]), kFp32Tol * 10) << "row max, head " << h;
        EXPECT_LE(maxAbsError(toHost(gpu, dn[sz(h)]), rsum[sz(h)]), kFp32Tol) << "row log-sum, head " << h;
    }
}

} // namespace

TEST(CudaOps, AttentionMatchesCpuUnderEveryMaskShapeAndTileLevel)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    auto layout = std::make_shared<BlockLayout>();   // BigBird-like: blocks of 16, some random extra blocks
    layout->block = 16;
    for (int64_t b = 0; b < 19; ++b) {
        std::vector<int64_t> allowed = {0};
        for (int64_t o : {-1, 0, 1})
            if (b + o > 0)
                allowed.push_back(b + o);
        if (b % 3 == 0)
            allowed.push_back((b * 7) % 19);
        std::sort(allowed.begin(), allowed.end());
        allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
        layout->allowed.push_back(allowed);
    }
    auto bits = std::make_shared<MaskBits>(300);
    for (int64_t i = 0; i < 300; ++i)
        for (int64_t j = 0; j < 300; ++j)
            if ((i * 31 + j * 17) % 5 == 0 || i == j)
                bits->set(i, j);
    auto holes = std::make_shared<MaskBits>(300);   // rows i % 7 == 3 see nothing: masked rows (zeros, LSE +inf)
    for (int64_t i = 0; i < 300; ++i)
        for (int64_t j = 0; j <= i; ++j)
            if (i % 7 != 3 && (j % 3 == 0 || j == i))
                holes->set(i, j);
    const AttentionMask masks[] = {AttentionMask::causal(),
                                   AttentionMask::explicitBits(holes, "rows with nothing to attend", true),
                                   AttentionMask::bidirectional(),
                                   AttentionMask::sliding(7),
                                   AttentionMask::sliding(64),
                                   AttentionMask::sliding(9, false),
                                   AttentionMask::slidingWithSinks(9, 3),
                                   AttentionMask::slidingWithSinks(40, 1),
                                   AttentionMask::slidingWithSinks(6, 2, false),
                                   AttentionMask::longformer(8, {0, 17, 120}, true),
                                   AttentionMask::longformer(8, {2}, false),
                                   AttentionMask::bigbird(layout, true),
                                   AttentionMask::fixed(16, 4, true),
                                   AttentionMask::fixed(8, 2, false),
                                   AttentionMask::explicitBits(bits, "test pattern", true)};
    struct Dims {
        int64_t H, Hkv, d;
    };
    // SmolLM2-like, Gemma-3-like (MQA, d 256), the tiny fixtures (d 12 and 16: padded lanes), d 80 and 128.
    const Dims dims[] = {{6, 2, 64}, {4, 1, 256}, {4, 2, 12}, {3, 3, 80}, {2, 1, 128}, {4, 1, 16}};
    for (int level = 0; level <= 2; ++level) {
        SCOPED_TRACE("tile level " + std::to_string(level));
        unsigned seed = 100;
        for (int64_t T : {1, 5, 37, 130, 300})
            for (const AttentionMask& m : masks)
                for (const Dims& dm : dims)
                    checkAttention(*gpu, {T, dm.H, dm.Hkv, dm.d, m, (seed++ % 3) == 0}, seed * 7);
        if (level < 2) {
            ASSERT_TRUE(gpu->reduceTiles());
        }
    }
    EXPECT_FALSE(gpu->reduceTiles()) << "level 2 is the smallest";
}

TEST(CudaOps, AttentionAtLengthsThatSplitIntoSeveralLaunches)
{
    // 4097 tokens, 64 heads of d 64: more than one launch chunk per pass (cuda_heuristics.h), so the
    // synchronise-and-check between launches and the row-block offsets are exercised. One head captured.
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    checkAttention(*gpu, {4097, 64, 8, 64, AttentionMask::causal(), false}, 500);
    checkAttention(*gpu, {3000, 8, 1, 256, AttentionMask::slidingWithSinks(512, 4), true}, 600);
}

namespace {

/// Rows handed to a row observer, as full rows (weights of the valid keys, 0 elsewhere), by (head, row).
struct ObservedRows {
    int64_t T = 0;
    AttentionMask mask;
    std::map<std::pair<int64_t, int64_t>, std::vector<float>> rows;
    static void observe(void* ctx, int64_t head, int64_t row, const float* p, int64_t offset)
    {
        auto& self = *static_cast<ObservedRows*>(ctx);
        std::vector<float> full(sz(self.T), 0.f);
        for (int64_t j = 0; j < self.T; ++j)
            if (self.mask.valid(row, j))
                full[sz(j)] = p[j - offset];
        self.rows[{head, row}] = std::move(full);
    }
};

} // namespace

TEST(CudaOps, RowObserverSeesTheCpuRowsInRangesOfRows)
{
    // The streamed-statistics path (docs/LONG-CONTEXT.md): every row of every head handed to the host, at a length
    // where the 64 MiB row buffer holds fewer rows than the prompt (several ranges per head), with and without a
    // captured map for the head, under a causal and a sliding mask.
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    for (const AttentionMask& mask : {AttentionMask::causal(), AttentionMask::sliding(700)}) {
        SCOPED_TRACE(mask.describe());
        const int64_t T = 5000, H = 2, Hkv = 1, d = 64;
        const std::vector<float> q = randomVector(sz(T * H * d), 40), k = randomVector(sz(T * Hkv * d), 41),
                                 v = randomVector(sz(T * Hkv * d), 42);
        AttentionArgs a;
        a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d; a.scale = 0.125f; a.mask = mask;
        a.ldq = H * d; a.ldk = Hkv * d; a.ldv = Hkv * d; a.ldo = H * d;
        std::vector<float> out(sz(T * H * d));
        ObservedRows cpuRows{T, mask, {}}, gpuRows{T, mask, {}};
        a.q = q.data(); a.k = k.data(); a.v = v.data(); a.out = out.data();
        a.rowObserver = &ObservedRows::observe;
        a.rowObserverContext = &cpuRows;
        ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);
        auto dq = toDevice(*gpu, q), dk = toDevice(*gpu, k), dv = toDevice(*gpu, v), dout = toDevice(*gpu, std::vector<float>(out.size()));
        auto map1 = toDevice(*gpu, std::vector<float>(sz(T * T), -1.f));   // head 1 also captures its map
        float* probs[2] = {nullptr, map1.data()};
        a.q = dq.data(); a.k = dk.data(); a.v = dv.data(); a.out = dout.data();
        a.probs = probs;
        a.rowObserverContext = &gpuRows;
        const OpStatus st = gpu->attention(a);
        ASSERT_TRUE(st.ok) << st.message;
        EXPECT_LE(relError(toHost(*gpu, dout), out), kFp32Tol);
        ASSERT_EQ(gpuRows.rows.size(), cpuRows.rows.size());
        double worst = 0;
        for (const auto& [key, row] : cpuRows.rows) {
            auto it = gpuRows.rows.find(key);
            ASSERT_TRUE(it != gpuRows.rows.end()) << "head " << key.first << " row " << key.second;
            worst = std::max(worst, maxAbsError(it->second, row));
        }
        EXPECT_LE(worst, kFp32Tol);
    }
}

TEST(CudaOps, LargeLogitsDoNotOverflowAndCancelIsHonoured)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    const int64_t T = 64, d = 32;
    std::vector<float> q = randomVector(sz(T * d), 20, 30.f), k = randomVector(sz(T * d), 21, 30.f),
                       v = randomVector(sz(T * d), 22);
    auto dq = toDevice(*gpu, q), dk = toDevice(*gpu, k), dv = toDevice(*gpu, v), dout = toDevice(*gpu, std::vector<float>(sz(T * d)));
    auto dp = toDevice(*gpu, std::vector<float>(sz(T * T)));
    float* probs[1] = {dp.data()};
    AttentionArgs a;
    a.tokens = T; a.heads = 1; a.kvHeads = 1; a.headDim = d; a.scale = 1.f;
    a.q = dq.data(); a.ldq = d; a.k = dk.data(); a.ldk = d; a.v = dv.data(); a.ldv = d; a.out = dout.data(); a.ldo = d;
    a.probs = probs;
    ASSERT_TRUE(gpu->attention(a).ok);
    const std::vector<float> p = toHost(*gpu, dp);
    for (int64_t i = 0; i < T; ++i) {
        double s = 0;
        for (int64_t j = 0; j < T; ++j) {
            ASSERT_TRUE(std::isfinite(p[sz(i * T + j)]));
            s += p[sz(i * T + j)];
        }
        EXPECT_NEAR(s, 1.0, 1e-5) << "row " << i;
    }
    std::stop_source src;
    src.request_stop();
    a.stop = src.get_token();
    const OpStatus st = gpu->attention(a);
    EXPECT_TRUE(st.cancelled);
    EXPECT_TRUE(gpu->healthy());
}

TEST(CudaOps, OutOfMemoryIsReportedAndLeavesTheDeviceUsable)
{
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    EXPECT_EQ(gpu->allocate(uint64_t(1) << 50), nullptr) << "a 1 PiB buffer";
    EXPECT_TRUE(gpu->healthy());
    EXPECT_GT(gpu->freeMemoryBytes(), 0u);
    const std::vector<float> x = randomVector(100, 23);
    auto dx = toDevice(*gpu, x);
    ScaleArgs s{100, dx.data(), 2.f};
    ASSERT_TRUE(gpu->scale(s).ok) << "ops still run after a failed allocation";
    std::vector<float> twice = x;
    for (float& f : twice)
        f *= 2.f;
    EXPECT_EQ(toHost(*gpu, dx), twice);
}

TEST(CudaOps, InjectedFaultsBehaveAsDocumented)
{
    std::string reason;
    if (!cuda::makeCudaBackendFactory()->probe(reason))
        GTEST_SKIP() << "no usable CUDA device (" << reason << "): GPU test not run";
    ::setenv("ATTNSCOPE_CUDA_FAULT", "oom@scale#2", 1);
    auto gpu = cuda::makeCudaBackendFactory()->create();
    ::setenv("ATTNSCOPE_CUDA_FAULT", "sticky@add", 1);
    auto dead = cuda::makeCudaBackendFactory()->create();
    ::unsetenv("ATTNSCOPE_CUDA_FAULT");
    EXPECT_NE(gpu->description().find("fault injection on scale"), std::string::npos) << gpu->description();
    auto dx = toDevice(*gpu, randomVector(10, 24));
    ScaleArgs s{10, dx.data(), 2.f};
    EXPECT_TRUE(gpu->scale(s).ok);
    const OpStatus second = gpu->scale(s);
    EXPECT_TRUE(second.outOfMemory) << second.message;
    EXPECT_TRUE(gpu->scale(s).ok) << "oom fires once";
    EXPECT_TRUE(gpu->healthy());

    auto dy = toDevice(*dead, randomVector(10, 25));
    AddArgs add{10, dy.data(), dy.data()};
    EXPECT_FALSE(dead->add(add).ok);
    EXPECT_FALSE(dead->healthy());
    EXPECT_NE(dead->description().find("unusable after an error"), std::string::npos);
}

namespace {

/// Rounds host floats through a 16-bit type on the device: the inputs the tensor-core kernel sees, as fp32 for
/// the CPU reference. Returns the 16-bit device copy too.
std::vector<float> roundTrip16(Backend& gpu, const std::vector<float>& x, cuda::DType t, DeviceArray<uint16_t>& half)
{
    auto f = toDevice(gpu, x);
    half = toDevice(gpu, std::vector<uint16_t>(x.size()));
    auto back = toDevice(gpu, std::vector<float>(x.size()));
    EXPECT_TRUE(gpu.synchronize().ok);
    cuda::ConvertParams to{int64_t(x.size()), cuda::DType::F32, t, f.data(), half.data()};
    cuda::ConvertParams from{int64_t(x.size()), t, cuda::DType::F32, half.data(), back.data()};
    EXPECT_TRUE(cuda::ConvertOp::run(to, nullptr, nullptr).ok());
    EXPECT_TRUE(cuda::ConvertOp::run(from, nullptr, nullptr).ok());
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    return toHost(gpu, back);
}

std::vector<float> probsToFloat(Backend& gpu, const DeviceArray<uint16_t>& p, cuda::DType t)
{
    auto f = toDevice(gpu, std::vector<float>(p.n));
    EXPECT_TRUE(gpu.synchronize().ok);
    cuda::ConvertParams c{int64_t(p.n), t, cuda::DType::F32, p.data(), f.data()};
    EXPECT_TRUE(cuda::ConvertOp::run(c, nullptr, nullptr).ok());
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    return toHost(gpu, f);
}

} // namespace

TEST(CudaOps, TensorCoreAttentionMatchesCpuOnTheRoundedInputs)
{
    // bf16 (sm_80+) and fp16 inputs, d 64 and 128, probabilities as fp32 and as 16-bit, every mask family, GQA,
    // a sink column: within 2e-3 of the CPU reference run on the same rounded inputs.
    ATTNSCOPE_REQUIRE_CUDA(gpu);
    cudaDeviceProp prop{};
    ASSERT_EQ(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
    const AttentionMask masks[] = {AttentionMask::causal(), AttentionMask::bidirectional(), AttentionMask::sliding(40),
                                   AttentionMask::slidingWithSinks(16, 2), AttentionMask::sliding(20, false),
                                   AttentionMask::longformer(10, {0, 50}, true), AttentionMask::fixed(32, 4, true)};
    unsigned seed = 900;
    for (cuda::DType t : {cuda::DType::BF16, cuda::DType::F16}) {
        if (t == cuda::DType::BF16 && prop.major < 8) {
            std::printf("bf16 tensor-core attention not checked: compute capability %d.%d\n", prop.major, prop.minor);
            continue;
        }
        for (int64_t d : {64, 128})
            for (int64_t T : {1, 33, 200})
                for (const AttentionMask& mask : masks)
                    for (cuda::DType pt : {cuda::DType::F32, t}) {
                        const bool sink = (seed % 4) == 0;
                        SCOPED_TRACE(std::string(t == cuda::DType::BF16 ? "bf16" : "fp16") + " d " + std::to_string(d) + " T " +
                                     std::to_string(T) + " " + mask.describe() + (pt == cuda::DType::F32 ? " fp32 P" : " 16-bit P") +
                                     (sink ? " sink" : ""));
                        const int64_t H = 4, Hkv = 2;
                        DeviceArray<uint16_t> q16, k16, v16;
                        const std::vector<float> q = roundTrip16(*gpu, randomVector(sz(T * H * d), seed++, 1.5f), t, q16);
                        const std::vector<float> k = roundTrip16(*gpu, randomVector(sz(T * Hkv * d), seed++, 1.5f), t, k16);
                        const std::vector<float> v = roundTrip16(*gpu, randomVector(sz(T * Hkv * d), seed++), t, v16);
                        const std::vector<float> sinks = randomVector(sz(H), seed++, 2.f);
                        // CPU reference (fp32 on the rounded inputs); heads 0 and 3 captured.
                        std::vector<std::vector<float>> rp(sz(H)), rl(sz(H)), rs(sz(H));
                        std::vector<float*> pp(sz(H), nullptr), lp(sz(H), nullptr), spp(sz(H), nullptr);
                        for (int64_t h : {0, 3}) {
                            rp[sz(h)].assign(sz(T * T), 0.f);
                            rl[sz(h)].assign(sz(T), 0.f);
                            rs[sz(h)].assign(sz(T), 0.f);
                            pp[sz(h)] = rp[sz(h)].data();
                            lp[sz(h)] = rl[sz(h)].data();
                            spp[sz(h)] = rs[sz(h)].data();
                        }
                        std::vector<float> out(sz(T * H * d));
                        AttentionArgs a;
                        a.tokens = T; a.heads = H; a.kvHeads = Hkv; a.headDim = d; a.scale = 1.f / std::sqrt(float(d));
                        a.mask = mask;
                        a.q = q.data(); a.ldq = H * d; a.k = k.data(); a.ldk = Hkv * d; a.v = v.data(); a.ldv = Hkv * d;
                        a.out = out.data(); a.ldo = H * d;
                        a.probs = pp.data(); a.lse = lp.data(); a.sinkProbs = spp.data();
                        a.sinkLogits = sink ? sinks.data() : nullptr;
                        ASSERT_TRUE(cpu::attentionCpu(a, 2).ok);

                        // The same on the device.
                        cuda::AttentionParams p;
                        p.tokens = T; p.heads = H; p.kvHeads = Hkv; p.headDim = d; p.scale = a.scale; p.dtype = t;
                        p.mask = cuda::maskParams(mask);
                        cuda::MaskTables tables;
                        std::string why;
                        ASSERT_TRUE(cuda::buildMaskTables(mask, T, tables, why)) << why;
                        DeviceArray<uint8_t> dTables;
                        if (tables.needed()) {
                            const auto* b = static_cast<const uint8_t*>(tables.data());
                            dTables = toDevice(*gpu, std::vector<uint8_t>(b, b + tables.size()));
                            cuda::attachMaskTables(mask, tables, dTables.data(), p.mask);
                        }
                        auto dSinks = toDevice(*gpu, sinks);
                        auto dOut = toDevice(*gpu, std::vector<float>(out.size(), 9.f));
                        auto ws = toDevice(*gpu, std::vector<float>(sz(2 * H * T)));
                        p.q = q16.data(); p.ldq = H * d; p.headStrideQ = d;
                        p.k = k16.data(); p.ldk = Hkv * d; p.headStrideK = d;
                        p.v = v16.data(); p.ldv = Hkv * d; p.headStrideV = d;
                        p.out = dOut.data(); p.ldo = H * d; p.headStrideO = d;
                        p.sinkLogits = sink ? dSinks.data() : nullptr;
                        p.rowNorm = ws.data();
                        const size_t pBytes = pt == cuda::DType::F32 ? 4 : 2;
                        cuda::AttentionTcCapture cap;
                        cap.probs.assign(sz(H), nullptr);
                        cap.lse.assign(sz(H), nullptr);
                        cap.sinkProbs.assign(sz(H), nullptr);
                        std::vector<DeviceArray<uint16_t>> dp(sz(H));
                        std::vector<DeviceArray<float>> dl(sz(H)), ds(sz(H));
                        for (int64_t h : {0, 3}) {
                            dp[sz(h)] = toDevice(*gpu, std::vector<uint16_t>(sz(T * T) * pBytes / 2, 0x7fff));   // NaN fill
                            dl[sz(h)] = toDevice(*gpu, std::vector<float>(sz(T), -1.f));
                            ds[sz(h)] = toDevice(*gpu, std::vector<float>(sz(T), -1.f));
                            cap.probs[sz(h)] = dp[sz(h)].data();
                            cap.lse[sz(h)] = dl[sz(h)].data();
                            cap.sinkProbs[sz(h)] = ds[sz(h)].data();
                        }
                        ASSERT_TRUE(gpu->synchronize().ok);
                        const cuda::Result can = cuda::AttentionTcOp::canImplement(p, pt, prop.major);
                        ASSERT_TRUE(can.ok()) << can.message;
                        const cuda::Result r = cuda::AttentionTcOp::run(p, pt, cap, (seed % 3) + 1, {}, nullptr);
                        ASSERT_TRUE(r.ok()) << r.message;
                        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
                        EXPECT_LE(relError(toHost(*gpu, dOut), out), kHalfTol) << "output";
                        for (int64_t h : {0, 3}) {
                            std::vector<float> got;
                            if (pt == cuda::DType::F32) {
                                got.resize(sz(T * T));
                                // the same bytes read as floats
                                ASSERT_EQ(cudaMemcpy(got.data(), dp[sz(h)].data(), got.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
                            } else {
                                got = probsToFloat(*gpu, dp[sz(h)], t);
                            }
                            EXPECT_LE(maxAbsError(got, rp[sz(h)]), kHalfTol) << "probabilities, head " << h;
                            EXPECT_LE(maxAbsError(toHost(*gpu, dl[sz(h)]), rl[sz(h)]), kHalfTol * 10) << "LSE, head " << h;
                            EXPECT_LE(maxAbsError(toHost(*gpu, ds[sz(h)]), rs[sz(h)]), kHalfTol) << "sink, head " << h;
                        }
                    }
    }
}
