// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/attention_tc.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/mask_math.h"
#include "kernels/cuda/softmax_math.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>
#include <type_traits>

namespace attnscope::cuda {

namespace {

namespace wmma = nvcuda::wmma;

constexpr int BM = kTcRowsPerBlock, BN = kTcKeyTile, WARPS = kTcWarps;
static_assert(BM == 16 * WARPS, "each warp owns 16 query rows (one WMMA row of tiles)");
static_assert(BN == 32, "the output pass maps one key of the tile to each lane");

// Shared memory (bytes, in this order; every WMMA base pointer 32-byte aligned, ld multiples of 8 halves or 4
// floats as WMMA requires):
//   Qs [BM × D] 16-bit          the block's queries (loaded into fragments once)
//   Ks [BN × (D + 8)] 16-bit    the key tile (read as Kᵀ: column-major B fragments); +8 spreads the banks
//   Vs [BN × (D + 8)] 16-bit    output pass: the value tile
//   Ss [WARPS × 16 × (BN + 4)]  fp32: each warp's scores of the tile; at the end, its output staging
//   Ps [WARPS × 16 × (BN + 8)]  16-bit: output pass, each warp's probabilities of the tile (A fragments)
template <int D>
struct Layout {
    static constexpr int ldK = D + 8, ldS = BN + 4, ldP = BN + 8;
    static constexpr size_t q = 0;
    static constexpr size_t k = q + size_t(BM) * D * 2;
    static constexpr size_t v = k + size_t(BN) * ldK * 2;
    static constexpr size_t s = v + size_t(BN) * ldK * 2;
    static constexpr size_t p = s + size_t(WARPS) * 16 * ldS * 4;
    static constexpr size_t end = p + size_t(WARPS) * 16 * ldP * 2;
    static constexpr size_t statsBytes = v + size_t(WARPS) * 16 * ldS * 4;   // Q, K, S (Ss moved down to v)
};
static_assert(Layout<128>::end <= kStaticSmemLimit, "d = 128 must fit the 48 KiB static limit");
static_assert(Layout<128>::k % 32 == 0 && Layout<128>::v % 32 == 0 && Layout<128>::s % 32 == 0 && Layout<128>::p % 32 == 0,
              "WMMA needs 32-byte aligned tiles");
static_assert(Layout<64>::k % 32 == 0 && Layout<64>::v % 32 == 0 && Layout<64>::s % 32 == 0 && Layout<64>::p % 32 == 0,
              "WMMA needs 32-byte aligned tiles");

template <typename T>
__device__ inline T fromFloat(float x)
{
    if constexpr (std::is_same<T, float>::value)
        return x;
    else if constexpr (std::is_same<T, __half>::value)
        return __float2half_rn(x);
    else
        return __float2bfloat16_rn(x);
}

/// Rows [r0, r0 + rows) of one head of a 16-bit matrix into S (row stride ldS elements), 8 elements per 16-byte
/// load; rows at or past `limit` are zeros.
template <int D, typename T>
__device__ inline void loadRows16(const T* base, int64_t ld, int64_t headOffset, int64_t r0, int rows, int64_t limit,
                                  T* S, int ldS)
{
    constexpr int kChunks = D / 8;
    for (int e = threadIdx.x; e < rows * kChunks; e += blockDim.x) {
        const int r = e / kChunks, c8 = e % kChunks;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (r0 + r < limit)
            v = *reinterpret_cast<const uint4*>(base + (r0 + r) * ld + headOffset + c8 * 8);
        *reinterpret_cast<uint4*>(S + r * ldS + c8 * 8) = v;
    }
}

/// S[16 × BN] of this warp = Q_w · K_tileᵀ (unscaled) into the warp's Ss rows.
template <int D, typename T>
__device__ inline void scoreTile(const wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> (&qf)[D / 16],
                                 const T* Ks, float* Sw)
{
    using L = Layout<D>;
#pragma unroll
    for (int n = 0; n < BN / 16; ++n) {
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
        wmma::fill_fragment(acc, 0.f);
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) {
            wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> kf;
            wmma::load_matrix_sync(kf, Ks + n * 16 * L::ldK + kk * 16, L::ldK);
            wmma::mma_sync(acc, qf[kk], kf, acc);
        }
        wmma::store_matrix_sync(Sw + n * 16, acc, L::ldS, wmma::mem_row_major);
    }
}

template <int D, typename T>
__device__ void statsBody(const AttentionParams& p, AttentionRowRange range)
{
    using L = Layout<D>;
    extern __shared__ __align__(128) unsigned char smem[];
    T* Qs = reinterpret_cast<T*>(smem + L::q);
    T* Ks = reinterpret_cast<T*>(smem + L::k);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* Sw = reinterpret_cast<float*>(smem + L::v) + warp * 16 * L::ldS;   // stats pass: no V tile
    const int64_t T_ = p.tokens;
    const int64_t h = blockIdx.y, g = h / (p.heads / p.kvHeads);
    const int64_t i0 = (range.rowBlockBegin + blockIdx.x) * int64_t(BM), i1 = imin(i0 + BM, T_);

    loadRows16<D>(static_cast<const T*>(p.q), p.ldq, h * p.headStrideQ, i0, BM, T_, Qs, D);
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> qf[D / 16];
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
        wmma::load_matrix_sync(qf[kk], Qs + warp * 16 * D + kk * 16, D);

    const int rr = lane >> 1, half = lane & 1;   // two lanes per row, 16 columns each
    const int64_t i = i0 + warp * 16 + rr;
    RowStats st;
    const KeySpan hull = maskBlockHull(p.mask, i0, i1, T_);
    for (int64_t j0 = hull.begin; j0 < hull.end; j0 += BN) {
        const int64_t j1 = imin(j0 + BN, hull.end);
        if (!maskTileMayHaveValid(p.mask, i0, i1, j0, j1, T_))
            continue;   // the same decision in every thread of the block
        __syncthreads();
        loadRows16<D>(static_cast<const T*>(p.k), p.ldk, g * p.headStrideK, j0, BN, j1, Ks, L::ldK);
        __syncthreads();
        scoreTile<D, T>(qf, Ks, Sw);
        __syncwarp();
        float s[BN / 2];
        float tileMax = -INFINITY;
#pragma unroll
        for (int c = 0; c < BN / 2; ++c) {
            const int col = half * (BN / 2) + c;
            const int64_t j = j0 + col;
            const bool valid = i < i1 && j < j1 && maskValid(p.mask, i, j);
            s[c] = valid ? Sw[rr * L::ldS + col] * p.scale : -INFINITY;
            tileMax = fmaxf(tileMax, s[c]);
        }
        tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, 1));
        const float newMax = rowStatsNewMax(st, tileMax);
        float sum = 0.f;
        if (newMax != -INFINITY) {
#pragma unroll
            for (int c = 0; c < BN / 2; ++c)
                if (s[c] != -INFINITY)
                    sum += expf(s[c] - newMax);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        rowStatsAdd(st, newMax, sum);
        __syncwarp();   // Sw is read before the next tile overwrites it
    }
    const bool hasSink = p.sinkLogits != nullptr;
    const float sink = hasSink ? p.sinkLogits[h] : 0.f;
    if (half == 0 && i < i1) {
        const RowNorm n = rowStatsNorm(st, hasSink, sink);
        p.rowNorm[h * T_ + i] = n.max;
        p.rowNorm[(p.heads + h) * T_ + i] = n.logSum;
    }
}

