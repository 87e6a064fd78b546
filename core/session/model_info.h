// A front-end-neutral description of an opened checkpoint (CLI `info`, the GUI's model panel).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace attnscope {

class Checkpoint;
class LoadedModel;

struct ModelFile {
    std::string path;                         // as opened (a shard's path in its folder)
    std::string resolvedPath;                 // every symbolic link resolved (HF cache: .../blobs/<hash>)
    uint64_t bytes = 0;
};

struct ModelInfo {
    std::string path;
    std::string resolvedPath;                 // path with every symbolic link resolved
    std::string format;                       // gguf, safetensors, hf-folder
    std::string architecture;
    std::string name;
    bool runnable = false;
    std::string notRunnableReason;
    int nLayers = 0, nHeads = 0, nKvHeads = 0, headDim = 0, dModel = 0, ffnDim = 0, vocabSize = 0;
    int contextLength = 0;
    float ropeTheta = 0;
    std::string ropePairing;
    bool tiedEmbeddings = false;
    bool hasLmHead = true;                    // false for encoders: no next-token prediction
    std::string block;                        // "pre-norm, RMSNorm, gated MLP (silu), RoPE"
    std::string layerRules;                   // runs of identical per-layer attention rules
    std::vector<std::string> layerRuleList;   // one entry per layer ("sliding window 512, RoPE θ 10000")
    std::vector<bool> softmaxMapPerLayer;     // false for linear-attention layers (no softmax map to show)
    std::vector<std::string> unusedTensors;   // tensors no role of the architecture uses
    std::string tokenizer;                    // "bpe", "wordpiece", "sentencepiece-bpe"
    uint64_t tensorCount = 0;
    uint64_t parameterCount = 0;
    uint64_t sizeOnDisk = 0;
    std::map<std::string, uint64_t> tensorsByDtype;   // dtype name -> tensor count
    std::map<std::string, uint64_t> paramsByDtype;    // dtype name -> parameter count
    std::vector<ModelFile> files;             // the weight files, in checkpoint order
};

/// Describes a checkpoint; fills the architecture fields when it can be run, else the reason it cannot.
ModelInfo describeCheckpoint(const Checkpoint& ckpt);
ModelInfo describeModel(const LoadedModel& model);
/// The JSON `info --json` prints. Always serialisable: strings that are not valid UTF-8 (GGUF metadata is
/// not checked) have their bad bytes escaped as \xNN and their fields listed under "escaped_fields".
nlohmann::json toJson(const ModelInfo& info);

} // namespace attnscope
