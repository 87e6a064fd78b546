// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/cli_args.h"

#include "core/util/error.h"

#include <charconv>
#include <cmath>

namespace attnscope::cli {

namespace {
[[noreturn]] void usage(const std::string& m) { throw Error(ErrorKind::Usage, "", "", -1, m); }
}

std::optional<std::string> Args::get(const std::string& o) const
{
    auto it = options.find(o);
    if (it == options.end())
        return std::nullopt;
    return it->second;
}

std::vector<std::string> Args::all(const std::string& o) const
{
    auto it = repeated.find(o);
    return it == repeated.end() ? std::vector<std::string>{} : it->second;
}

long long Args::getInt(const std::string& o, long long fallback, long long lo, long long hi) const
{
    auto v = get(o);
    if (!v)
        return fallback;
    long long r = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), r);
    if (ec != std::errc() || p != v->data() + v->size())
        usage("--" + o + " expects an integer, got '" + *v + "'");
    if (r < lo || r > hi)
        usage("--" + o + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + *v);
    return r;
}

double Args::getDouble(const std::string& o, double fallback, double lo, double hi) const
{
    auto v = get(o);
    if (!v)
        return fallback;
    double r = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), r);
    if (ec != std::errc() || p != v->data() + v->size() || !std::isfinite(r))
        usage("--" + o + " expects a number, got '" + *v + "'");
    if (r < lo || r > hi)
        usage("--" + o + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + *v);
    return r;
}

const std::string& Args::model() const
{
    if (positional.empty())
        usage(command + ": missing MODEL (a .gguf file, a .safetensors file or a model folder)");
    return positional.front();
}

Args parseArgs(int argc, char** argv, const std::set<std::string>& valueOptions, const std::set<std::string>& flagOptions)
{
    Args a;
    if (argc < 2)
        usage("missing command (info, tokenize, run, bench, heads); see --help");
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0 && s.size() > 2) {
            std::string name = s.substr(2), value;
            bool inlineValue = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inlineValue = true;
            }
            if (valueOptions.count(name)) {
                if (!inlineValue) {
                    if (i + 1 >= argc)
                        usage("--" + name + " needs a value");
                    value = argv[++i];
                }
                a.options[name] = value;
                a.repeated[name].push_back(value);
            } else if (flagOptions.count(name) && !inlineValue) {
                a.flags.insert(name);
            } else {
                usage("unknown option --" + name + " for '" + a.command + "'");
            }
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

} // namespace attnscope::cli
