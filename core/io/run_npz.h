// .npz export of a run: the same arrays and names as the HDF5 file (docs/EXPORT.md), one .npy member each —
// "meta" (the provenance as a JSON string), "tokens/ids" int32 [T], "tokens/text" '<U n' [T], "tokens/offsets"
// int64 [T, 2], "<quantity>/layer_<i>" float32 and "<quantity>/captured_heads/layer_<i>" int32, "hidden/max_abs",
// "metrics/<score>" float32 [L, H]. np.load(path)["attention.probs/layer_3"][head] is one head's map.
// Threading: any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"
#include "core/io/run_data.h"

#include <string>

namespace attnscope {

/// compress = true: DEFLATE members (numpy.savez_compressed); false: stored.
bool writeRunNpz(ByteSink& sink, const RunData& run, std::string& error, bool compress = true);

} // namespace attnscope
