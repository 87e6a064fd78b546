// CSV exports (docs/EXPORT.md "CSV"): long format, UTF-8, a header row, '.' as the decimal separator, float32
// values with 9 significant digits so they read back to the same float. Maps are written only when small
// (kMaxCsvCells cells in all): a CSV of a long prompt's maps is slower to open than to recompute; use .npz or HDF5.
// Threading: pure functions.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"
#include "core/metrics/head_metrics.h"
#include "core/results/attention_map.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

inline constexpr int64_t kMaxCsvCells = 4'000'000;

/// Float as the shortest text with 9 significant digits ("0.123456791", "nan", "inf").
std::string csvNumber(double v);
/// Quotes a field when it holds a comma, quote or line break (RFC 4180).
std::string csvField(const std::string& s);

/// `layer,head,query,key,query_token,key_token,value,masked` for every cell of every map (masked cells: value 0,
/// masked 1). Refuses more than kMaxCsvCells cells with a message in `error`.
bool writeMapsCsv(ByteSink& sink, const std::vector<AttentionMapPtr>& maps, const std::vector<std::string>& tokenText,
                  std::string& error);
/// `layer,head,metric,value` for every score of every head in the table (NaN scores: "nan").
bool writeMetricsCsv(ByteSink& sink, const MetricsTable& table, std::string& error);
/// A generic layers × heads table of one value: `layer,head,<valueName>`.
bool writeLayerHeadCsv(ByteSink& sink, int layers, int heads, const std::vector<double>& values,
                       const std::string& valueName, std::string& error);

} // namespace attnscope
