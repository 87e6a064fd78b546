// TileCache: an LRU list plus an index, bounded by the bytes of the tiles held.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/tile_cache.h"

namespace attnscope {

PyramidTilePtr TileCache::get(const TileKey& key)
{
    const auto it = m_index.find(key);
    if (it == m_index.end())
        return nullptr;
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    return *it->second;
}

void TileCache::insert(PyramidTilePtr tile)
{
    if (!tile)
        return;
    const auto it = m_index.find(tile->key);
    if (it != m_index.end()) {
        m_bytes -= (*it->second)->bytes();
        m_lru.erase(it->second);
        m_index.erase(it);
    }
    m_bytes += tile->bytes();
    m_lru.push_front(tile);
    m_index[tile->key] = m_lru.begin();
    evict();
}

void TileCache::evict()
{
    while (m_bytes > m_cap && m_lru.size() > 1) {
        const PyramidTilePtr& last = m_lru.back();
        m_bytes -= last->bytes();
        m_index.erase(last->key);
        m_lru.pop_back();
        ++m_evictions;
    }
}

void TileCache::clear()
{
    m_lru.clear();
    m_index.clear();
    m_bytes = 0;
}

void TileCache::setCapBytes(size_t bytes)
{
    m_cap = bytes;
    evict();
}

} // namespace attnscope
