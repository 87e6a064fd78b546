// JSON that can always be printed. nlohmann::json::dump() throws on a string that is not valid UTF-8, and GGUF
// strings, file names and token bytes need not be; a front end that prints JSON for scripts (`info --json`)
// must still produce a valid document and say which values were changed.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace attnscope {

/// Replaces every byte that is not part of well-formed UTF-8, in every string and object key of `j`, by the
/// text "\xNN", and returns the JSON Pointer (RFC 6901) of each value or key it changed, sorted. Valid text, control
/// characters included, is left for dump() to escape as JSON does.
std::vector<std::string> makeJsonPrintable(nlohmann::json& j);

/// j.dump(indent) with DEL, C1 controls and the bidirectional / line-separator controls (the code points
/// escapeControl() names) written as \uXXXX escapes: the same JSON value, but nothing in the text a terminal
/// would act on (dump() itself escapes only U+0000..U+001F). Call makeJsonPrintable first.
std::string dumpForTerminal(const nlohmann::json& j, int indent = -1);

} // namespace attnscope