template <int D, typename T, typename PT>
__device__ void outputBody(const AttentionParams& p, const AttentionHeadOutputs& o, AttentionRowRange range)
{
    using L = Layout<D>;
    extern __shared__ __align__(128) unsigned char smem[];
    T* Qs = reinterpret_cast<T*>(smem + L::q);
    T* Ks = reinterpret_cast<T*>(smem + L::k);
    T* Vs = reinterpret_cast<T*>(smem + L::v);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* Sw = reinterpret_cast<float*>(smem + L::s) + warp * 16 * L::ldS;
    T* Pw = reinterpret_cast<T*>(smem + L::p) + warp * 16 * L::ldP;
    const int64_t T_ = p.tokens;
    const int hl = blockIdx.y;
    const int64_t h = o.headBegin + hl, g = h / (p.heads / p.kvHeads);
    const int64_t i0 = (range.rowBlockBegin + blockIdx.x) * int64_t(BM), i1 = imin(i0 + BM, T_);
    const int64_t w0 = i0 + warp * 16;   // the warp's first row
    PT* probs = static_cast<PT*>(o.probs[hl]);

    loadRows16<D>(static_cast<const T*>(p.q), p.ldq, h * p.headStrideQ, i0, BM, T_, Qs, D);
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> qf[D / 16];
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
        wmma::load_matrix_sync(qf[kk], Qs + warp * 16 * D + kk * 16, D);
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> of[D / 16];
#pragma unroll
    for (int n = 0; n < D / 16; ++n)
        wmma::fill_fragment(of[n], 0.f);
    RowNorm norm[16];
#pragma unroll
    for (int r = 0; r < 16; ++r)
        if (w0 + r < i1)
            norm[r] = RowNorm{p.rowNorm[h * T_ + w0 + r], p.rowNorm[(p.heads + h) * T_ + w0 + r]};

    const KeySpan hull = maskBlockHull(p.mask, i0, i1, T_);
    if (probs)   // keys no row of the block may see
        for (int r = 0; r < 16; ++r) {
            if (w0 + r >= i1)
                break;
            PT* row = probs + (w0 + r) * T_;
            for (int64_t j = lane; j < hull.begin; j += 32)
                row[j] = fromFloat<PT>(0.f);
            for (int64_t j = hull.end + lane; j < T_; j += 32)
                row[j] = fromFloat<PT>(0.f);
        }
    for (int64_t j0 = hull.begin; j0 < hull.end; j0 += BN) {
        const int64_t j1 = imin(j0 + BN, hull.end);
        if (!maskTileMayHaveValid(p.mask, i0, i1, j0, j1, T_)) {
            if (probs)
                for (int r = 0; r < 16 && w0 + r < i1; ++r)
                    if (j0 + lane < j1)
                        probs[(w0 + r) * T_ + j0 + lane] = fromFloat<PT>(0.f);
            continue;   // the same decision in every thread of the block
        }
        __syncthreads();
        loadRows16<D>(static_cast<const T*>(p.k), p.ldk, g * p.headStrideK, j0, BN, j1, Ks, L::ldK);
        loadRows16<D>(static_cast<const T*>(p.v), p.ldv, g * p.headStrideV, j0, BN, j1, Vs, L::ldK);
        __syncthreads();
        scoreTile<D, T>(qf, Ks, Sw);
        __syncwarp();
        const int64_t j = j0 + lane;   // one key per lane (BN = 32)
#pragma unroll
        for (int r = 0; r < 16; ++r) {
            const int64_t i = w0 + r;
            const bool valid = i < i1 && j < j1 && maskValid(p.mask, i, j);
            const float pr = valid ? probFromNorm(Sw[r * L::ldS + lane] * p.scale, norm[r]) : 0.f;
            Pw[r * L::ldP + lane] = fromFloat<T>(pr);
            if (probs && i < i1 && j < j1)
                probs[i * T_ + j] = fromFloat<PT>(pr);
        }
        __syncwarp();
#pragma unroll
        for (int kk = 0; kk < BN / 16; ++kk) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> pf;
            wmma::load_matrix_sync(pf, Pw + kk * 16, L::ldP);
#pragma unroll
            for (int n = 0; n < D / 16; ++n) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> vf;
                wmma::load_matrix_sync(vf, Vs + kk * 16 * L::ldK + n * 16, L::ldK);
                wmma::mma_sync(of[n], pf, vf, of[n]);
            }
        }
        __syncwarp();   // Sw and Pw are read before the next tile overwrites them
    }

    // The output through the warp's score buffer, 16 columns at a time, rows past the last token dropped.
