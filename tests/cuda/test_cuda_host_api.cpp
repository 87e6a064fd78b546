// The CUDA kernels' host API on machines without a GPU (docs/CUDA.md "What is verified where"): every op's
// canImplement accepts the shapes the forward passes and refuses inconsistent ones with a message, the CUDA and
// cuBLAS error codes map to out-of-memory / sticky / other as the failure handling expects, and the
// fault-injection variable parses. None of this touches a device (canImplement never dereferences a pointer).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/add.cuh"
#include "kernels/cuda/add_bias.cuh"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/gated_activation.cuh"
#include "kernels/cuda/gather.cuh"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/head_group_mean.cuh"
#include "kernels/cuda/norm.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/scale.cuh"

#include <gtest/gtest.h>

using namespace attnscope;
using namespace attnscope::cuda;

namespace {

// Stand-ins for device pointers: canImplement only checks them for null.
float* const kPtr = reinterpret_cast<float*>(uintptr_t(4096));
const int32_t* const kIds = reinterpret_cast<const int32_t*>(uintptr_t(8192));

AttentionParams attention(int64_t T, int64_t H, int64_t Hkv, int64_t d)
{
    AttentionParams p;
    p.tokens = T; p.heads = H; p.kvHeads = Hkv; p.headDim = d;
    p.scale = 0.125f;
    p.q = kPtr; p.ldq = H * d; p.headStrideQ = d;
    p.k = kPtr; p.ldk = Hkv * d; p.headStrideK = d;
    p.v = kPtr; p.ldv = Hkv * d; p.headStrideV = d;
    p.out = kPtr; p.ldo = H * d; p.headStrideO = d;
    return p;
}

} // namespace

TEST(CudaHostApi, AttentionAcceptsTheModelsShapesAndRefusesTheRest)
{
    // SmolLM2 (9/3 × 64), Gemma 3 270M (4/1 × 256), MiniLM (12/12 × 32), the tiny fixtures (× 12, × 16).
    for (auto [H, Hkv, d] : {std::tuple<int64_t, int64_t, int64_t>{9, 3, 64}, {4, 1, 256}, {12, 12, 32}, {4, 2, 12}, {4, 1, 16}}) {
        for (int level = 0; level <= kMaxTileLevel; ++level) {
            const AttentionParams p = attention(1000, H, Hkv, d);
            EXPECT_TRUE(AttentionOp::canImplement(p, chooseAttentionTiles(1000, d, H, level)).ok()) << H << " " << d;
        }
    }
    const AttentionTiles t = chooseAttentionTiles(100, 64, 8, 0);
    AttentionParams p = attention(100, 8, 2, 64);
    ASSERT_TRUE(AttentionOp::canImplement(p, t).ok());
    EXPECT_EQ(AttentionOp::workspaceSize(p), size_t(2 * 8 * 100 * 4)) << "each row's max and log-sum";

    AttentionParams bad = attention(100, 8, 3, 64);   // 8 heads cannot share 3 KV heads
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument);
    bad = p;
    bad.ldq = 8 * 64 - 1;
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument);
    bad = p;
    bad.headStrideK = 32;
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument);
    bad = p;
    bad.mask.kind = cuda::MaskKind::Sliding;
    bad.mask.window = 0;
    EXPECT_NE(AttentionOp::canImplement(bad, t).message.find("at least one key"), std::string::npos);
    for (cuda::MaskKind k : {cuda::MaskKind::Longformer, cuda::MaskKind::BigBird, cuda::MaskKind::Explicit}) {
        bad = p;
        bad.mask.kind = k;   // a table kind without its device table
        EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument) << int(k);
    }
    bad = p;
    bad.mask.kind = cuda::MaskKind::Fixed;
    bad.mask.block = 4;
    bad.mask.stride = 5;
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument) << "stride > block";
    bad.mask.stride = 1;
    EXPECT_TRUE(AttentionOp::canImplement(bad, t).ok());
    bad = p;
    bad.v = nullptr;
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::InvalidArgument);
    bad = p;
    bad.dtype = DType::BF16;
    EXPECT_EQ(AttentionOp::canImplement(bad, t).status, Status::NotSupported);
    AttentionParams wide = attention(100, 2, 2, 320);
    const Result r = AttentionOp::canImplement(wide, chooseAttentionTiles(100, 320, 2, 0));
    EXPECT_EQ(r.status, Status::NotSupported);
    EXPECT_NE(r.message.find("head dim 320"), std::string::npos) << r.message;
    // Tiles chosen for a smaller head dim do not fit a larger one.
    EXPECT_EQ(AttentionOp::canImplement(attention(100, 2, 2, 128), chooseAttentionTiles(100, 64, 2, 0)).status,
              Status::NotSupported);
}

