// attnscope-cli subcommands. Each prints JSON with --json (for scripts) or a readable summary, returns the
// process exit code, and throws attnscope::Error for bad input (main prints one line and exits non-zero).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "cli/cli_args.h"

#include <string>

namespace attnscope::cli {

int cmdInfo(const Args& a);
int cmdTokenize(const Args& a);
int cmdRun(const Args& a);
int cmdBench(const Args& a);
int cmdStats(const Args& a);
int cmdCompare(const Args& a);
int cmdHeads(const Args& a);
int cmdFigure(const Args& a);
int cmdExport(const Args& a);

/// --text or --text-file (UTF-8), whichever is given; throws Error(Usage) when neither is.
std::string inputText(const Args& a);

/// Peak FP32 FMA throughput of this machine on `threads` threads, GFLOP/s (docs/PERFORMANCE.md method:
/// 12 independent FMA chains per thread).
double measureFmaPeakGflops(int threads);

} // namespace attnscope::cli
