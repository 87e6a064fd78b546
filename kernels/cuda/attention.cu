// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/attention.cuh"

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/mask_math.h"
#include "kernels/cuda/softmax_math.h"

#include <algorithm>

namespace attnscope::cuda {

namespace {

// Block layout (both passes): `warps` warps; warp w owns the query rows i0 + w·kRows … + kRows − 1 of the block
// and, within a key tile, the keys lane and lane + 32. Shared memory (floats):
//   Qs [rowsPerBlock × d]       scale·q of the block's rows (zeros past the last token)
//   Ks [keyTile × (d + 1)]      the tile's keys, rows padded by one float (conflict-free column reads)
//   Vs [keyTile × d]            output pass: the tile's values
//   Ps [rowsPerBlock × keyTile] output pass: each warp's probabilities of the tile, read back across lanes
constexpr int kRows = kAttnRowsPerWarp;
constexpr int kMaxKeysPerLane = 2;   // key tiles hold at most 64 keys
constexpr int kMaxThreads = 128;     // ≤ 4 warps per block (cuda_heuristics.h)

__device__ inline void loadQueries(const AttentionParams& p, int64_t h, int64_t i0, int rowsPerBlock, float* Qs)
{
    const float* q = static_cast<const float*>(p.q);
    const int64_t d = p.headDim;
    const int64_t n = int64_t(rowsPerBlock) * d;
    for (int64_t e = threadIdx.x; e < n; e += blockDim.x) {
        const int64_t r = e / d, c = e - r * d, i = i0 + r;
        Qs[e] = i < p.tokens ? q[i * p.ldq + h * p.headStrideQ + c] * p.scale : 0.f;
    }
}

/// Rows j0 … j0 + keyTile − 1 of one head of K or V into S (row stride `stride`); rows at or past j1 are zeros.
__device__ inline void loadTile(const float* base, int64_t ld, int64_t headOffset, int64_t d, int64_t j0, int64_t j1,
                                int keyTile, int64_t stride, float* S)
{
    const int64_t n = int64_t(keyTile) * d;
    for (int64_t e = threadIdx.x; e < n; e += blockDim.x) {
        const int64_t jj = e / d, c = e - jj * d, j = j0 + jj;
        S[jj * stride + c] = j < j1 ? base[j * ld + headOffset + c] : 0.f;
    }
}

/// Scores of the warp's rows against the lane's keys of the tile [j0, j1): s[r][kk] for row i0 + rowBase + r and
/// key j0 + lane + 32·kk, −inf where the cell is outside the tile, past the last row, or masked.
__device__ inline void tileScores(const AttentionParams& p, const float* Qs, const float* Ks, int keyTile, int rowBase,
                                  int64_t i0, int64_t i1, int64_t j0, int64_t j1, float s[kRows][kMaxKeysPerLane])
{
    const int64_t d = p.headDim;
    const int lane = threadIdx.x & 31;
    const float* qr = Qs + int64_t(rowBase) * d;
#pragma unroll
    for (int kk = 0; kk < kMaxKeysPerLane; ++kk) {
        const int jj = lane + 32 * kk;
        const int64_t j = j0 + jj;
        float acc[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r)
            acc[r] = 0.f;
        const bool inTile = jj < keyTile && j < j1;
        if (inTile) {
            const float* kr = Ks + int64_t(jj) * (d + 1);
            for (int64_t c = 0; c < d; ++c) {
                const float kv = kr[c];
#pragma unroll
                for (int r = 0; r < kRows; ++r)
                    acc[r] += qr[r * d + c] * kv;
            }
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = i0 + rowBase + r;
            s[r][kk] = inTile && i < i1 && maskValid(p.mask, i, j) ? acc[r] : -INFINITY;
        }
    }
}

__global__ void __launch_bounds__(kMaxThreads) attentionStatsKernel(AttentionParams p, AttentionRowRange range,
                                                                     int rowsPerBlock, int keyTile)
{
    extern __shared__ float smem[];
    const int64_t d = p.headDim;
    float* Qs = smem;
    float* Ks = Qs + int64_t(rowsPerBlock) * d;
    const int64_t h = blockIdx.y;
    const int64_t g = h / (p.heads / p.kvHeads);
    const int64_t i0 = (range.rowBlockBegin + blockIdx.x) * int64_t(rowsPerBlock);
    const int64_t i1 = imin(i0 + rowsPerBlock, p.tokens);
    const int lane = threadIdx.x & 31;
    const int rowBase = (threadIdx.x >> 5) * kRows;

    loadQueries(p, h, i0, rowsPerBlock, Qs);
    RowStats st[kRows];
    const KeySpan hull = maskBlockHull(p.mask, i0, i1, p.tokens);
    const float* kb = static_cast<const float*>(p.k);
    for (int64_t j0 = hull.begin; j0 < hull.end; j0 += keyTile) {
        const int64_t j1 = imin(j0 + keyTile, hull.end);
        if (!maskTileMayHaveValid(p.mask, i0, i1, j0, j1, p.tokens))
            continue;   // the same decision in every thread of the block
        __syncthreads();   // the previous tile is consumed (first tile: the queries are in place)
        loadTile(kb, p.ldk, g * p.headStrideK, d, j0, j1, keyTile, d + 1, Ks);
        __syncthreads();
        float s[kRows][kMaxKeysPerLane];
        tileScores(p, Qs, Ks, keyTile, rowBase, i0, i1, j0, j1, s);
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            float tileMax = -INFINITY;
#pragma unroll
            for (int kk = 0; kk < kMaxKeysPerLane; ++kk)
                tileMax = fmaxf(tileMax, s[r][kk]);
            tileMax = warpMax(tileMax);
            const float newMax = rowStatsNewMax(st[r], tileMax);
            float sum = 0.f;
            if (newMax != -INFINITY) {
#pragma unroll
                for (int kk = 0; kk < kMaxKeysPerLane; ++kk)
                    if (s[r][kk] != -INFINITY)
                        sum += expf(s[r][kk] - newMax);
            }
            sum = warpSum(sum);   // every lane holds the same reduced values, so st[r] stays warp-uniform
            rowStatsAdd(st[r], newMax, sum);
        }
    }
    const bool hasSink = p.sinkLogits != nullptr;
    const float sink = hasSink ? p.sinkLogits[h] : 0.f;
    if (lane == 0) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = i0 + rowBase + r;
            if (i < i1) {
                const RowNorm n = rowStatsNorm(st[r], hasSink, sink);
                p.rowNorm[h * p.tokens + i] = n.max;
                p.rowNorm[(p.heads + h) * p.tokens + i] = n.logSum;
            }
        }
    }
}

