// ByteSink over QSaveFile for the command line: the same atomic sink the GUI and the figure exporter use
// (ui/render/atomic_file.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/atomic_file.h"

namespace attnscope {

using SaveFileSink = AtomicFileSink;

} // namespace attnscope
