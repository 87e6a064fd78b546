// The architecture description a forward pass needs, read from GGUF metadata or HF config.json and
// validated (FORMATS §4 model-level checks; NUMERICS-AND-SAFETY §4 rule 9). Layout choices (RoPE pairing,
// q/k norm, biases) are explicit fields chosen from the file's declared architecture, never from shapes.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <string>

namespace attnscope {

class Checkpoint;

enum class RopePairing { Adjacent, SplitHalf };
const char* ropePairingName(RopePairing p);

struct ModelConfig {
    std::string architecture;    // as the file names it: "llama", "qwen2", "qwen3", "mistral"
    std::string name;            // general.name or the folder name
    int nLayers = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int headDim = 0;
    int dModel = 0;
    int ffnDim = 0;
    int vocabSize = 0;
    int contextLength = 0;
    float normEps = 1e-5f;
    float ropeTheta = 10000.f;
    int ropeDims = 0;            // rotated dims per head (== headDim unless partial rotary)
    RopePairing ropePairing = RopePairing::SplitHalf;
    bool qkNorm = false;         // Qwen3: RMSNorm over head_dim on q and k before RoPE
    bool qkvBias = false;        // Qwen2: biases on q/k/v projections
    bool outputBias = false;
    bool tiedEmbeddings = false;
    int slidingWindow = 0;       // 0 = none (reported; the dense reference pass ignores it for now)

    int groupSize() const { return nKvHeads > 0 ? nHeads / nKvHeads : 0; }
};

/// Caps applied to every model description (NUMERICS-AND-SAFETY §4).
constexpr int kMaxLayers = 512;
constexpr int kMaxHeads = 1024;
constexpr int kMaxVocab = 1 << 24;
constexpr int kMaxHeadDim = 1024;
constexpr int kMaxDModel = 65536;

/// Reads and validates the config; throws Error(Unsupported) for architectures we cannot run (the message
/// names the architecture and what is supported) and Error(Model) for inconsistent values.
ModelConfig modelConfigFromCheckpoint(const Checkpoint& ckpt);

} // namespace attnscope