template <int DMAX>
__global__ void __launch_bounds__(kMaxThreads) attentionOutputKernel(AttentionParams p, AttentionHeadOutputs o,
                                                                      AttentionRowRange range, int rowsPerBlock,
                                                                      int keyTile)
{
    constexpr int kCols = DMAX / 32;   // output columns per lane: lane, lane + 32, …
    extern __shared__ float smem[];
    const int64_t d = p.headDim, T = p.tokens;
    float* Qs = smem;
    float* Ks = Qs + int64_t(rowsPerBlock) * d;
    float* Vs = Ks + int64_t(keyTile) * (d + 1);
    float* Ps = Vs + int64_t(keyTile) * d;
    const int hl = blockIdx.y;
    const int64_t h = o.headBegin + hl;
    const int64_t g = h / (p.heads / p.kvHeads);
    const int64_t i0 = (range.rowBlockBegin + blockIdx.x) * int64_t(rowsPerBlock);
    const int64_t i1 = imin(i0 + rowsPerBlock, T);
    const int lane = threadIdx.x & 31;
    const int rowBase = (threadIdx.x >> 5) * kRows;
    float* probs = static_cast<float*>(o.probs[hl]);   // row i at probs + (i − pRow)·T
    const int64_t pRow = o.probsRowOffset;

    loadQueries(p, h, i0, rowsPerBlock, Qs);
    RowNorm norm[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
        const int64_t i = i0 + rowBase + r;
        if (i < i1)
            norm[r] = RowNorm{p.rowNorm[h * T + i], p.rowNorm[(p.heads + h) * T + i]};
    }
    float acc[kRows][kCols];
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int t = 0; t < kCols; ++t)
            acc[r][t] = 0.f;

    const KeySpan hull = maskBlockHull(p.mask, i0, i1, T);
    if (probs) {   // keys no row of the block may see: zeros
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = i0 + rowBase + r;
            if (i >= i1)
                continue;
            float* row = probs + (i - pRow) * T;
            for (int64_t j = lane; j < hull.begin; j += 32)
                row[j] = 0.f;
            for (int64_t j = hull.end + lane; j < T; j += 32)
                row[j] = 0.f;
        }
    }
    const float* kb = static_cast<const float*>(p.k);
    const float* vb = static_cast<const float*>(p.v);
    for (int64_t j0 = hull.begin; j0 < hull.end; j0 += keyTile) {
        const int64_t j1 = imin(j0 + keyTile, hull.end);
        if (!maskTileMayHaveValid(p.mask, i0, i1, j0, j1, T)) {
            if (probs) {
#pragma unroll
                for (int r = 0; r < kRows; ++r) {
                    const int64_t i = i0 + rowBase + r;
                    if (i < i1)
                        for (int64_t j = j0 + lane; j < j1; j += 32)
                            probs[(i - pRow) * T + j] = 0.f;
                }
            }
            continue;   // the same decision in every thread of the block
        }
        __syncthreads();   // the previous tile is consumed (first tile: the queries are in place)
        loadTile(kb, p.ldk, g * p.headStrideK, d, j0, j1, keyTile, d + 1, Ks);
        loadTile(vb, p.ldv, g * p.headStrideV, d, j0, j1, keyTile, d, Vs);
        __syncthreads();
        float s[kRows][kMaxKeysPerLane];
        tileScores(p, Qs, Ks, keyTile, rowBase, i0, i1, j0, j1, s);
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = i0 + rowBase + r;
#pragma unroll
            for (int kk = 0; kk < kMaxKeysPerLane; ++kk) {
                const int jj = lane + 32 * kk;
                if (jj >= keyTile)
                    continue;
                const float pr = s[r][kk] == -INFINITY ? 0.f : probFromNorm(s[r][kk], norm[r]);
                Ps[(rowBase + r) * keyTile + jj] = pr;
                const int64_t j = j0 + jj;
                if (probs && i < i1 && j < j1)
                    probs[(i - pRow) * T + j] = pr;
            }
        }
        __syncwarp();   // the warp's Ps rows are written
        const int64_t n = j1 - j0;
        for (int64_t jj = 0; jj < n; ++jj) {
            const float* vr = Vs + jj * d;
            float vv[kCols];
#pragma unroll
            for (int t = 0; t < kCols; ++t) {
                const int64_t c = lane + 32 * t;
                vv[t] = c < d ? vr[c] : 0.f;
            }
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                const float pr = Ps[(rowBase + r) * keyTile + jj];
#pragma unroll
                for (int t = 0; t < kCols; ++t)
                    acc[r][t] += pr * vv[t];
            }
        }
        __syncwarp();   // Ps is read before the next tile overwrites it
    }

    const bool hasSink = p.sinkLogits != nullptr;
    const float sink = hasSink ? p.sinkLogits[h] : 0.f;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
        const int64_t i = i0 + rowBase + r;
        if (i >= i1)
            continue;
        float* orow = p.out + i * p.ldo + h * p.headStrideO;
