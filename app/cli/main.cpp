// attnscope-cli: headless front end over the attnscope engine.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "attnscope_config.h"
#include "core/formats/json_strict.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>

namespace {

const char* kUsage =
    "attnscope-cli " ATTNSCOPE_VERSION " — inspect transformer attention from the command line\n"
    "\n"
    "usage: attnscope-cli COMMAND MODEL [options]\n"
    "  MODEL is a .gguf file, a .safetensors file (or sharded index) or a Hugging Face model folder.\n"
    "\n"
    "commands:\n"
    "  info MODEL                      architecture, sizes, tensor dtypes and the backend a run would use\n"
    "  tokenize MODEL --text T         token ids and readable tokens\n"
    "  run MODEL --text T [--top K]    forward pass; top-K next-token predictions\n"
    "        [--attn-out F.npy --layer L --head H]   also write one head's n×n probabilities (float32)\n"
    "        [--beyond-context]                      allow more tokens than the model's context (extrapolation)\n"
    "  bench MODEL --tokens N [--threads T] [--repeats R]   timings (medians), dense GFLOP/s, peak RSS\n"
    "  stats MODEL --text T [--sink-threshold E] [--variant SPEC]   per layer: first-token share, sink rate,\n"
    "                                  max |hidden|, and gate, sink and differential statistics where the model has them\n"
    "  compare MODEL --text T --variant SPEC [--variant SPEC …]   the baseline vs what-if attention variants:\n"
    "                                  perplexity, KL per position, top-1 agreement, mass outside each mask\n"
    "        SPEC = NAME[:key=value,…][@layers=SET], e.g. sliding:window=64,sinks=4  topk:k=8@layers=20-29\n"
    "        [--run-mode auto|maps|long]             long: no maps formed (automatic above 4096 tokens)\n"
    "  heads MODEL --text T | --induction-probe [--score NAME] [--top N] [--ascending] [--normalised-entropy]\n"
    "                                  every head's scores, ranked by one (default: induction)\n"
    "        [--streamed]                            score rows inside the kernel, no map formed (automatic above 4096 tokens)\n"
    "  figure SESSION.attnscope --out FILE.(pdf|svg|png) [--dpi N] [--width-in W] [--composer | --view]\n"
    "                                  regenerate the session's figure (or its composer layout) headless\n"
    "        [--model PATH] [--data-out FILE.(h5|npz|npy|csv)] [--colormap C] [--scale S] [--title T]\n"
    "        [--run-mode auto|maps|long]             long: keep queries and keys, recompute maps (automatic above 4096 tokens)\n"
    "  export MODEL --text T --layer L --head H --out FILE.(pdf|svg|png) [--data-out FILE.(h5|npz|npy|csv)]\n"
    "        [--dpi N] [--width-in W] [--colormap C] [--scale linear|log|power] [--title T] [--quantity Q] [--hash]\n"
    "        [--run-mode auto|maps|long]\n"
    "                                  one head's figure (and its data) without a session\n"
    "\n"
    "common options:\n"
    "  --json               machine-readable output\n"
    "  --text-file F        read the text from a UTF-8 file instead of --text\n"
    "  --no-special         do not add BOS/EOS/CLS/SEP tokens\n"
    "  --threads N          CPU threads (default: all cores)\n"
    "  --backend B          auto | cpu | cuda (default auto: CUDA only when a device works)\n"
    "  --progress           (run) print the layer being computed to stderr\n";

} // namespace

int main(int argc, char** argv)
{
    using namespace attnscope;
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::puts(ATTNSCOPE_VERSION);
        return 0;
    }
    try {
        const std::string cmd = argv[1];
        const std::set<std::string> common = {"json", "no-special"};
        auto flags = [&](std::set<std::string> extra) {
            extra.insert(common.begin(), common.end());
            return extra;
        };
        if (cmd == "info")
            return cli::cmdInfo(cli::parseArgs(argc, argv, {"backend", "threads"}, flags({})));
        if (cmd == "tokenize")
            return cli::cmdTokenize(cli::parseArgs(argc, argv, {"text", "text-file"}, flags({})));
        if (cmd == "run")
            return cli::cmdRun(cli::parseArgs(argc, argv,
                                              {"text", "text-file", "top", "attn-out", "layer", "head", "threads", "backend"},
                                              flags({"progress", "beyond-context"})));
        if (cmd == "bench")
            return cli::cmdBench(cli::parseArgs(argc, argv, {"tokens", "threads", "repeats", "backend", "text", "text-file"},
                                                flags({"skip-peak"})));
        if (cmd == "compare")
            return cli::cmdCompare(cli::parseArgs(argc, argv, {"text", "text-file", "threads", "backend", "variant", "run-mode"},
                                                  flags({"beyond-context", "no-reuse", "per-position"})));
        if (cmd == "stats")
            return cli::cmdStats(cli::parseArgs(argc, argv, {"text", "text-file", "threads", "backend", "sink-threshold", "variant"},
                                                flags({"beyond-context"})));
        if (cmd == "heads")
            return cli::cmdHeads(cli::parseArgs(argc, argv, {"text", "text-file", "score", "top", "threads", "backend", "seed"},
                                                flags({"ascending", "induction-probe", "normalised-entropy", "streamed", "beyond-context"})));
        if (cmd == "figure")
            return cli::cmdFigure(cli::parseArgs(argc, argv,
                                                 {"out", "dpi", "width-in", "model", "data-out", "colormap", "scale",
                                                  "title", "threads", "backend", "run-mode"},
                                                 flags({"composer", "view", "no-hash-check", "beyond-context"})));
        if (cmd == "export")
            return cli::cmdExport(cli::parseArgs(argc, argv,
                                                 {"text", "text-file", "layer", "head", "out", "data-out", "dpi", "width-in",
                                                  "colormap", "scale", "title", "quantity", "threads", "backend", "run-mode"},
                                                 flags({"hash", "beyond-context"})));
        std::fprintf(stderr, "attnscope-cli: unknown command %s (info, tokenize, run, bench, heads, stats, compare, figure, export; see --help)\n",
                     quotedValue(argv[1]).c_str());
        return 2;
    } catch (const Error& e) {
        // Error text is escaped and bounded already (core/util/error.h); escaping again costs nothing.
        std::fprintf(stderr, "attnscope-cli: error: %s\n", escapeControl(e.what()).c_str());
        return e.kind() == ErrorKind::Usage ? 2 : 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "attnscope-cli: error: out of memory\n");
        return 1;
    } catch (const nlohmann::json::exception& e) {
        // A JSON value of an unexpected type that a reader did not check: said in our words, not the library's.
        std::fprintf(stderr, "attnscope-cli: error: unexpected value in a JSON file: %s\n",
                     describeJsonError(e.what()).c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "attnscope-cli: error: %s\n", elideMiddle(e.what(), kMaxErrorReasonBytes).c_str());
        return 1;
    }
}