#pragma unroll
    for (int n = 0; n < D / 16; ++n) {
        wmma::store_matrix_sync(Sw, of[n], L::ldS, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32) {
            const int r = e / 16, c = e % 16;
            if (w0 + r < i1)
                p.out[(w0 + r) * p.ldo + h * p.headStrideO + n * 16 + c] = Sw[r * L::ldS + c];
        }
        __syncwarp();
    }
    if (lane < 16 && w0 + lane < i1) {
        RowNorm n = norm[0];
#pragma unroll
        for (int r = 1; r < 16; ++r)
            if (r == lane)
                n = norm[r];   // a register array indexed by constants only: no local memory
        const int64_t i = w0 + lane;
        if (o.lse[hl])
            o.lse[hl][i] = lseFromNorm(n);
        if (o.rowMax[hl])
            o.rowMax[hl][i] = n.max;
        if (o.rowLogSum[hl])
            o.rowLogSum[hl][i] = n.logSum;
        if (o.sinkProbs[hl]) {
            const bool hasSink = p.sinkLogits != nullptr;
            o.sinkProbs[hl][i] = sinkProbFromNorm(hasSink, hasSink ? p.sinkLogits[h] : 0.f, n);
        }
    }
}

// bf16 WMMA exists from sm_80 on: on older architectures the bf16 instantiations compile to a trap (the host
// refuses them first, AttentionTcOp::canImplement).
template <typename T>
constexpr bool kNeedsAmpere = std::is_same<T, __nv_bfloat16>::value;