TEST(CudaHostApi, GemmChecksSizesAndStrides)
{
    GemmParams p;
    p.m = 7; p.n = 13; p.k = 5;
    p.a = kPtr; p.lda = 5;
    p.b = kPtr; p.ldb = 8;
    p.c = kPtr; p.ldc = 13;
    EXPECT_TRUE(GemmOp::canImplement(p).ok());
    p.dtype = DType::BF16;
    EXPECT_TRUE(GemmOp::canImplement(p).ok());
    GemmParams bad = p;
    bad.lda = 4;
    EXPECT_EQ(GemmOp::canImplement(bad).status, Status::InvalidArgument);
    bad = p;
    bad.ldc = 12;
    EXPECT_EQ(GemmOp::canImplement(bad).status, Status::InvalidArgument);
    bad = p;
    bad.b = nullptr;
    EXPECT_EQ(GemmOp::canImplement(bad).status, Status::InvalidArgument);
    GemmParams empty;   // m = n = k = 0 with leading dimensions 1: nothing to do, not an error
    empty.lda = empty.ldb = empty.ldc = 1;
    EXPECT_TRUE(GemmOp::canImplement(empty).ok());
    EXPECT_EQ(GemmOp::workspaceSize(p, 0), gemmWorkspaceBytes(0));
}

TEST(CudaHostApi, ElementwiseOpsCheckTheirArguments)
{
    NormParams n;
    n.rows = 4; n.cols = 576; n.x = kPtr; n.ldx = 576; n.y = kPtr; n.ldy = 576;
    EXPECT_TRUE(NormOp::canImplement(n).ok());
    n.ldy = 575;
    EXPECT_FALSE(NormOp::canImplement(n).ok());

    RopeParams r;
    r.tokens = 10; r.heads = 9; r.headDim = 64; r.ropeDims = 64;
    r.x = kPtr; r.ldx = 9 * 64 + 2 * 3 * 64; r.headStride = 64;   // q inside a fused q|k|v row
    r.cos = kPtr; r.sin = kPtr; r.ldTable = 32;
    EXPECT_TRUE(RopeOp::canImplement(r).ok());
    RopeParams partial = r;
    partial.ropeDims = 16;
    partial.ldTable = 8;
    EXPECT_TRUE(RopeOp::canImplement(partial).ok());
    RopeParams bad = r;
    bad.ropeDims = 63;
    EXPECT_FALSE(RopeOp::canImplement(bad).ok());
    bad = r;
    bad.ldx = 9 * 64 - 1;
    EXPECT_FALSE(RopeOp::canImplement(bad).ok());
    bad = r;
    bad.ldTable = 31;
    EXPECT_FALSE(RopeOp::canImplement(bad).ok());

    ActivationParams a;
    a.n = 10; a.x = kPtr; a.y = kPtr; a.act = ActKind::Softcap; a.param = 30.f;
    EXPECT_TRUE(ActivationOp::canImplement(a).ok());
    a.param = 0.f;
    EXPECT_FALSE(ActivationOp::canImplement(a).ok());
    a.act = static_cast<ActKind>(42);
    EXPECT_FALSE(ActivationOp::canImplement(a).ok());

    GatedActivationParams g;
    g.n = 64; g.repeat = 16; g.gate = kPtr + 1024; g.up = kPtr; g.out = kPtr; g.act = ActKind::Sigmoid;
    EXPECT_TRUE(GatedActivationOp::canImplement(g).ok()) << "out may alias up";
    g.out = const_cast<float*>(g.gate);
    EXPECT_FALSE(GatedActivationOp::canImplement(g).ok()) << "out may alias gate only when repeat = 1";
    g.repeat = 1;
    EXPECT_TRUE(GatedActivationOp::canImplement(g).ok());
    g.repeat = 3;
    g.out = kPtr;
    EXPECT_FALSE(GatedActivationOp::canImplement(g).ok()) << "n must be a multiple of repeat";
    g.repeat = 1;
    g.act = ActKind::Softcap;
    EXPECT_FALSE(GatedActivationOp::canImplement(g).ok());

    AddBiasParams b;
    b.rows = 3; b.cols = 5; b.y = kPtr; b.ldy = 5; b.bias = kPtr;
    EXPECT_TRUE(AddBiasOp::canImplement(b).ok());
    b.ldy = 4;
    EXPECT_FALSE(AddBiasOp::canImplement(b).ok());

    AddParams ad;
    ad.n = 3; ad.x = kPtr; ad.y = kPtr;
    EXPECT_TRUE(AddOp::canImplement(ad).ok());
    ad.x = nullptr;
    EXPECT_FALSE(AddOp::canImplement(ad).ok());
    ad.n = 0;
    EXPECT_TRUE(AddOp::canImplement(ad).ok()) << "nothing to add: no pointers needed";

    ScaleParams sc;
    sc.n = -1;
    EXPECT_FALSE(ScaleOp::canImplement(sc).ok());

    GatherParams ga;
    ga.count = 4; ga.cols = 8; ga.ids = kIds; ga.table = kPtr; ga.ldTable = 8; ga.tableRows = 100; ga.out = kPtr; ga.ldOut = 8;
    EXPECT_TRUE(GatherOp::canImplement(ga).ok());
    EXPECT_EQ(GatherOp::workspaceSize(ga), sizeof(int32_t));
    ga.ldOut = 7;
    EXPECT_FALSE(GatherOp::canImplement(ga).ok());

    HeadGroupMeanParams hg;
    hg.rows = 10; hg.heads = 6; hg.groups = 2; hg.headDim = 16; hg.x = kPtr; hg.ld = 6 * 16;
    EXPECT_TRUE(HeadGroupMeanOp::canImplement(hg).ok());
    hg.groups = 4;
    EXPECT_FALSE(HeadGroupMeanOp::canImplement(hg).ok()) << "4 groups cannot split 6 heads";

    ConvertParams cv;
    cv.n = 10; cv.x = kPtr; cv.y = kPtr; cv.from = DType::F32; cv.to = DType::BF16;
    EXPECT_FALSE(ConvertOp::canImplement(cv).ok()) << "in place only between types of one size";
    cv.from = DType::F16;
    EXPECT_TRUE(ConvertOp::canImplement(cv).ok());
}

