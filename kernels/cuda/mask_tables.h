// From core's AttentionMask to the device's MaskParams: the scalar fields, and host copies of the tables the
// pattern kinds need on the device (Longformer's global flags, BigBird's block table, an explicit bit matrix).
// The backend glue uploads the tables and attaches the device copy; the host tests attach the host copy and
// compare mask_math.h with core's mask cell by cell. Plain C++ (core headers), no CUDA.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_mask.h"
#include "kernels/cuda/cuda_params.h"

#include <string>
#include <vector>

namespace attnscope::cuda {

/// The scalar part of a mask (no tables attached yet).
inline MaskParams maskParams(const AttentionMask& m)
{
    MaskParams p;
    switch (m.kind) {
    case attnscope::MaskKind::Causal: p.kind = MaskKind::Causal; break;
    case attnscope::MaskKind::Bidirectional: p.kind = MaskKind::Bidirectional; break;
    case attnscope::MaskKind::Sliding: p.kind = MaskKind::Sliding; break;
    case attnscope::MaskKind::SlidingSinks: p.kind = MaskKind::SlidingSinks; break;
    case attnscope::MaskKind::Longformer: p.kind = MaskKind::Longformer; break;
    case attnscope::MaskKind::BigBird: p.kind = MaskKind::BigBird; break;
    case attnscope::MaskKind::Fixed: p.kind = MaskKind::Fixed; break;
    case attnscope::MaskKind::Explicit: p.kind = MaskKind::Explicit; break;
    }
    p.requireCausal = m.requireCausal ? 1 : 0;
    p.window = m.window;
    p.sinks = m.sinks;
    p.block = m.block;
    p.stride = m.stride;
    return p;
}

/// Host copy of a mask's device tables for a sequence of `tokens`.
struct MaskTables {
    std::vector<uint8_t> bytes;                    // Longformer: tokens flags; BigBird: queryBlocks × keyBlocks
    const std::vector<uint64_t>* words = nullptr;  // Explicit: the mask's own bit storage
    int64_t queryBlocks = 0, keyBlocks = 0;
    bool needed() const { return words || !bytes.empty(); }
    size_t size() const { return words ? words->size() * sizeof(uint64_t) : bytes.size(); }
    const void* data() const { return words ? static_cast<const void*>(words->data()) : bytes.data(); }
};

/// Fills `out` for the table kinds (nothing for the others). False with `why` when the mask lacks its data.
inline bool buildMaskTables(const AttentionMask& m, int64_t tokens, MaskTables& out, std::string& why)
{
    out = MaskTables{};
    switch (m.kind) {
    case attnscope::MaskKind::Longformer:
        if (!m.globals) {
            why = "a Longformer mask without global positions";
            return false;
        }
        out.bytes.assign(static_cast<size_t>(tokens), 0);
        for (int64_t g : *m.globals)
            if (g >= 0 && g < tokens)
                out.bytes[static_cast<size_t>(g)] = 1;
        return true;
    case attnscope::MaskKind::BigBird: {
        if (!m.blocks || m.blocks->block < 1) {
            why = "a BigBird mask without a block layout";
            return false;
        }
        const int64_t B = m.blocks->block;
        out.queryBlocks = static_cast<int64_t>(m.blocks->allowed.size());
        out.keyBlocks = (tokens + B - 1) / B;
        out.bytes.assign(static_cast<size_t>(out.queryBlocks * out.keyBlocks), 0);
        for (int64_t bi = 0; bi < out.queryBlocks; ++bi)
            for (int64_t bj : m.blocks->allowed[static_cast<size_t>(bi)])
                if (bj >= 0 && bj < out.keyBlocks)
                    out.bytes[static_cast<size_t>(bi * out.keyBlocks + bj)] = 1;
        if (out.bytes.empty())
            out.bytes.push_back(0);   // a layout with no query blocks still needs a (never read) table
        return true;
    }
    case attnscope::MaskKind::Explicit:
        if (!m.bits) {
            why = "an explicit mask without its bits";
            return false;
        }
        out.words = &m.bits->words();
        return true;
    default: return true;
    }
}

/// Points p's table fields at `tables` (the device copy of t.data(), or t.data() itself on the host).
inline void attachMaskTables(const AttentionMask& m, const MaskTables& t, const void* tables, MaskParams& p)
{
    switch (m.kind) {
    case attnscope::MaskKind::Longformer: p.isGlobal = static_cast<const uint8_t*>(tables); break;
    case attnscope::MaskKind::BigBird:
        p.blockAllowed = static_cast<const uint8_t*>(tables);
        p.block = m.blocks->block;
        p.queryBlocks = t.queryBlocks;
        p.keyBlocks = t.keyBlocks;
        break;
    case attnscope::MaskKind::Explicit:
        p.bits = static_cast<const uint64_t*>(tables);
        p.bitsTokens = m.bits->tokens();
        p.wordsPerRow = m.bits->wordsPerRow();
        break;
    default: break;
    }
}

} // namespace attnscope::cuda
