// `attnscope-cli info MODEL`
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/formats/checkpoint.h"
#include "core/formats/hf_folder.h"
#include "core/model/loaded_model.h"
#include "core/session/model_info.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_output.h"
#include "core/util/text_escape.h"
#include "kernels/backends/register_backends.h"

#include <cstdio>
#include <iostream>
#include <thread>

namespace attnscope::cli {

namespace {
constexpr size_t kMaxShownBytes = 512;   // one value of plain `info` output (paths are rarely longer)
constexpr uint64_t kMaxTextFileBytes = 4'000'000;   // the tokenizer takes at most 1 M characters of ≤ 4 bytes
} // namespace

std::string inputText(const Args& a)
{
    if (auto t = a.get("text"))
        return *t;
    if (auto f = a.get("text-file")) {
        // Regular files only (a pipe would block, /dev/zero never ends), refused above the cap before reading.
        return readTextFileCapped(*f, kMaxTextFileBytes);
    }
    throw Error(ErrorKind::Usage, "", "", -1, a.command + ": give the text with --text T or --text-file F");
}

int cmdInfo(const Args& a)
{
    auto ckpt = openCheckpoint(a.model());
    ModelInfo info = describeCheckpoint(*ckpt);
    if (info.runnable) {
        // Also report the tokenizer; a broken tokenizer description makes the model not runnable.
        try {
            info = describeModel(*LoadedModel::fromCheckpoint(ckpt));
        } catch (const Error& e) {
            info.runnable = false;
            info.notRunnableReason = e.what();
        }
    }
    // The backend a run would use (`--backend`, default auto), and why a preferred one was skipped.
    const int threads = static_cast<int>(a.getInt("threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256));
    BackendSet backends = selectBackends(builtinBackends(), a.get("backend").value_or("auto"), threads);
    std::string placement;
    Backend& runs = backends.runBackend(&placement);
    if (a.has("json")) {
        nlohmann::json j = toJson(info);
        j["backend"] = runs.name();
        j["backend_description"] = runs.description();
        if (!backends.notes.empty())
            j["backend_notes"] = backends.notes;
        if (!placement.empty())
            j["backend_placement"] = placement;
        std::cout << dumpForTerminal(j, 2) << "\n";
        return 0;
    }
    // Plain output goes to a terminal: every string that came from the file (or a file name) is escaped, so
    // escape sequences in a model's name are shown, not executed, and values are shortened to a line.
    auto shown = [](const std::string& s) { return shortened(s, kMaxShownBytes); };
    std::printf("%s\n", shown(info.path).c_str());
    if (info.resolvedPath != info.path)
        std::printf("  resolved      %s\n", shown(info.resolvedPath).c_str());
    std::printf("  format        %s\n  architecture  %s%s\n", info.format.c_str(), shown(info.architecture).c_str(),
                info.name.empty() ? "" : (" (" + shown(info.name) + ")").c_str());
    if (info.runnable) {
        std::printf("  layers        %d\n  heads         %d (KV heads %d, GQA %d:1)\n  head dim      %d\n"
                    "  d_model       %d\n  ffn           %d\n  vocab         %d\n  context       %d\n"
                    "  block         %s\n  tokenizer     %s%s\n  attention     %s\n",
                    info.nLayers, info.nHeads, info.nKvHeads, info.nKvHeads ? info.nHeads / info.nKvHeads : 0,
                    info.headDim, info.dModel, info.ffnDim, info.vocabSize, info.contextLength, info.block.c_str(),
                    info.tokenizer.c_str(), info.hasLmHead ? "" : "\n  output        hidden states (encoder: no next-token prediction)",
                    info.layerRules.c_str());
    } else {
        std::printf("  not runnable  %s\n", escapeControl(info.notRunnableReason).c_str());   // bounded by Error
    }
    std::printf("  backend       %s: %s%s%s\n", runs.name().c_str(), runs.description().c_str(),
                backends.notes.empty() ? "" : (" (" + backends.notes + ")").c_str(),
                placement.empty() ? "" : ("; " + placement).c_str());
    std::printf("  tensors       %llu (%.1f M parameters, %.1f MB on disk)\n",
                static_cast<unsigned long long>(info.tensorCount), info.parameterCount / 1e6, info.sizeOnDisk / 1e6);
    for (const auto& [dt, n] : info.tensorsByDtype)
        std::printf("    %-8s %5llu tensors %10.2f M params\n", dt.c_str(), static_cast<unsigned long long>(n),
                    info.paramsByDtype[dt] / 1e6);
    // Weight files reached through symbolic links (a Hugging Face cache snapshot links into ../../blobs/).
    for (const ModelFile& f : info.files)
        if (f.resolvedPath != f.path && f.resolvedPath != info.resolvedPath)
            std::printf("  file          %s -> %s\n", shown(f.path).c_str(), shown(f.resolvedPath).c_str());
    if (!info.unusedTensors.empty()) {
        std::printf("  unused        %zu tensor%s no role of the architecture uses:\n", info.unusedTensors.size(),
                    info.unusedTensors.size() == 1 ? "" : "s");
        for (size_t i = 0; i < info.unusedTensors.size() && i < 20; ++i)
            std::printf("    %s\n", shown(info.unusedTensors[i]).c_str());
        if (info.unusedTensors.size() > 20)
            std::printf("    … and %zu more (see --json)\n", info.unusedTensors.size() - 20);
    }
    return 0;
}

int cmdTokenize(const Args& a)
{
    // Only the tokenizer: a checkpoint whose architecture cannot run yet can still be tokenized.
    auto ckpt = openCheckpoint(a.model());
    const auto tokenizer = makeTokenizer(*ckpt);
    const std::string text = inputText(a);
    TokenizedText t = tokenizer->encode(text, !a.has("no-special"));
    if (a.has("json")) {
        nlohmann::json j;
        j["ids"] = t.ids;
        j["tokens"] = t.display;
        j["byte_spans"] = nlohmann::json::array();
        for (size_t i = 0; i < t.size(); ++i)
            j["byte_spans"].push_back({t.byteBegin[i], t.byteEnd[i]});
        if (const auto escaped = makeJsonPrintable(j); !escaped.empty())
            j["escaped_fields"] = escaped;
        std::cout << dumpForTerminal(j) << "\n";
        return 0;
    }
    for (size_t i = 0; i < t.size(); ++i)
        std::printf("%5zu %8d  %s\n", i, t.ids[i], escapeControl(t.display[i]).c_str());
    return 0;
}

} // namespace attnscope::cli