TEST(CudaHostApi, ErrorCodesMapToTheFailureHandling)
{
    EXPECT_TRUE(resultFromCuda(cudaSuccess, "x").ok());
    const Result oom = resultFromCuda(cudaErrorMemoryAllocation, "cudaMalloc");
    EXPECT_EQ(oom.status, Status::OutOfMemory);
    EXPECT_FALSE(oom.sticky);
    EXPECT_NE(oom.message.find("cudaMalloc: cudaErrorMemoryAllocation"), std::string::npos) << oom.message;
    for (cudaError_t e : {cudaErrorIllegalAddress, cudaErrorLaunchFailure, cudaErrorMisalignedAddress,
                          cudaErrorHardwareStackError, cudaErrorIllegalInstruction, cudaErrorAssert}) {
        const Result r = resultFromCuda(e, "kernel attention_output");
        EXPECT_EQ(r.status, Status::DeviceError) << cudaGetErrorName(e);
        EXPECT_TRUE(r.sticky) << cudaGetErrorName(e);
    }
    for (cudaError_t e : {cudaErrorInvalidValue, cudaErrorInvalidConfiguration, cudaErrorLaunchOutOfResources}) {
        const Result r = resultFromCuda(e, "kernel");
        EXPECT_EQ(r.status, Status::DeviceError) << cudaGetErrorName(e);
        EXPECT_FALSE(r.sticky) << cudaGetErrorName(e) << " leaves the context usable";
    }
    EXPECT_EQ(resultFromCublas(CUBLAS_STATUS_ALLOC_FAILED, "cublasLtMatmul").status, Status::OutOfMemory);
    const Result ex = resultFromCublas(CUBLAS_STATUS_EXECUTION_FAILED, "cublasLtMatmul");
    EXPECT_EQ(ex.status, Status::DeviceError);
    EXPECT_NE(ex.message.find("CUBLAS_STATUS_EXECUTION_FAILED"), std::string::npos) << ex.message;
}

TEST(CudaHostApi, FaultInjectionVariableParses)
{
    EXPECT_EQ(parseFaultPlan("").kind, FaultPlan::Kind::None);
    FaultPlan f = parseFaultPlan("oom@attention");
    EXPECT_EQ(f.kind, FaultPlan::Kind::Oom);
    EXPECT_EQ(f.op, OpKind::Attention);
    EXPECT_EQ(f.call, 1);
    f = parseFaultPlan("sticky@gemm#7");
    EXPECT_EQ(f.kind, FaultPlan::Kind::Sticky);
    EXPECT_EQ(f.op, OpKind::Gemm);
    EXPECT_EQ(f.call, 7);
    EXPECT_EQ(parseFaultPlan("oom-always@gated_activation").op, OpKind::GatedActivation);
    EXPECT_EQ(parseFaultPlan("error@norm#2").kind, FaultPlan::Kind::Error);
    for (const char* bad : {"oom", "boom@gemm", "oom@warp", "oom@gemm#", "oom@gemm#0", "oom@gemm#-1", "oom@gemm#x"}) {
        std::string why;
        EXPECT_EQ(parseFaultPlan(bad, &why).kind, FaultPlan::Kind::None) << bad;
        EXPECT_NE(why.find("ATTNSCOPE_CUDA_FAULT"), std::string::npos) << bad;
    }
}
