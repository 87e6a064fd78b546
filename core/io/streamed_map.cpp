// Streaming a long run's map row block by row block.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/streamed_map.h"

#include "core/io/npy.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace attnscope {

void streamedMapRows(const HeadTileSource& src, int64_t i0, int64_t i1, float* out, int threads)
{
    const int64_t T = src.tokens();
    std::fill(out, out + (i1 - i0) * T, 0.f);
    if (i1 <= i0)
        return;
    const int n = static_cast<int>(std::clamp<int64_t>(threads > 0 ? threads : std::thread::hardware_concurrency(), 1, i1 - i0));
    // Interleaved slices of 8 rows, so a causal block's longer rows are shared out evenly.
    constexpr int64_t kSlice = 8;
    auto work = [&](int k) {
        std::vector<float> buf;
        for (int64_t a = i0 + k * kSlice; a < i1; a += n * kSlice) {
            const int64_t b = std::min(i1, a + kSlice);
            const KeyRange hull = src.mask().blockHull(a, b, T);
            const int64_t h0 = std::clamp<int64_t>(hull.begin, 0, T), h1 = std::clamp<int64_t>(hull.end, h0, T);
            if (h1 <= h0)
                continue;
            buf.resize(static_cast<size_t>((b - a) * (h1 - h0)));
            src.tile(a, b, h0, h1, buf.data());
            for (int64_t i = a; i < b; ++i)
                std::copy_n(buf.data() + (i - a) * (h1 - h0), h1 - h0, out + (i - i0) * T + h0);
        }
    };
    std::vector<std::thread> pool;
    for (int k = 1; k < n; ++k)
        pool.emplace_back(work, k);
    work(0);
    for (std::thread& t : pool)
        t.join();
}

bool writeStreamedMapNpy(ByteSink& sink, const HeadTileSource& src, std::string& error)
{
    const int64_t T = src.tokens();
    const std::string header = npyHeader("<f4", {T, T});
    if (!sink.write(header.data(), header.size())) {
        error = "write failed: " + sink.errorString();
        return false;
    }
    std::vector<float> rows;
    for (int64_t i0 = 0; i0 < T; i0 += kStreamedRowBlock) {
        const int64_t i1 = std::min(T, i0 + kStreamedRowBlock);
        rows.resize(static_cast<size_t>((i1 - i0) * T));
        streamedMapRows(src, i0, i1, rows.data());
        if (!sink.write(rows.data(), rows.size() * sizeof(float))) {
            error = "write failed: " + sink.errorString();
            return false;
        }
    }
    return true;
}

} // namespace attnscope
