// The head view's cache of computed pyramid tiles (ui/render/tile_pyramid.h): least recently used tiles are
// dropped once the tiles held exceed a byte cap (256 MB by default: about 4,000 tiles of 128 × 128 floats, every
// exact tile of a few heads at 8,192 tokens, or the visible levels of many). Tiles are immutable and shared, so
// a tile dropped here stays alive while a composition job still reads it.
// Threading: UI thread (workers only compute tiles; the UI thread inserts them).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/tile_pyramid.h"

#include <list>
#include <map>

namespace attnscope {

class TileCache {
public:
    static constexpr size_t kDefaultCapBytes = size_t(256) << 20;

    explicit TileCache(size_t capBytes = kDefaultCapBytes) : m_cap(capBytes) {}

    /// The tile, marked as most recently used; null when not cached.
    PyramidTilePtr get(const TileKey& key);
    /// The tile without touching its recency (for existence checks).
    bool contains(const TileKey& key) const { return m_index.count(key) != 0; }
    /// Inserts (or replaces) a tile, then evicts least recently used tiles while over the cap (never the one
    /// just inserted).
    void insert(PyramidTilePtr tile);
    void clear();
    void setCapBytes(size_t bytes);

    size_t bytes() const { return m_bytes; }
    size_t capBytes() const { return m_cap; }
    size_t size() const { return m_index.size(); }
    /// Tiles dropped to stay under the cap since construction.
    size_t evictions() const { return m_evictions; }

private:
    void evict();

    size_t m_cap;
    size_t m_bytes = 0;
    size_t m_evictions = 0;
    std::list<PyramidTilePtr> m_lru;   // most recent first
    std::map<TileKey, std::list<PyramidTilePtr>::iterator> m_index;
};

} // namespace attnscope
