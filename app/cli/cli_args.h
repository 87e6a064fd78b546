// Command-line parsing for attnscope-cli: `attnscope-cli COMMAND MODEL [--option value]… [--flag]…`.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace attnscope::cli {

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;   // --name value (the last one when repeated)
    std::map<std::string, std::vector<std::string>> repeated;   // every value of a repeated option, in order
    std::set<std::string> flags;                  // --name

    bool has(const std::string& f) const { return flags.count(f) > 0; }
    std::optional<std::string> get(const std::string& o) const;
    /// Every value given for an option that may repeat (--variant A --variant B).
    std::vector<std::string> all(const std::string& o) const;
    /// Integer option in [lo, hi]; throws Error(Usage) naming the option when malformed or out of range.
    long long getInt(const std::string& o, long long fallback, long long lo, long long hi) const;
    /// Finite number option in [lo, hi]; throws Error(Usage) naming the option when malformed or out of range.
    double getDouble(const std::string& o, double fallback, double lo, double hi) const;
    const std::string& model() const;   // first positional; throws Error(Usage) when missing
};

/// `valueOptions` are options that take a value; anything else starting with -- is a flag.
/// Throws Error(Usage) for an unknown option.
Args parseArgs(int argc, char** argv, const std::set<std::string>& valueOptions, const std::set<std::string>& flagOptions);

} // namespace attnscope::cli