template <int D, typename T>
__global__ void __launch_bounds__(WARPS * 32) tcStatsKernel(AttentionParams p, AttentionRowRange range)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    if constexpr (kNeedsAmpere<T>)
        __trap();
    else
        statsBody<D, T>(p, range);
#else
    statsBody<D, T>(p, range);
#endif
}

template <int D, typename T, typename PT>
__global__ void __launch_bounds__(WARPS * 32) tcOutputKernel(AttentionParams p, AttentionHeadOutputs o, AttentionRowRange range)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    if constexpr (kNeedsAmpere<T>)
        __trap();
    else
        outputBody<D, T, PT>(p, o, range);
#else
    outputBody<D, T, PT>(p, o, range);
#endif
}

template <int D, typename T>
void launchStats(const AttentionParams& p, AttentionRowRange range, cudaStream_t s)
{
    const dim3 grid(static_cast<unsigned>(range.rowBlockCount), static_cast<unsigned>(p.heads));
    tcStatsKernel<D, T><<<grid, WARPS * 32, Layout<D>::statsBytes, s>>>(p, range);
}

template <int D, typename T>
void launchOutput(const AttentionParams& p, const AttentionHeadOutputs& o, DType probsType, AttentionRowRange range, cudaStream_t s)
{
    const dim3 grid(static_cast<unsigned>(range.rowBlockCount), static_cast<unsigned>(o.headCount));
    if (probsType == DType::F32)
        tcOutputKernel<D, T, float><<<grid, WARPS * 32, Layout<D>::end, s>>>(p, o, range);
    else
        tcOutputKernel<D, T, T><<<grid, WARPS * 32, Layout<D>::end, s>>>(p, o, range);
}

template <typename T>
void dispatchStats(const AttentionParams& p, AttentionRowRange r, cudaStream_t s)
{
    if (p.headDim == 64)
        launchStats<64, T>(p, r, s);
    else
        launchStats<128, T>(p, r, s);
}

template <typename T>
void dispatchOutput(const AttentionParams& p, const AttentionHeadOutputs& o, DType pt, AttentionRowRange r, cudaStream_t s)
{
    if (p.headDim == 64)
        launchOutput<64, T>(p, o, pt, r, s);
    else
        launchOutput<128, T>(p, o, pt, r, s);
}

bool aligned16Bytes(const void* ptr)
{
    return reinterpret_cast<uintptr_t>(ptr) % 16 == 0;
}

} // namespace