#pragma unroll
        for (int t = 0; t < kCols; ++t) {
            const int64_t c = lane + 32 * t;
            if (c < d)
                orow[c] = acc[r][t];
        }
        if (lane == 0) {
            if (o.lse[hl])
                o.lse[hl][i] = lseFromNorm(norm[r]);
            if (o.rowMax[hl])
                o.rowMax[hl][i] = norm[r].max;
            if (o.rowLogSum[hl])
                o.rowLogSum[hl][i] = norm[r].logSum;
            if (o.sinkProbs[hl])
                o.sinkProbs[hl][i] = sinkProbFromNorm(hasSink, sink, norm[r]);
        }
    }
}

template <int DMAX>
void launchOutput(const AttentionParams& p, const AttentionHeadOutputs& o, AttentionRowRange range,
                  const AttentionTiles& t, cudaStream_t stream)
{
    const dim3 grid(static_cast<unsigned>(range.rowBlockCount), static_cast<unsigned>(o.headCount));
    attentionOutputKernel<DMAX><<<grid, t.warps * 32, t.outputSmemBytes, stream>>>(p, o, range, t.rowsPerBlock, t.keyTile);
}

} // namespace

Result AttentionOp::canImplement(const AttentionParams& p, const AttentionTiles& t)
{
    const int64_t T = p.tokens, H = p.heads, Hkv = p.kvHeads, d = p.headDim;
    if (T <= 0 || H <= 0 || Hkv <= 0 || d <= 0 || H % Hkv)
        return Result::invalid("attention: inconsistent sizes");
    if (p.dtype != DType::F32)
        return Result::notSupported("attention: the fp32 kernel takes fp32 inputs");
    if (p.headStrideQ < d || p.headStrideK < d || p.headStrideV < d || p.headStrideO < d ||
        p.ldq < (H - 1) * p.headStrideQ + d || p.ldk < (Hkv - 1) * p.headStrideK + d ||
        p.ldv < (Hkv - 1) * p.headStrideV + d || p.ldo < (H - 1) * p.headStrideO + d)
        return Result::invalid("attention: inconsistent strides");
    if (!p.q || !p.k || !p.v || !p.out)
        return Result::invalid("attention: null pointer");
    if ((p.mask.kind == MaskKind::Sliding || p.mask.kind == MaskKind::SlidingSinks) && p.mask.window < 1)
        return Result::invalid("attention: a sliding window needs at least one key");
    switch (p.mask.kind) {
    case MaskKind::Causal:
    case MaskKind::Bidirectional:
    case MaskKind::Sliding:
    case MaskKind::SlidingSinks: break;
    case MaskKind::Longformer:
        if (!p.mask.isGlobal || p.mask.window < 0)
            return Result::invalid("attention: a Longformer mask needs its global flags and a window ≥ 0");
        break;
    case MaskKind::BigBird:
        if (!p.mask.blockAllowed || p.mask.block < 1 || p.mask.queryBlocks < 0 || p.mask.keyBlocks < (T + p.mask.block - 1) / p.mask.block)
            return Result::invalid("attention: a BigBird mask needs its block table");
        break;
    case MaskKind::Fixed:
        if (p.mask.block < 1 || p.mask.stride < 0 || p.mask.stride > p.mask.block)
            return Result::invalid("attention: a fixed pattern needs a block ≥ 1 and 0 ≤ stride ≤ block");
        break;
    case MaskKind::Explicit:
        if (!p.mask.bits || p.mask.bitsTokens < 0 || p.mask.wordsPerRow < (p.mask.bitsTokens + 63) / 64)
            return Result::invalid("attention: an explicit mask needs its bits");
        break;
    default: return Result::invalid("attention: unknown mask kind");
    }
    if (d > 256)
        return Result::notSupported("attention: head dim " + std::to_string(d) + " > 256");
    if (H > 65535)
        return Result::notSupported("attention: more than 65535 heads");
    if (!t.ok || t.dMax < d || t.keyTile < 1 || t.keyTile > 32 * kMaxKeysPerLane || t.warps < 1 ||
        t.warps * 32 > kMaxThreads || t.rowsPerBlock != t.warps * kRows || t.outputSmemBytes > kStaticSmemLimit ||
        t.rowBlocks * t.rowsPerBlock < T || t.rowBlocksPerLaunch < 1)
        return Result::notSupported("attention: no tile configuration for this shape");
    return Result::success();
}

