// Helpers shared by the UI benchmarks (benchmark_ui.cpp, benchmark_long.cpp): waiting on the event loop,
// medians and percentiles, a prompt of an exact token count, the process's peak resident memory.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QJsonArray>
#include <QString>

#include <functional>
#include <vector>

namespace attnscope {
class Tokenizer;
}

namespace attnscope::gui {

/// Spins the event loop until `done()` or the timeout; returns done().
bool waitUntil(const std::function<bool()>& done, int timeoutMs);
double median(std::vector<double> v);
/// The q-quantile (0..1) by the nearest rank.
double percentile(std::vector<double> v, double q);
QJsonArray toArray(const std::vector<double>& v);
/// A prompt of exactly `tokens` tokens (BOS included when the tokenizer adds one): `sample` repeated, cut at a
/// token boundary.
QString promptOfLength(const Tokenizer& tok, int tokens, const QString& sample);
/// Peak resident set size of this process (VmHWM, MB), and a reset of it (/proc/self/clear_refs); 0 / false where
/// the kernel does not offer them.
double peakRssMb();
bool resetPeakRss();
/// The 1-minute load average (how busy the shared machine was), or -1.
double loadAverage();

} // namespace attnscope::gui