Result AttentionTcOp::canImplement(const AttentionParams& p, DType probsDType, int smMajor)
{
    const int64_t T = p.tokens, H = p.heads, Hkv = p.kvHeads, d = p.headDim;
    if (T <= 0 || H <= 0 || Hkv <= 0 || d <= 0 || H % Hkv)
        return Result::invalid("attention (tensor cores): inconsistent sizes");
    if (p.dtype != DType::BF16 && p.dtype != DType::F16)
        return Result::notSupported("attention (tensor cores): inputs must be bf16 or fp16");
    if (p.dtype == DType::BF16 && smMajor < 8)
        return Result::notSupported("attention (tensor cores): bf16 needs compute capability 8.0 or newer");
    if (d != 64 && d != 128)
        return Result::notSupported("attention (tensor cores): head dim " + std::to_string(d) + " (64 or 128 only)");
    if (probsDType != DType::F32 && probsDType != p.dtype)
        return Result::notSupported("attention (tensor cores): probabilities in fp32 or the input type");
    if (p.headStrideQ < d || p.headStrideK < d || p.headStrideV < d || p.headStrideO < d ||
        p.ldq < (H - 1) * p.headStrideQ + d || p.ldk < (Hkv - 1) * p.headStrideK + d ||
        p.ldv < (Hkv - 1) * p.headStrideV + d || p.ldo < (H - 1) * p.headStrideO + d)
        return Result::invalid("attention (tensor cores): inconsistent strides");
    if (p.ldq % 8 || p.ldk % 8 || p.ldv % 8 || p.headStrideQ % 8 || p.headStrideK % 8 || p.headStrideV % 8 ||
        !aligned16Bytes(p.q) || !aligned16Bytes(p.k) || !aligned16Bytes(p.v))
        return Result::notSupported("attention (tensor cores): q, k, v must be 16-byte aligned with strides of 8 elements");
    if (!p.q || !p.k || !p.v || !p.out)
        return Result::invalid("attention (tensor cores): null pointer");
    if ((p.mask.kind == MaskKind::Sliding || p.mask.kind == MaskKind::SlidingSinks) && p.mask.window < 1)
        return Result::invalid("attention (tensor cores): a sliding window needs at least one key");
    if ((p.mask.kind == MaskKind::Longformer && !p.mask.isGlobal) || (p.mask.kind == MaskKind::BigBird && !p.mask.blockAllowed) ||
        (p.mask.kind == MaskKind::Explicit && !p.mask.bits) || (p.mask.kind == MaskKind::Fixed && p.mask.block < 1))
        return Result::invalid("attention (tensor cores): the mask lacks its table");
    if (H > 65535)
        return Result::notSupported("attention (tensor cores): more than 65535 heads");
    return Result::success();
}

Result AttentionTcOp::run(const AttentionParams& p, DType probsDType, const AttentionTcCapture& capture,
                          int64_t rowBlocksPerLaunch, const std::function<bool()>& stop, cudaStream_t stream)
{
    if (!p.rowNorm)
        return Result::invalid("attention (tensor cores): no workspace");
    const int64_t rowBlocks = (p.tokens + BM - 1) / BM;
    const int64_t chunk = rowBlocksPerLaunch > 0 && rowBlocksPerLaunch < rowBlocks ? rowBlocksPerLaunch : rowBlocks;
    const bool chunked = chunk < rowBlocks;
    auto between = [&]() -> Result {
        if (chunked)
            if (cudaError_t e = cudaStreamSynchronize(stream); e != cudaSuccess)
                return resultFromCuda(e, "attention (tensor cores)");
        if (stop && stop())
            return Result::cancelled();
        return Result::success();
    };
    const bool bf16 = p.dtype == DType::BF16;
    for (int64_t rb = 0; rb < rowBlocks; rb += chunk) {
        if (Result r = between(); !r.ok())
            return r;
        const AttentionRowRange range{rb, rowBlocks - rb < chunk ? rowBlocks - rb : chunk};
        if (bf16)
            dispatchStats<__nv_bfloat16>(p, range, stream);
        else
            dispatchStats<__half>(p, range, stream);
        if (Result r = checkLaunch("attention_tc_stats"); !r.ok())
            return r;
    }
    auto entry = [](const auto& v, int64_t h) { return size_t(h) < v.size() ? v[size_t(h)] : nullptr; };
    for (int64_t hb = 0; hb < p.heads; hb += kMaxHeadsPerLaunch) {
        AttentionHeadOutputs o;
        o.headBegin = hb;
        o.headCount = p.heads - hb < kMaxHeadsPerLaunch ? p.heads - hb : kMaxHeadsPerLaunch;
        o.probsDType = probsDType;
        for (int64_t k = 0; k < o.headCount; ++k) {
            o.probs[k] = entry(capture.probs, hb + k);
            o.lse[k] = entry(capture.lse, hb + k);
            o.rowMax[k] = entry(capture.rowMax, hb + k);
            o.rowLogSum[k] = entry(capture.rowLogSum, hb + k);
            o.sinkProbs[k] = entry(capture.sinkProbs, hb + k);
        }
        for (int64_t rb = 0; rb < rowBlocks; rb += chunk) {
            if (Result r = between(); !r.ok())
                return r;
            const AttentionRowRange range{rb, rowBlocks - rb < chunk ? rowBlocks - rb : chunk};
            if (bf16)
                dispatchOutput<__nv_bfloat16>(p, o, probsDType, range, stream);
            else
                dispatchOutput<__half>(p, o, probsDType, range, stream);
            if (Result r = checkLaunch("attention_tc_output"); !r.ok())
                return r;
        }
    }
    return Result::success();
}

} // namespace attnscope::cuda
