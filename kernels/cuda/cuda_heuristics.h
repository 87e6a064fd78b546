// Launch heuristics of the CUDA kernels, with the reasoning (docs/CUDA.md "Heuristics"). Pure host arithmetic,
// unit-tested on machines without a GPU (tests/kernels/test_cuda_host.cpp).
//
// Tile levels: level 0 is the normal configuration; a run that hit a device error or ran out of memory is retried
// at level 1 (half the key tile, half the warps, a smaller cuBLASLt workspace) and the backend allows level 2
// (the smallest tiles, no cuBLASLt workspace) before the run falls back to the CPU.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstddef>
#include <cstdint>

namespace attnscope::cuda {

inline constexpr int kMaxTileLevel = 2;

/// Shared memory one block may use without opting in to more (48 KiB on every architecture we build for).
inline constexpr size_t kStaticSmemLimit = 48 * 1024;

// ---- elementwise kernels ---------------------------------------------------------------------------------------

/// 256 threads per block: a multiple of the warp size that keeps ≥ 8 blocks resident per SM on sm_75 … sm_90.
/// The grid is capped and the kernels loop (grid-stride), so any n works and huge n do not create millions of
/// blocks.
inline constexpr int kElementwiseThreads = 256;
inline constexpr int64_t kMaxElementwiseBlocks = 65535;

inline int64_t elementwiseBlocks(int64_t n)
{
    if (n <= 0)
        return 0;
    const int64_t b = (n + kElementwiseThreads - 1) / kElementwiseThreads;
    return b < kMaxElementwiseBlocks ? b : kMaxElementwiseBlocks;
}

// ---- norms -----------------------------------------------------------------------------------------------------

/// One block per row (grid-stride over rows). Threads: enough that each handles ≤ ~8 columns of a model's rows
/// (d_model 576 … 4096 → 128 or 256), one warp for head-dim rows (q/k norms: 64 … 256 columns), so short rows
/// do not leave most of a block idle.
inline int normThreads(int64_t cols)
{
    if (cols <= 256)
        return 32;
    if (cols <= 1024)
        return 128;
    return 256;
}
inline constexpr int64_t kMaxNormBlocks = 65535;

// ---- attention (fp32 path) -------------------------------------------------------------------------------------

/// Each warp owns this many query rows: a key element loaded from shared memory into a register serves four
/// FMAs (one per row), so the score loop is not bound by shared-memory loads.
inline constexpr int kAttnRowsPerWarp = 4;

struct AttentionTiles {
    bool ok = false;
    int dMax = 0;                   // register bucket of the output accumulators: 64, 128 or 256
    int warps = 0;                  // warps per block
    int rowsPerBlock = 0;           // warps · kAttnRowsPerWarp query rows per block
    int keyTile = 0;                // keys per shared-memory tile
    size_t statsSmemBytes = 0;      // Q rows + K tile
    size_t outputSmemBytes = 0;     // Q rows + K tile + V tile + the block's probabilities of one tile
    int64_t rowBlocks = 0;          // ceil(tokens / rowsPerBlock)
    int64_t rowBlocksPerLaunch = 0; // launch chunk (see attentionRowBlocksPerLaunch)
};

/// Shared memory of the two fp32 passes for head dim d. K rows are padded to d + 1 floats so the 32 lanes of a
/// warp, each reading a different key at the same column, hit 32 different banks.
inline size_t attentionStatsSmem(int64_t d, int rowsPerBlock, int keyTile)
{
    return sizeof(float) * (size_t(rowsPerBlock) * size_t(d) + size_t(keyTile) * size_t(d + 1));
}
inline size_t attentionOutputSmem(int64_t d, int rowsPerBlock, int keyTile)
{
    return attentionStatsSmem(d, rowsPerBlock, keyTile) +
           sizeof(float) * (size_t(keyTile) * size_t(d) + size_t(rowsPerBlock) * size_t(keyTile));
}

/// Row blocks per launch. Reasoning: one launch should fill the GPU (≥ 1024 blocks: several waves on a 132-SM
/// H100/H200) but stay short (≤ 2^36 multiply-adds, ≈ 10–30 ms of fp32 work on sm_80/sm_90), because a kernel
/// cannot be pre-empted: the glue checks cancellation and synchronises between launches, so cancel latency is
/// about one launch. The work of a row block is bounded by rowsPerBlock · tokens keys · d · heads.
inline int64_t attentionRowBlocksPerLaunch(int64_t tokens, int64_t d, int64_t heads, int rowsPerBlock, int64_t rowBlocks)
{
    if (rowBlocks <= 0)
        return 0;
    const double macsPerBlock = double(rowsPerBlock) * double(tokens) * double(d) * double(heads > 0 ? heads : 1);
    const double budget = double(int64_t(1) << 36);
    int64_t n = macsPerBlock > 0 ? static_cast<int64_t>(budget / macsPerBlock) : rowBlocks;
    const int64_t minBlocks = (1024 + (heads > 0 ? heads : 1) - 1) / (heads > 0 ? heads : 1);
    if (n < minBlocks)
        n = minBlocks;
    if (n < 1)
        n = 1;
    return n < rowBlocks ? n : rowBlocks;
}

/// Tiles of the fp32 attention kernels for head dim d at a tile level (0 normal, 1, 2 smaller). Level 0 keeps
/// the output pass — the larger one — under the 48 KiB static shared-memory limit: d ≤ 64: 16 rows × 64 keys
/// (41 KiB), d ≤ 128: 16 rows × 32 keys (43 KiB), d ≤ 256: 8 rows × 16 keys (41 KiB). Each level halves the key
/// tile (≥ 8) and the warps (≥ 1). d > 256 is not supported (ok = false).
inline AttentionTiles chooseAttentionTiles(int64_t tokens, int64_t d, int64_t heads, int level)
{
    AttentionTiles t;
    if (tokens <= 0 || d <= 0 || d > 256 || heads <= 0)
        return t;
    if (level < 0)
        level = 0;
    if (level > kMaxTileLevel)
        level = kMaxTileLevel;
    t.dMax = d <= 64 ? 64 : (d <= 128 ? 128 : 256);
    t.warps = t.dMax == 256 ? 2 : 4;
    t.keyTile = t.dMax == 64 ? 64 : (t.dMax == 128 ? 32 : 16);
    for (int l = 0; l < level; ++l) {
        t.warps = t.warps > 1 ? t.warps / 2 : 1;
        t.keyTile = t.keyTile > 8 ? t.keyTile / 2 : 8;
    }
    t.rowsPerBlock = t.warps * kAttnRowsPerWarp;
    while (attentionOutputSmem(d, t.rowsPerBlock, t.keyTile) > kStaticSmemLimit && t.keyTile > 8)
        t.keyTile /= 2;
    t.statsSmemBytes = attentionStatsSmem(d, t.rowsPerBlock, t.keyTile);
    t.outputSmemBytes = attentionOutputSmem(d, t.rowsPerBlock, t.keyTile);
    if (t.outputSmemBytes > kStaticSmemLimit)
        return t;
    t.rowBlocks = (tokens + t.rowsPerBlock - 1) / t.rowsPerBlock;
    t.rowBlocksPerLaunch = attentionRowBlocksPerLaunch(tokens, d, heads, t.rowsPerBlock, t.rowBlocks);
    t.ok = true;
    return t;
}

// ---- GEMM ------------------------------------------------------------------------------------------------------

/// cuBLASLt workspace per tile level: 32 MiB lets the heuristic pick split-K and stream-K kernels for the long-K
/// projections (down projection, K = ffn); level 1 keeps 4 MiB, level 2 none (every algorithm that needs no
/// workspace still runs).
inline size_t gemmWorkspaceBytes(int level)
{
    return level <= 0 ? (size_t(32) << 20) : (level == 1 ? (size_t(4) << 20) : 0);
}

} // namespace attnscope::cuda
