// The one Tokenizer implementation behind both sources: normalizer -> pre-tokenizer -> model (byte-level BPE,
// WordPiece or SentencePiece BPE) -> template, with added tokens split out first. tokenizer_json.cpp and
// gguf_vocab.cpp only translate their file into a TokenizerSpec; validation happens here once.
// Threading: immutable after construction; encode() is const and may run concurrently.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/encode_budget.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/tokenizer.h"

#include <optional>
#include <string_view>
#include <unordered_map>

namespace attnscope {

/// Hard caps on tokenizer descriptions and on the work of one encode() call; docs/SECURITY.md gives the
/// reason for each value.
constexpr size_t kMaxTokenizerJsonBytes = size_t(64) << 20;   // tokenizer.json / tokenizer_config.json
constexpr size_t kMaxVocab = size_t(1) << 24;
constexpr size_t kMaxTokenBytes = 1024;          // a vocabulary or added-token string, a Replace/Prepend string
constexpr size_t kMaxInputChars = 1'000'000;     // per encode() request
constexpr size_t kMaxPatternBytes = 4096;        // a pre-tokenizer Split pattern
constexpr size_t kMaxPipelineSteps = 64;         // normalizer / pre-tokenizer / post-processor steps, each stage
constexpr int kMaxPipelineNesting = 8;           // Sequence inside Sequence
constexpr size_t kMaxTemplateTokens = 64;        // special tokens a post-processor template adds to every text
// The per-call caps (normalised growth, time budget) are in encode_budget.h.

/// SentencePiece piece types, numbered as GGUF tokenizer.ggml.token_type (llama.cpp llama_token_type).
enum class PieceType : uint8_t { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5,
                                 Byte = 6 };

struct TokenizerSpec {
    // SentencePieceBpe: SentencePiece's BPE (GGUF tokenizer.ggml.model = "llama"): symbols merged by the score
    // of the piece they form, no merge list (spm_model.cpp).
    enum class Model { Bpe, WordPiece, SentencePieceBpe };
    std::string source;                     // file name for error messages
    Model model = Model::Bpe;
    std::vector<std::pair<std::string, int32_t>> vocab;   // model vocabulary (token text, id)
    std::vector<std::pair<std::string, std::string>> merges;
    std::string mergesField = "merges";     // for messages: "model.merges" / "tokenizer.ggml.merges"
    bool byteLevel = true;                  // BPE symbols are GPT-2 byte characters
    bool ignoreMerges = false;
    bool byteFallback = false;
    std::optional<std::string> unkToken;
    std::string continuingSubwordPrefix = "##";   // WordPiece
    size_t maxInputCharsPerWord = 100;            // WordPiece
    std::vector<AddedToken> added;
    std::vector<NormalizerStep> normalizer;
    std::vector<PreTokenizerStep> preTokenizer;
    std::vector<int32_t> prefixIds, suffixIds;    // post-processor template around $A
    int32_t bos = -1, eos = -1;
    // SentencePieceBpe, indexed by token id (same length as the id table): piece scores and types.
    std::vector<float> pieceScores;
    std::vector<PieceType> pieceTypes;
};

class PipelineTokenizer final : public Tokenizer {
public:
    /// Validates the spec; throws Error(Tokenizer) naming source, field and reason.
    explicit PipelineTokenizer(TokenizerSpec spec);
    // m_pieces holds views into m_tokenText: never copied or moved.
    PipelineTokenizer(const PipelineTokenizer&) = delete;
    PipelineTokenizer& operator=(const PipelineTokenizer&) = delete;

    TokenizedText encode(std::string_view text, bool addSpecial = true) const override;
    std::string tokenBytes(int32_t id) const override;
    std::string tokenDisplay(int32_t id) const override;
    int32_t vocabSize() const override { return static_cast<int32_t>(m_tokenText.size()); }
    std::string kind() const override;

    bool isSpecial(int32_t id) const { return id >= 0 && size_t(id) < m_special.size() && m_special[id]; }
    /// Id of a vocabulary or added token, -1 if absent.
    int32_t tokenId(const std::string& text) const;

private:
    struct Piece {
        int32_t id;
        size_t from, to;   // byte range in the SpanText it came from
    };
    void encodeBpe(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const;
    void encodeWordPiece(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const;
    void encodeSentencePiece(const SpanText& piece, std::vector<Piece>& out, EncodeBudget& budget) const;
    void setUpSentencePiece();
    void encodeSegment(const SpanText& seg, TokenizedText& out, EncodeBudget& budget) const;
    void push(TokenizedText& out, int32_t id, uint32_t b, uint32_t e) const;

    TokenizerSpec m_spec;
    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    AddedVocabulary m_added;
    std::unordered_map<std::string, int32_t> m_vocab;          // model vocabulary text -> id
    std::vector<std::string> m_tokenText;                       // id -> stored text ("" for gaps)
    std::vector<std::string> m_bytes;                           // id -> raw bytes
    std::vector<std::string> m_display;                         // id -> display label
    std::vector<bool> m_special;
    std::unordered_map<uint64_t, std::pair<uint32_t, int32_t>> m_merges;   // (a << 32 | b) -> (rank, merged id)
    std::array<int32_t, 256> m_byteIds{};                       // byte-level symbol ids (-1 if absent)
    std::array<int32_t, 256> m_fallbackIds{};                   // <0xNN> ids for byte_fallback
    int32_t m_unk = -1;
    // SentencePieceBpe: the pieces a merge may form (normal, user-defined, unused; not control, unknown or byte
    // pieces, as SentencePiece), text -> id; views into m_tokenText.
    std::unordered_map<std::string_view, int32_t> m_pieces;
    size_t m_maxPieceBytes = 0;
    bool m_hasUnused = false;
    size_t m_longestToken = 0;                                  // bytes of the longest vocabulary string
};

/// Display label for raw token bytes (token_display.cpp): valid UTF-8 with visible whitespace and escapes.
std::string displayBytes(std::string_view bytes);

} // namespace attnscope
