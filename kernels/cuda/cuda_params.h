// Parameter structs of every CUDA kernel (docs/CUDA.md "Host API"): plain data — sizes, explicit strides in
// elements, flags and device pointers — so the kernels, the backend glue and the host-side tests share one
// description of each launch. No CUDA and no core headers here: the file compiles as C++17 under nvcc and as plain
// C++ in the host tests (tests/kernels/test_cuda_host.cpp).
// Row-major everywhere: element (r, c) of a matrix with leading dimension ld sits at base[r·ld + c].
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define ATTNSCOPE_HD __host__ __device__
#else
#define ATTNSCOPE_HD
#endif

namespace attnscope::cuda {

/// Element type of a GEMM or attention input. Accumulation is fp32 for every type.
enum class DType : uint8_t { F32, F16, BF16 };

inline constexpr size_t dtypeBytes(DType t) { return t == DType::F32 ? 4 : 2; }

/// The attention mask (mirror of core's AttentionMask: kinds in the same order, the same predicate — the host
/// tests compare maskValid in mask_math.h with core's exhaustively). Pattern kinds that need a table carry it
/// as device memory, built and uploaded by the backend glue.
enum class MaskKind : int32_t {
    Causal = 0, Bidirectional = 1, Sliding = 2, SlidingSinks = 3, Longformer = 4, BigBird = 5, Fixed = 6, Explicit = 7
};
struct MaskParams {
    MaskKind kind = MaskKind::Causal;
    int32_t requireCausal = 1;     // every kind but Bidirectional: also j ≤ i
    int64_t window = 0;            // Sliding, SlidingSinks: W keys; Longformer: |i − j| ≤ W/2
    int64_t sinks = 0;             // SlidingSinks: keys 0 … S−1
    int64_t block = 0;             // BigBird, Fixed: block size B
    int64_t stride = 0;            // Fixed: the last C positions of every block are summary columns
    const uint8_t* isGlobal = nullptr;   // Longformer: `tokens` flags, 1 for a global position
    const uint8_t* blockAllowed = nullptr; // BigBird: queryBlocks × keyBlocks flags
    int64_t queryBlocks = 0, keyBlocks = 0;
    const uint64_t* bits = nullptr;      // Explicit: bitsTokens rows of wordsPerRow 64-bit words
    int64_t bitsTokens = 0, wordsPerRow = 0;
};

/// C[m×n] = alpha·A[m×k]·B[n×k]ᵀ + beta·C. A and B of `dtype`, C fp32, fp32 accumulation (no TF32).
struct GemmParams {
    int64_t m = 0, n = 0, k = 0;
    DType dtype = DType::F32;
    const void* a = nullptr; int64_t lda = 0;
    const void* b = nullptr; int64_t ldb = 0;
    float* c = nullptr; int64_t ldc = 0;
    float alpha = 1.f, beta = 0.f;
};

enum class NormKind : int32_t { Rms = 0, Layer = 1 };
/// y[r] = norm(x[r]) · (offset + w) (+ b) for `rows` rows of `cols`; weight and bias may be null; y may equal x.
struct NormParams {
    NormKind kind = NormKind::Rms;
    int64_t rows = 0, cols = 0;
    const float* x = nullptr; int64_t ldx = 0;
    const float* weight = nullptr;
    const float* bias = nullptr;
    float weightOffset = 0.f;
    float eps = 1e-5f;
    float* y = nullptr; int64_t ldy = 0;
};

/// RoPE in place: token t, head h starts at x[t·ldx + h·headStride]; its first ropeDims dims rotate with
/// cos/sin[t·ldTable + i], i < ropeDims/2. pairing 0: (x[2i], x[2i+1]); 1: (x[i], x[i + ropeDims/2]).
struct RopeParams {
    int64_t tokens = 0, heads = 0, headDim = 0, ropeDims = 0;
    float* x = nullptr; int64_t ldx = 0; int64_t headStride = 0;
    const float* cos = nullptr;
    const float* sin = nullptr;
    int64_t ldTable = 0;
    int32_t pairing = 1;
};

/// Same order as core's Activation.
enum class ActKind : int32_t { Silu = 0, GeluErf = 1, GeluTanh = 2, Softcap = 3, Sigmoid = 4, Identity = 5 };

/// y[i] = act(x[i]), i < n (y may equal x).
struct ActivationParams {
    int64_t n = 0;
    ActKind act = ActKind::Silu;
    float param = 0.f;
    const float* x = nullptr;
    float* y = nullptr;
};

/// out[i] = act(gate[i / repeat]) · up[i], i < n.
struct GatedActivationParams {
    int64_t n = 0, repeat = 1;
    ActKind act = ActKind::Silu;
    const float* gate = nullptr;
    const float* up = nullptr;
    float* out = nullptr;
};

/// y[r·ldy + c] += bias[c].
struct AddBiasParams {
    int64_t rows = 0, cols = 0;
    float* y = nullptr; int64_t ldy = 0;
    const float* bias = nullptr;
};

/// y[i] += x[i].
struct AddParams {
    int64_t n = 0;
    const float* x = nullptr;
    float* y = nullptr;
};

/// x[i] *= s.
struct ScaleParams {
    int64_t n = 0;
    float* x = nullptr;
    float s = 1.f;
};

/// out[t·ldOut + c] = table[ids[t]·ldTable + c] · scale; an id outside [0, tableRows) sets *badId (device int,
/// workspace) to 1 and leaves its row untouched.
struct GatherParams {
    int64_t count = 0, cols = 0;
    const int32_t* ids = nullptr;
    const float* table = nullptr; int64_t ldTable = 0;
    int64_t tableRows = 0;
    float* out = nullptr; int64_t ldOut = 0;
    float scale = 1.f;
    int32_t* badId = nullptr;
};

/// Means of heads/groups consecutive heads into the first groups·headDim columns of each row, in place.
struct HeadGroupMeanParams {
    int64_t rows = 0, heads = 0, groups = 0, headDim = 0;
    float* x = nullptr; int64_t ld = 0;
};

/// Element type conversion, n elements (contiguous).
struct ConvertParams {
    int64_t n = 0;
    DType from = DType::F32, to = DType::BF16;
    const void* x = nullptr;
    void* y = nullptr;
};

/// Heads whose per-head outputs one launch can carry inline in its parameters (kernel parameters are limited to
/// 4 KiB on every architecture we build for).
inline constexpr int kMaxHeadsPerLaunch = 64;

/// Softmax attention of one layer (docs/ENGINE.md "Attention"). Head h of token t reads
/// q[t·ldq + h·headStrideQ + c], its KV head g = h / (heads / kvHeads) reads k[t·ldk + g·headStrideK + c] and
/// v[t·ldv + g·headStrideV + c]; it writes out[t·ldo + h·headStrideO + c], c < headDim.
/// Two passes: the statistics pass writes each row's normaliser (max M and log L, softmax_math.h) into rowNorm;
/// the output pass recomputes the scores, turns them into exact probabilities exp((s − M) − log L), writes them
/// where asked and accumulates the output from them.
struct AttentionParams {
    int64_t tokens = 0, heads = 0, kvHeads = 0, headDim = 0;
    float scale = 1.f;
    MaskParams mask;
    DType dtype = DType::F32;          // of q, k, v (fp32 path: F32; tensor-core path: BF16 or F16)
    const void* q = nullptr; int64_t ldq = 0; int64_t headStrideQ = 0;
    const void* k = nullptr; int64_t ldk = 0; int64_t headStrideK = 0;
    const void* v = nullptr; int64_t ldv = 0; int64_t headStrideV = 0;
    float* out = nullptr; int64_t ldo = 0; int64_t headStrideO = 0;
    const float* sinkLogits = nullptr; // [heads] device values b_h, or null: no sink column
    float* rowNorm = nullptr;          // workspace [2 × heads × tokens]: M at [h·T + i], log L at [heads·T + h·T + i]
};

/// Optional per-head outputs of the heads [headBegin, headBegin + headCount) of one launch (device pointers,
/// each may be null). probs: row i of the map at probs + (i − probsRowOffset)·tokens, every cell written (masked
/// cells 0) — probsRowOffset > 0 lets a launch over a range of rows write into a buffer of just those rows; lse,
/// rowMax, rowLogSum, sinkProbs: tokens values. probsDType F32 writes float, BF16/F16 writes 16-bit
/// probabilities (tensor-core path). 5 arrays × 64 pointers: 2.5 KiB of the 4 KiB of kernel parameters.
struct AttentionHeadOutputs {
    int64_t headBegin = 0, headCount = 0;
    int64_t probsRowOffset = 0;
    DType probsDType = DType::F32;
    void* probs[kMaxHeadsPerLaunch] = {};
    float* lse[kMaxHeadsPerLaunch] = {};
    float* rowMax[kMaxHeadsPerLaunch] = {};
    float* rowLogSum[kMaxHeadsPerLaunch] = {};
    float* sinkProbs[kMaxHeadsPerLaunch] = {};
};

/// The query rows one launch covers: row blocks [rowBlockBegin, rowBlockBegin + rowBlockCount) of rowsPerBlock.
struct AttentionRowRange {
    int64_t rowBlockBegin = 0, rowBlockCount = 0;
};

} // namespace attnscope::cuda
