// HDF5 export of a run (docs/EXPORT.md has the layout): provenance as root attributes, tokens, every captured
// quantity as one float32 dataset per (quantity, layer) with the heads stacked first, chunked so that one head
// (and a tile of a long map) is read alone, gzip + shuffle. The file is built in memory with HDF5's core driver
// and handed to the sink in one piece, so it reaches disk through the same atomic path as every other export
// (the memory it takes is the compressed file's size). Dynamic filter plugins are disabled: the writer uses only
// built-in filters and never loads code named by a file. Write-only: the app never reads HDF5.
// Threading: any thread; calls into the (not thread-safe) HDF5 library are serialised by a process-wide lock.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"
#include "core/io/run_data.h"

#include <string>

namespace attnscope {

/// Whether this build can write HDF5 (the library was found at build time).
bool hdf5Available();

struct Hdf5Options {
    int gzipLevel = 4;
    int mapTile = 256;   // map chunks are [1, tile, tile] (tile clamped to T)
};

/// Writes the run; returns false with the reason in `error` (the sink is not committed).
bool writeRunHdf5(ByteSink& sink, const RunData& run, std::string& error, const Hdf5Options& options = {});

} // namespace attnscope