namespace {

/// Between launches: waits for the device when the work is split into several launches (so a cancel is honoured
/// within about one launch), then polls `stop`.
Result betweenLaunches(bool chunked, const std::function<bool()>& stop, cudaStream_t stream)
{
    if (chunked)
        if (cudaError_t e = cudaStreamSynchronize(stream); e != cudaSuccess)
            return resultFromCuda(e, "attention");
    if (stop && stop())
        return Result::cancelled();
    return Result::success();
}

} // namespace

Result AttentionOp::runStatistics(const AttentionParams& p, const AttentionTiles& t, const std::function<bool()>& stop,
                                  cudaStream_t stream)
{
    if (!p.rowNorm)
        return Result::invalid("attention: no workspace");
    const bool chunked = t.rowBlocksPerLaunch < t.rowBlocks;
    for (int64_t rb = 0; rb < t.rowBlocks; rb += t.rowBlocksPerLaunch) {
        if (Result r = betweenLaunches(chunked, stop, stream); !r.ok())
            return r;
        const AttentionRowRange range{rb, std::min(t.rowBlocks - rb, t.rowBlocksPerLaunch)};
        const dim3 grid(static_cast<unsigned>(range.rowBlockCount), static_cast<unsigned>(p.heads));
        attentionStatsKernel<<<grid, t.warps * 32, t.statsSmemBytes, stream>>>(p, range, t.rowsPerBlock, t.keyTile);
        if (Result r = checkLaunch("attention_stats"); !r.ok())
            return r;
    }
    return Result::success();
}

