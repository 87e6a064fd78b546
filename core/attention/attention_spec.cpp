// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/attention/attention_spec.h"

#include "core/util/error.h"
#include "core/util/text_escape.h"
#include "core/util/split_mix.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>

namespace attnscope {

namespace {

enum class PT { Int, Number, List, Word };

struct ParamDef {
    const char* key;
    PT type;
    const char* def;   // nullptr = required
    double lo, hi;
    const char* help;
};

struct KindDef {
    VariantKind kind;
    const char* name;
    const char* summary;
    std::vector<ParamDef> params;
};

constexpr double kBig = 1 << 24;

const std::vector<KindDef>& kinds()
{
    static const std::vector<KindDef> k = {
        {VariantKind::Full, "full", "the model's own attention (the baseline)", {}},
        {VariantKind::Sliding, "sliding", "sliding window of W keys including self, plus S sink tokens (StreamingLLM)",
         {{"window", PT::Int, nullptr, 1, kBig, "keys including self"}, {"sinks", PT::Int, "0", 0, kBig, "first tokens always visible"}}},
        {VariantKind::Longformer, "longformer", "band |i − j| ≤ W/2 plus global tokens that see and are seen by all",
         {{"window", PT::Int, nullptr, 1, kBig, "band width W"}, {"global", PT::List, "", 0, kBig, "global positions, ';'-separated"}}},
        {VariantKind::BigBird, "bigbird", "blocks of B tokens: W sliding blocks, G global blocks, R random blocks",
         {{"block", PT::Int, "64", 1, kBig, "block size"}, {"window", PT::Int, "3", 1, 1023, "sliding blocks (odd)"},
          {"global", PT::Int, "1", 0, kBig, "global blocks at the start"}, {"random", PT::Int, "3", 0, kBig, "random blocks per query block"},
          {"seed", PT::Int, "0", 0, 4294967295.0, "random seed"}}},
        {VariantKind::Fixed, "fixed", "Sparse Transformer fixed pattern: own block plus the last C positions of every block",
         {{"block", PT::Int, nullptr, 1, kBig, "block size"}, {"stride", PT::Int, "1", 1, kBig, "summary positions per block (≤ block)"}}},
        {VariantKind::Hier, "hier", "local window + mean-pooled region summaries + global tokens",
         {{"local", PT::Int, nullptr, 1, kBig, "local window"}, {"region", PT::Int, nullptr, 1, kBig, "region size"},
          {"global", PT::Int, "0", 0, kBig, "global tokens at the start"}}},
        {VariantKind::TopK, "topk", "keep the K largest logits of each row", {{"k", PT::Int, nullptr, 1, kBig, "keys kept per row"}}},
        {VariantKind::Threshold, "threshold", "drop weights below p and renormalise",
         {{"p", PT::Number, nullptr, 0, 1, "weight threshold in (0, 1)"}}},
        {VariantKind::Lsh, "lsh", "Reformer: attend within shared angular-LSH buckets",
         {{"buckets", PT::Int, "8", 2, 1024, "buckets (even)"}, {"rounds", PT::Int, "1", 1, 64, "hash rounds"},
          {"seed", PT::Int, "0", 0, 4294967295.0, "random seed"}}},
        {VariantKind::Cluster, "cluster", "Routing Transformer: k-means over queries and keys, attend within a cluster",
         {{"k", PT::Int, nullptr, 1, 4096, "clusters"}, {"seed", PT::Int, "0", 0, 4294967295.0, "random seed"}}},
        {VariantKind::Nsa, "nsa", "NSA-style: compressed blocks, top-N selected blocks and a sliding window, equal weights",
         {{"block", PT::Int, "32", 1, kBig, "block size"}, {"select", PT::Int, "4", 1, kBig, "selected blocks"},
          {"window", PT::Int, "64", 1, kBig, "sliding window"}}},
        {VariantKind::Linear, "linear", "linear attention, normalised φ(q)·φ(k) with φ = elu + 1",
         {{"feature", PT::Word, "elu", 0, 0, "feature map (elu)"}}},
        {VariantKind::Performer, "performer", "FAVOR+ positive orthogonal random features (unbiased softmax estimate)",
         {{"features", PT::Int, "64", 1, 8192, "random features M"}, {"seed", PT::Int, "0", 0, 4294967295.0, "random seed"}}},
        {VariantKind::Linformer, "linformer", "keys and values mean-pooled to K segments",
         {{"k", PT::Int, nullptr, 1, kBig, "segments"}}},
        {VariantKind::OffByOne, "offbyone", "a sink column with logit 0 (softmax off by one)", {}},
        {VariantKind::Sink, "sink", "a sink column with logit b", {{"logit", PT::Number, "0", -1e4, 1e4, "sink logit b"}}},
        {VariantKind::Gqa, "gqa", "K/V heads regrouped into G groups by averaging their projections",
         {{"groups", PT::Int, nullptr, 1, 1024, "K/V groups (divides the model's K/V heads)"}}},
        {VariantKind::Mqa, "mqa", "one K/V head: every K/V projection averaged", {}},
    };
    return k;
}

const KindDef& def(VariantKind k)
{
    return kinds()[static_cast<size_t>(k)];
}

[[noreturn]] void bad(const std::string& msg)
{
    throw Error(ErrorKind::Usage, "", "variant", -1, msg);
}

std::string trim(std::string s)
{
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parseDouble(const std::string& s, double& out)
{
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

bool parseInt(const std::string& s, int64_t& out)
{
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::string formatNumber(double v)
{
    char buf[64];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

LayerSet parseLayers(const std::string& s)
{
    LayerSet set;
    size_t pos = 0;
    while (pos <= s.size()) {
        const size_t comma = s.find(',', pos);
        const std::string part = trim(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
        const size_t dash = part.find('-');
        int64_t a = 0, b = 0;
        if (dash == std::string::npos) {
            if (!parseInt(part, a))
                bad("@layers: " + quotedValue(part) + " is not a layer number or range like 20-29");
            b = a;
        } else if (!parseInt(part.substr(0, dash), a) || !parseInt(part.substr(dash + 1), b)) {
            bad("@layers: " + quotedValue(part) + " is not a layer range like 20-29");
        }
        if (a < 0 || b < a || b > 100000)
            bad("@layers: range " + quotedValue(part) + " is empty or out of bounds");
        set.ranges.emplace_back(static_cast<int>(a), static_cast<int>(b));
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    std::sort(set.ranges.begin(), set.ranges.end());
    std::vector<std::pair<int, int>> merged;
    for (const auto& r : set.ranges) {
        if (!merged.empty() && r.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, r.second);
        else
            merged.push_back(r);
    }
    set.ranges = std::move(merged);
    return set;
}

} // namespace

bool LayerSet::contains(int layer) const
{
    if (ranges.empty())
        return true;
    for (const auto& [a, b] : ranges)
        if (layer >= a && layer <= b)
            return true;
    return false;
}

std::string LayerSet::toString() const
{
    std::string s;
    for (const auto& [a, b] : ranges) {
        if (!s.empty())
            s += ",";
        s += a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
    }
    return s;
}

std::span<const VariantInfo> variantTable()
{
    static const std::vector<VariantInfo> t = [] {
        std::vector<VariantInfo> v;
        for (const KindDef& k : kinds()) {
            VariantInfo i{k.kind, k.name, k.summary, {}};
            for (const ParamDef& p : k.params)
                i.params.push_back({p.key, p.type == PT::Int ? "int" : p.type == PT::Number ? "number" : p.type == PT::List ? "list" : "word",
                                    p.def, p.help});
            v.push_back(std::move(i));
        }
        return v;
    }();
    return t;
}

AttentionSpec AttentionSpec::parse(const std::string& textIn)
{
    std::string text = trim(textIn);
    if (text.empty())
        bad("empty variant (try full, sliding:window=64, topk:k=8; see the variants list)");
    if (text.size() > 4096)
        bad("variant text longer than 4096 characters");
    AttentionSpec spec;
    if (const size_t at = text.find('@'); at != std::string::npos) {
        const std::string tail = trim(text.substr(at + 1));
        if (tail.rfind("layers=", 0) != 0)
            bad("'@" + tail + "': only @layers=… is understood");
        spec.layers = parseLayers(tail.substr(7));
        text = trim(text.substr(0, at));
    }
    const size_t colon = text.find(':');
    const std::string name = trim(text.substr(0, colon));
    const KindDef* kd = nullptr;
    for (const KindDef& k : kinds())
        if (name == k.name)
            kd = &k;
    if (!kd) {
        std::string names;
        for (const KindDef& k : kinds())
            names += (names.empty() ? "" : ", ") + std::string(k.name);
        bad("unknown variant " + quotedValue(name) + " (known: " + names + ")");
    }
    spec.kind = kd->kind;
    std::map<std::string, bool> seen;
    if (colon != std::string::npos) {
        const std::string params = text.substr(colon + 1);
        size_t pos = 0;
        while (pos <= params.size()) {
            const size_t comma = params.find(',', pos);
            const std::string kv = trim(params.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
            pos = comma == std::string::npos ? params.size() + 1 : comma + 1;
            if (kv.empty())
                bad(std::string(kd->name) + ": empty parameter");
            const size_t eq = kv.find('=');
            if (eq == std::string::npos)
                bad(std::string(kd->name) + ": parameter " + quotedValue(kv) + " needs a value (key=value)");
            const std::string key = trim(kv.substr(0, eq)), value = trim(kv.substr(eq + 1));
            const ParamDef* pd = nullptr;
            for (const ParamDef& p : kd->params)
                if (key == p.key)
                    pd = &p;
            if (!pd) {
                std::string keys;
                for (const ParamDef& p : kd->params)
                    keys += (keys.empty() ? "" : ", ") + std::string(p.key);
                bad(std::string(kd->name) + ": unknown key " + quotedValue(key) + (keys.empty() ? " (it takes none)" : " (keys: " + keys + ")"));
            }
            if (seen[key])
                bad(std::string(kd->name) + ": key " + quotedValue(key) + " given twice");
            seen[key] = true;
            switch (pd->type) {
            case PT::Int: {
                int64_t v = 0;
                if (!parseInt(value, v))
                    bad(std::string(kd->name) + ": " + key + " must be an integer, got " + quotedValue(value));
                if (v < pd->lo || v > pd->hi)
                    bad(std::string(kd->name) + ": " + key + " must be in " + formatNumber(pd->lo) + ".." + formatNumber(pd->hi) + ", got " + value);
                spec.numbers[key] = static_cast<double>(v);
                break;
            }
            case PT::Number: {
                double v = 0;
                if (!parseDouble(value, v))
                    bad(std::string(kd->name) + ": " + key + " must be a number, got " + quotedValue(value));
                if (v < pd->lo || v > pd->hi)
                    bad(std::string(kd->name) + ": " + key + " must be in " + formatNumber(pd->lo) + ".." + formatNumber(pd->hi) + ", got " + value);
                spec.numbers[key] = v;
                break;
            }
            case PT::List: {
                std::vector<int64_t> list;
                size_t p = 0;
                while (!value.empty() && p <= value.size()) {
                    const size_t semi = value.find(';', p);
                    const std::string item = trim(value.substr(p, semi == std::string::npos ? std::string::npos : semi - p));
                    int64_t v = 0;
                    if (!parseInt(item, v) || v < pd->lo || v > pd->hi)
                        bad(std::string(kd->name) + ": " + key + " must be ';'-separated positions, got " + quotedValue(item));
                    list.push_back(v);
                    if (semi == std::string::npos)
                        break;
                    p = semi + 1;
                }
                std::sort(list.begin(), list.end());
                list.erase(std::unique(list.begin(), list.end()), list.end());
                if (list.size() > 65536)
                    bad(std::string(kd->name) + ": " + key + " lists more than 65536 positions");
                spec.lists[key] = std::move(list);
                break;
            }
            case PT::Word:
                if (value != "elu")
                    bad(std::string(kd->name) + ": " + key + " must be 'elu', got " + quotedValue(value));
                spec.words[key] = value;
                break;
            }
        }
    }
    for (const ParamDef& p : kd->params)
        if (!p.def && !seen[p.key])
            bad(std::string(kd->name) + ": missing required key '" + p.key + "' (" + p.help + ")");
    // Cross-parameter rules.
    if (spec.kind == VariantKind::Fixed && spec.number("stride") > spec.number("block"))
        bad("fixed: stride must not exceed block");
    if (spec.kind == VariantKind::BigBird && static_cast<int64_t>(spec.number("window")) % 2 == 0)
        bad("bigbird: window (sliding blocks) must be odd");
    if (spec.kind == VariantKind::Lsh && static_cast<int64_t>(spec.number("buckets")) % 2 != 0)
        bad("lsh: buckets must be even");
    if (spec.kind == VariantKind::Threshold && (spec.number("p") <= 0 || spec.number("p") >= 1))
        bad("threshold: p must be strictly between 0 and 1");
    // Drop values equal to their defaults so equal specs compare equal and print the same.
    for (const ParamDef& p : kd->params) {
        if (!p.def)
            continue;
        if (p.type == PT::Int || p.type == PT::Number) {
            double d = 0;
            parseDouble(p.def, d);
            if (auto it = spec.numbers.find(p.key); it != spec.numbers.end() && it->second == d)
                spec.numbers.erase(it);
        } else if (p.type == PT::List) {
            if (auto it = spec.lists.find(p.key); it != spec.lists.end() && it->second.empty())
                spec.lists.erase(it);
        } else if (auto it = spec.words.find(p.key); it != spec.words.end() && it->second == p.def) {
            spec.words.erase(it);
        }
    }
    return spec;
}

const char* AttentionSpec::name() const
{
    return def(kind).name;
}

double AttentionSpec::number(const std::string& key) const
{
    if (auto it = numbers.find(key); it != numbers.end())
        return it->second;
    for (const ParamDef& p : def(kind).params)
        if (key == p.key && p.def) {
            double d = 0;
            parseDouble(p.def, d);
            return d;
        }
    return 0;
}

const std::vector<int64_t>& AttentionSpec::list(const std::string& key) const
{
    static const std::vector<int64_t> empty;
    auto it = lists.find(key);
    return it == lists.end() ? empty : it->second;
}

std::string AttentionSpec::word(const std::string& key) const
{
    if (auto it = words.find(key); it != words.end())
        return it->second;
    for (const ParamDef& p : def(kind).params)
        if (key == p.key && p.def)
            return p.def;
    return {};
}

std::string AttentionSpec::toString() const
{
    std::string s = name(), params;
    for (const ParamDef& p : def(kind).params) {
        std::string v;
        if (auto it = numbers.find(p.key); it != numbers.end())
            v = p.type == PT::Int ? std::to_string(static_cast<int64_t>(it->second)) : formatNumber(it->second);
        else if (auto il = lists.find(p.key); il != lists.end()) {
            for (int64_t x : il->second)
                v += (v.empty() ? "" : ";") + std::to_string(x);
        } else if (auto iw = words.find(p.key); iw != words.end())
            v = iw->second;
        else
            continue;
        params += (params.empty() ? "" : ",") + std::string(p.key) + "=" + v;
    }
    if (!params.empty())
        s += ":" + params;
    if (!layers.all())
        s += "@layers=" + layers.toString();
    return s;
}

std::string AttentionSpec::describe() const
{
    std::string d;
    switch (kind) {
    case VariantKind::Full: return "full (the model's own attention)";
    case VariantKind::Sliding:
        d = "sliding window " + std::to_string(integer("window"));
        if (integer("sinks") > 0)
            d += " + " + std::to_string(integer("sinks")) + " sinks";
        break;
    case VariantKind::TopK: d = "top-" + std::to_string(integer("k")); break;
    case VariantKind::Threshold: d = "threshold " + formatNumber(number("p")); break;
    default: d = toString(); break;
    }
    if (!layers.all() && kind != VariantKind::Full)
        d += " on layers " + layers.toString();
    return d;
}

bool AttentionSpec::isMaskPattern() const
{
    return kind == VariantKind::Sliding || kind == VariantKind::Longformer || kind == VariantKind::BigBird ||
           kind == VariantKind::Fixed;
}

bool AttentionSpec::needsVariantOp() const
{
    switch (kind) {
    case VariantKind::Hier:
    case VariantKind::TopK:
    case VariantKind::Threshold:
    case VariantKind::Lsh:
    case VariantKind::Cluster:
    case VariantKind::Nsa:
    case VariantKind::Linear:
    case VariantKind::Performer:
    case VariantKind::Linformer: return true;
    default: return false;
    }
}

AttentionMask AttentionSpec::mask(int64_t tokens, int layer, bool causal) const
{
    switch (kind) {
    case VariantKind::Sliding:
        return integer("sinks") > 0 ? AttentionMask::slidingWithSinks(integer("window"), integer("sinks"), causal)
                                    : AttentionMask::sliding(integer("window"), causal);
    case VariantKind::Longformer: return AttentionMask::longformer(integer("window"), list("global"), causal);
    case VariantKind::Fixed: return AttentionMask::fixed(integer("block"), integer("stride"), causal);
    case VariantKind::BigBird: {
        // Per query block: W sliding blocks centred on it, the first G blocks (global keys), R random blocks drawn
        // without replacement from the rest (seeded per layer); the G global query blocks see every block.
        const int64_t B = integer("block"), w = integer("window") / 2, G = integer("global"), R = integer("random");
        const int64_t nb = (tokens + B - 1) / B;
        auto layout = std::make_shared<BlockLayout>();
        layout->block = B;
        layout->allowed.resize(static_cast<size_t>(nb));
        SplitMix64 rng(static_cast<uint64_t>(integer("seed")) * 0x100000001B3ull + static_cast<uint64_t>(layer) + 1);
        for (int64_t I = 0; I < nb; ++I) {
            auto& a = layout->allowed[static_cast<size_t>(I)];
            if (I < G) {
                for (int64_t J = 0; J < nb; ++J)
                    a.push_back(J);
                continue;
            }
            for (int64_t J = std::max<int64_t>(0, I - w); J <= std::min(nb - 1, I + w); ++J)
                a.push_back(J);
            for (int64_t J = 0; J < std::min(G, nb); ++J)
                a.push_back(J);
            // Random blocks among those not yet chosen (causal: among earlier blocks only, so none is wasted).
            std::vector<int64_t> pool;
            const int64_t limit = causal ? I : nb;
            for (int64_t J = 0; J < limit; ++J)
                if (std::find(a.begin(), a.end(), J) == a.end())
                    pool.push_back(J);
            for (int64_t r = 0; r < R && !pool.empty(); ++r) {
                const size_t pick = static_cast<size_t>(rng.below(pool.size()));
                a.push_back(pool[pick]);
                pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
            }
            std::sort(a.begin(), a.end());
            a.erase(std::unique(a.begin(), a.end()), a.end());
        }
        return AttentionMask::bigbird(std::move(layout), causal);
    }
    default: return causal ? AttentionMask::causal() : AttentionMask::bidirectional();
    }
}

} // namespace attnscope
