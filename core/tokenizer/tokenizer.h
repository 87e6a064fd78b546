// Tokenizer interface: text -> token ids with byte spans and display strings, exactly as the model's
// reference tokenizer (HF tokenizers) would produce them (docs/FORMATS.md).
// Threading: a Tokenizer is immutable after construction; encode() may be called from any thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class Checkpoint;

struct TokenizedText {
    std::vector<int32_t> ids;
    std::vector<std::string> display;     // readable per-token strings (Tokenizer::tokenDisplay)
    std::vector<uint32_t> byteBegin;      // byte span of each token in the input text; special tokens that
    std::vector<uint32_t> byteEnd;        // were added (BOS/CLS/SEP) have an empty span at their position
    size_t size() const { return ids.size(); }
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    /// Encodes UTF-8 text. addSpecial adds BOS/EOS/CLS/SEP exactly as the model's metadata says.
    /// Throws Error(Tokenizer) for input over the cap (1 M characters) or invalid UTF-8 handling failures.
    virtual TokenizedText encode(std::string_view text, bool addSpecial = true) const = 0;

    /// Raw bytes a token stands for (byte-level decoded; may be invalid UTF-8 on its own).
    virtual std::string tokenBytes(int32_t id) const = 0;
    /// Readable label for axes and chips: valid UTF-8, spaces shown as "␣", newlines as "↵", tabs as "⇥",
    /// invalid bytes escaped as <0xE2>, special tokens as their text (e.g. "<|im_start|>").
    virtual std::string tokenDisplay(int32_t id) const = 0;
    virtual int32_t vocabSize() const = 0;
    virtual std::string kind() const = 0;   // "bpe" or "wordpiece"

    int32_t bosId() const { return m_bos; }
    int32_t eosId() const { return m_eos; }

protected:
    int32_t m_bos = -1;
    int32_t m_eos = -1;
};

/// From GGUF metadata (tokenizer.ggml.*). Throws Error(Tokenizer/Unsupported) naming the key and reason.
std::unique_ptr<Tokenizer> makeTokenizerFromGguf(const Checkpoint& ckpt);
/// From HF tokenizer.json (+ optional tokenizer_config.json text). fileName is used in error messages.
std::unique_ptr<Tokenizer> makeTokenizerFromHfJson(std::string_view tokenizerJson, std::string_view tokenizerConfigJson,
                                                   const std::string& fileName);
/// Picks the source the checkpoint carries (tokenizer.json in a folder, else GGUF metadata).
std::unique_ptr<Tokenizer> makeTokenizer(const Checkpoint& ckpt);

} // namespace attnscope