Result AttentionOp::runOutput(const AttentionParams& p, const AttentionTiles& t, const AttentionCapture& capture,
                              int64_t headBegin, int64_t headEnd, int64_t rowBlockBegin, int64_t rowBlockEnd,
                              int64_t probsRowOffset, const std::function<bool()>& stop, cudaStream_t stream)
{
    if (!p.rowNorm)
        return Result::invalid("attention: no workspace");
    headBegin = std::max<int64_t>(headBegin, 0);
    headEnd = std::min(headEnd, p.heads);
    rowBlockBegin = std::max<int64_t>(rowBlockBegin, 0);
    rowBlockEnd = std::min(rowBlockEnd, t.rowBlocks);
    const bool chunked = rowBlockEnd - rowBlockBegin > t.rowBlocksPerLaunch || headEnd - headBegin > kMaxHeadsPerLaunch;
    auto entry = [](const std::vector<float*>& v, int64_t h) { return size_t(h) < v.size() ? v[size_t(h)] : nullptr; };
    // Heads in groups whose per-head pointers fit a launch's parameters.
    for (int64_t hb = headBegin; hb < headEnd; hb += kMaxHeadsPerLaunch) {
        AttentionHeadOutputs o;
        o.headBegin = hb;
        o.headCount = std::min<int64_t>(headEnd - hb, kMaxHeadsPerLaunch);
        o.probsRowOffset = probsRowOffset;
        o.probsDType = DType::F32;
        for (int64_t k = 0; k < o.headCount; ++k) {
            o.probs[k] = entry(capture.probs, hb + k);
            o.lse[k] = entry(capture.lse, hb + k);
            o.rowMax[k] = entry(capture.rowMax, hb + k);
            o.rowLogSum[k] = entry(capture.rowLogSum, hb + k);
            o.sinkProbs[k] = entry(capture.sinkProbs, hb + k);
        }
        for (int64_t rb = rowBlockBegin; rb < rowBlockEnd; rb += t.rowBlocksPerLaunch) {
            if (Result r = betweenLaunches(chunked, stop, stream); !r.ok())
                return r;
            const AttentionRowRange range{rb, std::min(rowBlockEnd - rb, t.rowBlocksPerLaunch)};
            switch (t.dMax) {
            case 64: launchOutput<64>(p, o, range, t, stream); break;
            case 128: launchOutput<128>(p, o, range, t, stream); break;
            default: launchOutput<256>(p, o, range, t, stream); break;
            }
            if (Result r = checkLaunch("attention_output"); !r.ok())
                return r;
        }
    }
    return Result::success();
}

Result AttentionOp::run(const AttentionParams& p, const AttentionTiles& t, const AttentionCapture& capture,
                        const std::function<bool()>& stop, cudaStream_t stream)
{
    if (Result r = runStatistics(p, t, stop, stream); !r.ok())
        return r;
    return runOutput(p, t, capture, 0, p.heads, 0, t.rowBlocks, 0, stop, stream);
}

} // namespace attnscope::cuda
