// `attnscope-cli info MODEL`
// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "core/backend/backend_set.h"
#include "core/formats/checkpoint.h"
#include "core/model/loaded_model.h"
#include "core/session/model_info.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "kernels/backends/register_backends.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace attnscope::cli {

std::string inputText(const Args& a)
{
    if (auto t = a.get("text"))
        return *t;
    if (auto f = a.get("text-file")) {
        std::ifstream in(*f, std::ios::binary);
        if (!in)
            throw Error(ErrorKind::Io, *f, "", -1, "cannot open text file");
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
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
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s\n  format        %s\n  architecture  %s%s\n", info.path.c_str(), info.format.c_str(),
                info.architecture.c_str(), info.name.empty() ? "" : (" (" + info.name + ")").c_str());
    if (info.runnable) {
        std::printf("  layers        %d\n  heads         %d (KV heads %d, GQA %d:1)\n  head dim      %d\n"
                    "  d_model       %d\n  ffn           %d\n  vocab         %d\n  context       %d\n"
                    "  block         %s\n  tokenizer     %s%s\n  attention     %s\n",
                    info.nLayers, info.nHeads, info.nKvHeads, info.nKvHeads ? info.nHeads / info.nKvHeads : 0,
                    info.headDim, info.dModel, info.ffnDim, info.vocabSize, info.contextLength, info.block.c_str(),
                    info.tokenizer.c_str(), info.hasLmHead ? "" : "\n  output        hidden states (encoder: no next-token prediction)",
                    info.layerRules.c_str());
    } else {
        std::printf("  not runnable  %s\n", info.notRunnableReason.c_str());
    }
    std::printf("  backend       %s: %s%s%s\n", runs.name().c_str(), runs.description().c_str(),
                backends.notes.empty() ? "" : (" (" + backends.notes + ")").c_str(),
                placement.empty() ? "" : ("; " + placement).c_str());
    std::printf("  tensors       %llu (%.1f M parameters, %.1f MB on disk)\n",
                static_cast<unsigned long long>(info.tensorCount), info.parameterCount / 1e6, info.sizeOnDisk / 1e6);
    for (const auto& [dt, n] : info.tensorsByDtype)
        std::printf("    %-8s %5llu tensors %10.2f M params\n", dt.c_str(), static_cast<unsigned long long>(n),
                    info.paramsByDtype[dt] / 1e6);
    if (!info.unusedTensors.empty()) {
        std::printf("  unused        %zu tensor%s no role of the architecture uses:\n", info.unusedTensors.size(),
                    info.unusedTensors.size() == 1 ? "" : "s");
        for (size_t i = 0; i < info.unusedTensors.size() && i < 20; ++i)
            std::printf("    %s\n", info.unusedTensors[i].c_str());
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
        std::cout << j.dump() << "\n";
        return 0;
    }
    for (size_t i = 0; i < t.size(); ++i)
        std::printf("%5zu %8d  %s\n", i, t.ids[i], t.display[i].c_str());
    return 0;
}

} // namespace attnscope::cli
